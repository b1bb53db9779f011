package org.autoprop.graph;

import static org.autoprop.testing.TestTensors.maxAbsDiff;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import org.autoprop.layer.GradCheck;
import org.autoprop.layer.Layer;
import org.autoprop.layer.Sequential;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Random DAGs from root to term with random merge modes and parameterised fixture layers: the
 * forward pass matches an independent interpreter that merges in edge declaration order, and the
 * whole graph's backward matches finite differences.
 */
class RandomGraphTest {
  static final int C = 2;
  static final Shape X = Shape.of(2, C, 3, 3); // square maps, so DOT keeps the shape

  record Dag(int n, List<int[]> edges, MergeMode[] modes, Layer[] layers, LayerNode[] nodes) {}

  static Dag randomDag(SplittableRandom r) {
    int n = 2 + r.nextInt(7);
    List<int[]> edges = new ArrayList<>();
    boolean[] hasSucc = new boolean[n];
    for (int j = 1; j < n; j++) {
      int first = r.nextInt(j);
      edges.add(new int[] {first, j});
      hasSucc[first] = true;
      for (int i = 0; i < j; i++) {
        if (i != first && r.nextInt(10) < 3) {
          edges.add(new int[] {i, j});
          hasSucc[i] = true;
        }
      }
    }
    for (int i = 0; i < n - 1; i++) {
      if (!hasSucc[i]) {
        edges.add(new int[] {i, i + 1 + r.nextInt(n - 1 - i)});
      }
    }
    // Declare the edges in a random order: that order alone decides each merge's input order.
    Collections.shuffle(edges, new Random(r.nextLong()));
    int[] inCount = new int[n];
    for (int[] e : edges) {
      inCount[e[1]]++;
    }
    MergeMode[] modes = new MergeMode[n];
    Layer[] layers = new Layer[n];
    LayerNode[] nodes = new LayerNode[n];
    MergeMode[] all = MergeMode.values();
    for (int j = 0; j < n; j++) {
      MergeMode m;
      // The root's mode is ignored; it gets one that fits a single input.
      do {
        m = all[r.nextInt(all.length)];
      } while (!fits(m, Math.max(1, inCount[j])));
      modes[j] = m;
      long seed = r.nextLong();
      int channels = inCount[j] > 1 ? m.outputShape(Collections.nCopies(inCount[j], X)).dim(1) : C;
      if (channels != C) {
        layers[j] = new Mix(channels, C, seed);
      } else {
        switch (r.nextInt(4)) {
          case 0:
            layers[j] = new Scale(C, seed);
            break;
          case 1:
            layers[j] = new Smooth();
            break;
          case 2:
            layers[j] = new Sequential(new Scale(C, seed), new Smooth());
            break;
          default:
            layers[j] = new Mix(C, C, seed);
        }
      }
      nodes[j] = new LayerNode(layers[j], m, "n" + j);
    }
    return new Dag(n, edges, modes, layers, nodes);
  }

  /**
   * Whether a node with {@code k} inputs of shape {@link #X} may use {@code mode}: it accepts
   * {@code k} inputs and their merge differs from X at most in its channels (axis 1), which a Mix
   * layer brings back to C.
   */
  static boolean fits(MergeMode mode, int k) {
    if (!mode.acceptsInputs(k)) {
      return false;
    }
    try {
      return mode.outputShape(Collections.nCopies(k, X)).withDim(1, C).equals(X);
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  static LayerGraph build(Dag d) {
    LayerGraph.Builder b = LayerGraph.builder().node(d.nodes[0]);
    for (int[] e : d.edges) {
      b.edge(d.nodes[e[0]], d.nodes[e[1]]);
    }
    return b.root(d.nodes[0]).term(d.nodes[d.n - 1]).build();
  }

  /** How far {@link #kinkNear} moves an input: 10x the step of the graph's finite differences. */
  static final float KINK_DISTANCE = 1e-2f;

  /** Whether a merge of the latest {@link #interpret} has a kink within {@link #KINK_DISTANCE} of its inputs. */
  static boolean kinkMet;

  /** Node outputs computed node by node in index order, merging in edge declaration order. */
  static Tensor interpret(Dag d, Tensor x) {
    kinkMet = false;
    Tensor[] out = new Tensor[d.n];
    for (int j = 0; j < d.n; j++) {
      List<Tensor> ins = new ArrayList<>();
      for (int[] e : d.edges) {
        if (e[1] == j) {
          ins.add(out[e[0]]);
        }
      }
      Tensor in = j == 0 ? x : ins.size() == 1 ? ins.get(0) : d.modes[j].newMerge().forward(ins).copy();
      if (ins.size() > 1) {
        kinkMet |= kinkNear(d.modes[j], ins, in);
      }
      out[j] = d.layers[j].forward(in, true).copy();
    }
    return out[d.n - 1];
  }

  /**
   * Whether merging {@code ins} by {@code mode} meets a kink nearby: every merge is linear in each
   * input alone except where inputs tie (MAX, MIN), so moving one input at a time by
   * {@code +-KINK_DISTANCE} must leave the second difference {@code y+ - 2y + y-} at rounding
   * level (an exact tie gives {@code KINK_DISTANCE} itself).
   */
  static boolean kinkNear(MergeMode mode, List<Tensor> ins, Tensor y) {
    for (int i = 0; i < ins.size(); i++) {
      Tensor up = mergeMoved(mode, ins, i, KINK_DISTANCE);
      Tensor down = mergeMoved(mode, ins, i, -KINK_DISTANCE);
      for (int e = 0; e < y.size(); e++) {
        if (Math.abs(up.getFlat(e) - 2 * y.getFlat(e) + down.getFlat(e)) > 1e-2 * KINK_DISTANCE) {
          return true;
        }
      }
    }
    return false;
  }

  /** The merge of {@code ins} with {@code by} added to every element of input {@code i}. */
  static Tensor mergeMoved(MergeMode mode, List<Tensor> ins, int i, float by) {
    List<Tensor> moved = new ArrayList<>(ins);
    Tensor t = ins.get(i).copy();
    for (int e = 0; e < t.size(); e++) {
      t.data()[e] += by;
    }
    moved.set(i, t);
    return mode.newMerge().forward(moved).copy();
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#seeds")
  void randomGraphsMatchTheInterpreterAndFiniteDifferences(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    Dag d;
    Tensor x;
    Tensor expected;
    int attempts = 0;
    do {
      // Finite differences are wrong across a kink: redraw until no merge has one within 1e-2 of
      // its inputs (10x the step, times the few-fold sensitivity of a parameter).
      assertTrue(attempts++ < 1000, "no graph without near-ties found");
      d = randomDag(r);
      x = Tensor.uniform(X, -1, 1, r.nextLong());
      expected = interpret(d, x);
    } while (kinkMet);
    LayerGraph g = build(d);
    Tensor y = g.forward(x, true);
    assertEquals(0.0, maxAbsDiff(expected, y), 1e-5 * (1 + expected.maxAbs()), "forward differs from the interpreter");
    GradCheck.Report rep = GradCheck.forLayer(g).epsilon(1e-3).seed(seed).check(x);
    Dag dag = d;
    assertTrue(rep.passed(2e-2), () -> describe(dag) + "\n" + rep);
  }

  static String describe(Dag d) {
    StringBuilder sb = new StringBuilder();
    for (int j = 0; j < d.n; j++) {
      sb.append("n").append(j).append(' ').append(d.layers[j].typeName()).append(' ').append(d.modes[j]).append('\n');
    }
    for (int[] e : d.edges) {
      sb.append("n").append(e[0]).append(" -> n").append(e[1]).append('\n');
    }
    return sb.toString();
  }
}

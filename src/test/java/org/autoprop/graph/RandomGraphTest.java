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
      do {
        m = all[r.nextInt(all.length)];
      } while (m == MergeMode.DOT && inCount[j] != 2);
      modes[j] = m;
      long seed = r.nextLong();
      if (m == MergeMode.CHCAT && inCount[j] > 1) {
        layers[j] = new Mix(C * inCount[j], C, seed);
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

  static LayerGraph build(Dag d) {
    LayerGraph.Builder b = LayerGraph.builder().node(d.nodes[0]);
    for (int[] e : d.edges) {
      b.edge(d.nodes[e[0]], d.nodes[e[1]]);
    }
    return b.root(d.nodes[0]).term(d.nodes[d.n - 1]).build();
  }

  /** The smallest gap between the extreme and the runner-up over every MAX/MIN merge of the latest {@link #interpret}. */
  static double minExtremeGap;

  /** Node outputs computed node by node in index order, merging in edge declaration order. */
  static Tensor interpret(Dag d, Tensor x) {
    minExtremeGap = Double.POSITIVE_INFINITY;
    Tensor[] out = new Tensor[d.n];
    for (int j = 0; j < d.n; j++) {
      List<Tensor> ins = new ArrayList<>();
      for (int[] e : d.edges) {
        if (e[1] == j) {
          ins.add(out[e[0]]);
        }
      }
      Tensor in = j == 0 ? x : ins.size() == 1 ? ins.get(0) : d.modes[j].newMerge().forward(ins).copy();
      if (ins.size() > 1 && (d.modes[j] == MergeMode.MAX || d.modes[j] == MergeMode.MIN)) {
        recordGap(ins, in);
      }
      out[j] = d.layers[j].forward(in, true).copy();
    }
    return out[d.n - 1];
  }

  /** Tracks how close the runner-up comes to the extreme at each element (0 for an exact tie). */
  static void recordGap(List<Tensor> ins, Tensor extreme) {
    Tensor zeros = Tensor.zeros(extreme.shape());
    for (int e = 0; e < extreme.size(); e++) {
      boolean seen = false;
      for (Tensor t : ins) {
        // Broadcast the input to the output shape: adding zeros is exact.
        float v = MergeMode.SUM.newMerge().forward(List.of(t, zeros)).getFlat(e);
        double gap = Math.abs(v - extreme.getFlat(e));
        if (gap == 0 && !seen) {
          seen = true; // the extreme itself
        } else {
          minExtremeGap = Math.min(minExtremeGap, gap);
        }
      }
    }
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
      // Finite differences are wrong across a kink: redraw until every MAX/MIN input is 1e-2
      // away from the extreme (10x the step, times the few-fold sensitivity of a parameter).
      assertTrue(attempts++ < 1000, "no graph without near-ties found");
      d = randomDag(r);
      x = Tensor.uniform(X, -1, 1, r.nextLong());
      expected = interpret(d, x);
    } while (minExtremeGap < 1e-2);
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

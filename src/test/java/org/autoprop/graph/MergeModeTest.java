package org.autoprop.graph;

import static org.autoprop.testing.TestTensors.maxAbsDiff;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.autoprop.io.SafeTensors;
import org.autoprop.kernel.KernelProvider;
import org.autoprop.layer.GradCheck;
import org.autoprop.layer.merge.Merge;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.testing.Conformance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every merge mode: PyTorch conformance, finite differences over random shapes, ties, errors,
 * reuse. The tests over all modes take what they need to know of a mode (its input count, its
 * shape rule, whether it is elementwise) from the mode, so a new mode runs through them as it is.
 */
class MergeModeTest {
  static Stream<String> mergeFiles() {
    return Stream.of("merge_avg_3", "merge_chcat_3", "merge_dot_2d", "merge_dot_4d", "merge_hadamard_3",
        "merge_hadamard_broadcast", "merge_max_3", "merge_max_ties", "merge_min_3", "merge_min_ties",
        "merge_sub_3", "merge_sum_3");
  }

  static List<KernelProvider> providers() {
    return List.of(KernelProvider.scalar(), KernelProvider.vector());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("mergeFiles")
  void matchesPyTorch(String file) {
    SafeTensors st = Conformance.load(file);
    MergeMode mode = MergeMode.valueOf(st.metadata().get("mode"));
    int k = Integer.parseInt(st.metadata().get("inputs"));
    for (KernelProvider kp : providers()) {
      List<Tensor> xs = new ArrayList<>();
      List<Tensor> copies = new ArrayList<>();
      for (int i = 0; i < k; i++) {
        xs.add(st.tensor("x" + i));
        copies.add(st.tensor("x" + i).copy());
      }
      Merge m = KernelProvider.building(kp, mode::newMerge);
      String what = file + " (" + kp.description() + ")";
      Conformance.assertClose(what + " y", st.tensor("y"), m.forward(xs));
      List<Tensor> gs = m.backward(st.tensor("gy"));
      assertEquals(k, gs.size());
      for (int i = 0; i < k; i++) {
        Conformance.assertClose(what + " gx" + i, st.tensor("gx" + i), gs.get(i));
        assertEquals(0.0, maxAbsDiff(copies.get(i), xs.get(i)), what + ": input " + i + " was modified");
      }
    }
  }

  @Test
  void lumasModesExist() {
    List<String> names = new ArrayList<>();
    for (MergeMode mode : MergeMode.values()) {
      names.add(mode.name());
    }
    assertEquals(List.of("SUM", "SUB", "HADAMARD", "AVG", "MAX", "MIN", "DOT", "CHCAT"), names);
  }

  @Test
  void everyModeRunsItsOwnRule() {
    for (MergeMode mode : MergeMode.values()) {
      assertEquals(mode.name(), mode.rule().name(), "the rule of MergeMode." + mode);
      assertSame(mode.rule(), mode.newMerge().rule(), mode + " merge");
    }
  }

  /**
   * Random inputs that {@code mode} accepts: an input count its rule allows (1 to 4) and shapes
   * from one of a few families, redrawn until the mode's shape rule takes them; every value is
   * distinct (see {@link #spreadDistinct}), since a mode may have kinks where inputs tie.
   */
  static List<Tensor> randomInputs(MergeMode mode, SplittableRandom r) {
    int[] counts = IntStream.rangeClosed(1, 4).filter(mode::acceptsInputs).toArray();
    assertTrue(counts.length > 0, () -> mode + " accepts no input count from 1 to 4");
    for (int attempt = 0; attempt < 1000; attempt++) {
      List<Shape> shapes = randomShapes(counts[r.nextInt(counts.length)], r);
      try {
        mode.outputShape(shapes);
      } catch (IllegalArgumentException e) {
        continue;
      }
      List<Tensor> xs = new ArrayList<>();
      for (Shape s : shapes) {
        xs.add(Tensor.zeros(s));
      }
      spreadDistinct(xs, r);
      return xs;
    }
    return fail(mode + ": no random shapes fit its shape rule; give randomShapes a family that does");
  }

  /**
   * {@code k} random shapes of one family: broadcast variants of one shape (axes set to 1, leading
   * axes dropped), shapes of rank 2 to 4 that differ only on axis 1, or a chain of matrices
   * {@code [..., d_i, d_i+1]} over equal leading axes.
   */
  static List<Shape> randomShapes(int k, SplittableRandom r) {
    int family = r.nextInt(3);
    int rank = family == 0 ? 1 + r.nextInt(4) : 2 + r.nextInt(3);
    int[] base = new int[rank];
    for (int a = 0; a < rank; a++) {
      base[a] = 1 + r.nextInt(4);
    }
    int[] chain = r.ints(k + 1, 1, 6).toArray();
    List<Shape> shapes = new ArrayList<>();
    for (int i = 0; i < k; i++) {
      int[] d;
      if (family == 0) {
        int drop = r.nextInt(4) == 0 ? r.nextInt(rank) : 0;
        d = new int[rank - drop];
        for (int a = drop; a < rank; a++) {
          d[a - drop] = r.nextInt(3) == 0 ? 1 : base[a];
        }
      } else if (family == 1) {
        d = base.clone();
        d[1] = 1 + r.nextInt(4);
      } else {
        d = base.clone();
        d[rank - 2] = chain[i];
        d[rank - 1] = chain[i + 1];
      }
      shapes.add(Shape.of(d));
    }
    return shapes;
  }

  /**
   * Gives every element of every input a distinct value, 0.03 apart (far beyond GradCheck's step),
   * so that finite differences never step across a tie.
   */
  static void spreadDistinct(List<Tensor> xs, SplittableRandom r) {
    int total = 0;
    for (Tensor x : xs) {
      total += x.size();
    }
    int[] perm = new int[total];
    for (int i = 0; i < total; i++) {
      perm[i] = i;
    }
    for (int i = total - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
    int at = 0;
    for (Tensor x : xs) {
      for (int i = 0; i < x.size(); i++) {
        x.data()[i] = 0.03f * (perm[at++] - total / 2f);
      }
    }
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#seeds")
  void everyModeMatchesFiniteDifferences(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    for (MergeMode mode : MergeMode.values()) {
      List<Tensor> xs = randomInputs(mode, r);
      Merge m = mode.newMerge();
      List<String> names = new ArrayList<>();
      for (int i = 0; i < xs.size(); i++) {
        names.add("x" + i + xs.get(i).shape());
      }
      GradCheck.Report rep = GradCheck.checkFunction(names, xs, () -> m.forward(xs), m::backward, 5e-3, 100, seed);
      assertTrue(rep.passed(1e-2), () -> mode + " seed " + seed + "\n" + rep);
    }
  }

  @Test
  void aGateWithoutTrailingOnesPointsToTheReshape() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> MergeMode.HADAMARD.outputShape(List.of(Shape.of(2, 8, 4, 4), Shape.of(2, 8))));
    assertTrue(e.getMessage().endsWith("; broadcasting aligns trailing axes: to apply [2, 8] along the leading axes of "
        + "[2, 8, 4, 4], reshape it to [2, 8, 1, 1] first (new Reshape(8, 1, 1) before the merge)"), e.getMessage());
  }

  @Test
  void broadcastGateTimesMapSumsTheGateGradient() {
    // The [N, C, 1, 1] * [N, C, H, W] case of squeeze-excitation blocks, checked by hand.
    Tensor map = Tensor.uniform(Shape.of(2, 3, 4, 5), -1, 1, 1);
    Tensor gate = Tensor.uniform(Shape.of(2, 3, 1, 1), -1, 1, 2);
    Merge m = MergeMode.HADAMARD.newMerge();
    Tensor y = m.forward(List.of(map, gate));
    Tensor g = Tensor.uniform(Shape.of(2, 3, 4, 5), -1, 1, 3);
    List<Tensor> gs = m.backward(g);
    for (int n = 0; n < 2; n++) {
      for (int c = 0; c < 3; c++) {
        double expected = 0;
        for (int h = 0; h < 4; h++) {
          for (int w = 0; w < 5; w++) {
            assertEquals(map.get(n, c, h, w) * gate.get(n, c, 0, 0), y.get(n, c, h, w), 1e-6);
            assertEquals(g.get(n, c, h, w) * gate.get(n, c, 0, 0), gs.get(0).get(n, c, h, w), 1e-6);
            expected += g.get(n, c, h, w) * map.get(n, c, h, w);
          }
        }
        assertEquals(expected, gs.get(1).get(n, c, 0, 0), 1e-5);
      }
    }
  }

  @Test
  void maxAndMinSplitTheGradientEquallyAmongTies() {
    for (KernelProvider kp : providers()) {
      // Three inputs, ties of two and of three, plus a broadcast input that ties with several outputs.
      Tensor a = Tensor.wrap(new float[] {1, 2, 3, 0, 5, 7, 1}, 7);
      Tensor b = Tensor.wrap(new float[] {1, 1, 3, 0, 4, 7, 2}, 7);
      Tensor c = Tensor.wrap(new float[] {0, 2, 3, 0, 5, 6, 2}, 7);
      Tensor g = Tensor.wrap(new float[] {6, 6, 6, 6, 6, 6, 6}, 7);
      Merge max = KernelProvider.building(kp, MergeMode.MAX::newMerge);
      max.forward(List.of(a, b, c));
      List<Tensor> gs = max.backward(g);
      assertArray(new float[] {3, 3, 2, 2, 3, 3, 0}, gs.get(0));
      assertArray(new float[] {3, 0, 2, 2, 0, 3, 3}, gs.get(1));
      assertArray(new float[] {0, 3, 2, 2, 3, 0, 3}, gs.get(2));

      Merge min = KernelProvider.building(kp, MergeMode.MIN::newMerge);
      Tensor s = Tensor.wrap(new float[] {2}, 1);
      Tensor v = Tensor.wrap(new float[] {2, 1, 3, 2}, 4);
      Tensor y = min.forward(List.of(v, s));
      assertArray(new float[] {2, 1, 2, 2}, y);
      List<Tensor> mg = min.backward(Tensor.wrap(new float[] {1, 10, 100, 1000}, 4));
      assertArray(new float[] {0.5f, 10, 0, 500}, mg.get(0));
      assertArray(new float[] {0.5f + 100 + 500}, mg.get(1));
    }
  }

  static void assertArray(float[] expected, Tensor actual) {
    assertEquals(expected.length, actual.size());
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual.getFlat(i), 1e-6, "element " + i + " of " + actual);
    }
  }

  @Test
  void badShapesNameTheModeAndEveryShape() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> MergeMode.SUM.outputShape(List.of(Shape.of(2, 3), Shape.of(2, 3), Shape.of(2, 4))));
    assertTrue(e.getMessage().startsWith("SUM cannot merge input shapes [2, 3], [2, 3], [2, 4]: "), e.getMessage());
    assertTrue(e.getMessage().contains("3 vs 4"), e.getMessage());

    e = assertThrows(IllegalArgumentException.class,
        () -> MergeMode.DOT.outputShape(List.of(Shape.of(2, 3), Shape.of(3, 4), Shape.of(4, 1))));
    assertEquals("DOT cannot merge input shapes [2, 3], [3, 4], [4, 1]: takes exactly 2 inputs (got 3)", e.getMessage());

    e = assertThrows(IllegalArgumentException.class,
        () -> MergeMode.DOT.outputShape(List.of(Shape.of(5, 2, 3), Shape.of(5, 4, 6))));
    assertEquals("DOT cannot merge input shapes [5, 2, 3], [5, 4, 6]: inner dimensions 3 and 4 differ", e.getMessage());

    e = assertThrows(IllegalArgumentException.class,
        () -> MergeMode.DOT.outputShape(List.of(Shape.of(5, 2, 3), Shape.of(4, 3, 6))));
    assertEquals("DOT cannot merge input shapes [5, 2, 3], [4, 3, 6]: batch axis 0 has 5 vs 4 (expected: equal)",
        e.getMessage());

    e = assertThrows(IllegalArgumentException.class,
        () -> MergeMode.CHCAT.outputShape(List.of(Shape.of(2, 3, 4, 4), Shape.of(2, 1, 4, 5))));
    assertEquals("CHCAT cannot merge input shapes [2, 3, 4, 4], [2, 1, 4, 5]: input 1 has 5 at axis 3"
        + " (expected: 4, all axes but 1 must match)", e.getMessage());

    e = assertThrows(IllegalArgumentException.class,
        () -> MergeMode.CHCAT.outputShape(List.of(Shape.of(2, 3, 4), Shape.of(2, 3))));
    assertEquals("CHCAT cannot merge input shapes [2, 3, 4], [2, 3]: input 1 has rank 2 (expected: 3)", e.getMessage());

    Merge m = MergeMode.AVG.newMerge();
    e = assertThrows(IllegalArgumentException.class,
        () -> m.forward(List.of(Tensor.zeros(4, 2), Tensor.zeros(3, 2))));
    assertTrue(e.getMessage().startsWith("AVG cannot merge input shapes [4, 2], [3, 2]: "), e.getMessage());
    m.forward(List.of(Tensor.zeros(4, 2), Tensor.zeros(4, 2)));
    e = assertThrows(IllegalArgumentException.class, () -> m.backward(Tensor.zeros(4, 3)));
    assertEquals("AVG merge: gradient shape [4, 3] (expected: output shape [4, 2])", e.getMessage());
  }

  @Test
  void backwardBeforeForwardIsAnError() {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> MergeMode.MAX.newMerge().backward(Tensor.zeros(2)));
    assertEquals("MAX merge: backward before forward", e.getMessage());
  }

  @Test
  void buffersAreReusedWhileShapesStayTheSame() {
    for (MergeMode mode : MergeMode.values()) {
      SplittableRandom r = new SplittableRandom(mode.ordinal());
      List<Tensor> xs = randomInputs(mode, r);
      Merge m = mode.newMerge();
      Tensor y1 = m.forward(xs);
      Tensor up1 = Tensor.uniform(y1.shape(), -1, 1, 1);
      List<Tensor> g1 = List.copyOf(m.backward(up1));
      Tensor y2 = m.forward(xs);
      Tensor up2 = Tensor.uniform(y1.shape(), -1, 1, 2);
      List<Tensor> g2 = m.backward(up2);
      assertSame(y1, y2, mode + " output buffer");
      for (int i = 0; i < g1.size(); i++) {
        // A gradient is the merge's own buffer, or the upstream gradient itself (SUM, SUB's x0).
        if (g1.get(i) == up1) {
          assertSame(up2, g2.get(i), mode + " gradient " + i + " passes g through");
        } else {
          assertSame(g1.get(i), g2.get(i), mode + " gradient buffer " + i);
        }
      }
    }
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#fewSeeds")
  void vectorAndScalarMergesAgree(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    for (MergeMode mode : MergeMode.values()) {
      List<Tensor> xs = randomInputs(mode, r);
      Merge s = KernelProvider.building(KernelProvider.scalar(), mode::newMerge);
      Merge v = KernelProvider.building(KernelProvider.vector(), mode::newMerge);
      Tensor ys = s.forward(xs);
      Tensor yv = v.forward(xs);
      Conformance.assertClose(mode + " y", ys, yv, 1e-5);
      Tensor g = Tensor.uniform(ys.shape(), -1, 1, seed);
      List<Tensor> gs = s.backward(g);
      List<Tensor> gv = v.backward(g);
      for (int i = 0; i < gs.size(); i++) {
        Conformance.assertClose(mode + " g" + i, gs.get(i), gv.get(i), 1e-5);
      }
    }
  }

  /** Three inputs of one shape, small or large (large merges split over the engine pool), with ties. */
  static List<Tensor> threeInputs(SplittableRandom r) {
    boolean large = r.nextBoolean();
    Shape shape = large ? Shape.of(2, 1 + r.nextInt(4), 60 + r.nextInt(9), 61 + r.nextInt(7))
        : Shape.of(1 + r.nextInt(3), 1 + r.nextInt(5), 1 + r.nextInt(9));
    List<Tensor> xs = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      Tensor x = Tensor.zeros(shape);
      for (int j = 0; j < x.size(); j++) {
        x.data()[j] = r.nextInt(4) == 0 ? 0.5f * r.nextInt(3) : (float) r.nextDouble(-1, 1); // ties too
      }
      xs.add(x);
    }
    return xs;
  }

  static boolean large(List<Tensor> xs) {
    return xs.get(0).size() > 1000;
  }

  /** The output (t = -1) or input t's gradient at one element, from the inputs' values v and the upstream g there. */
  interface ElementDefinition {
    double at(double[] v, double g, int t);
  }

  /** The elementwise modes of Luma's by their definitions, in double precision. */
  static final Map<MergeMode, ElementDefinition> DEFINITIONS = Map.of(
      MergeMode.SUM, (v, g, t) -> t < 0 ? v[0] + v[1] + v[2] : g,
      MergeMode.SUB, (v, g, t) -> t < 0 ? v[0] - v[1] - v[2] : t == 0 ? g : -g,
      MergeMode.AVG, (v, g, t) -> t < 0 ? (v[0] + v[1] + v[2]) / 3 : g / 3,
      MergeMode.HADAMARD, (v, g, t) -> t < 0 ? v[0] * v[1] * v[2] : g * v[(t + 1) % 3] * v[(t + 2) % 3],
      MergeMode.MAX, (v, g, t) -> extreme(Math.max(v[0], Math.max(v[1], v[2])), v, g, t),
      MergeMode.MIN, (v, g, t) -> extreme(Math.min(v[0], Math.min(v[1], v[2])), v, g, t));

  /** The extreme e, or input t's share of g: g split equally among the inputs equal to e. */
  static double extreme(double e, double[] v, double g, int t) {
    int ties = (v[0] == e ? 1 : 0) + (v[1] == e ? 1 : 0) + (v[2] == e ? 1 : 0);
    return t < 0 ? e : v[t] == e ? g / ties : 0;
  }

  /**
   * Three inputs of one shape take the one-pass kernels of an elementwise mode (split over the
   * engine pool when large): on both kernel sets, output and gradients match the mode's general
   * path (the same values with a leading axis of 1 on one input go through broadcasting: expand,
   * fold, reduce), and the definitions above where the test knows the mode; small ones every
   * mode of three inputs also against finite differences.
   */
  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#fewSeeds")
  void threeEqualInputsMatchTheGeneralPathAndTheDefinitions(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    List<Tensor> xs = threeInputs(r);
    Shape shape = xs.get(0).shape();
    int n = shape.size();
    List<Tensor> lifted = List.of(xs.get(0).reshape(Shape.of(prepend(1, shape.dims()))), xs.get(1), xs.get(2));
    for (MergeMode mode : MergeMode.values()) {
      if (!mode.acceptsInputs(3)) {
        continue;
      }
      for (KernelProvider kp : providers()) {
        Merge m = KernelProvider.building(kp, mode::newMerge);
        Tensor y = m.forward(xs);
        Tensor g = Tensor.uniform(y.shape(), -1, 1, seed + 7);
        List<Tensor> gs = m.backward(g);
        String id = mode + " " + kp + " " + shape;
        if (mode.rule().elementwise()) {
          Merge general = KernelProvider.building(kp, mode::newMerge);
          Tensor yg = general.forward(lifted);
          List<Tensor> ggs = general.backward(g.reshape(yg.shape()));
          Conformance.assertClose(id + " y vs the general path", yg.reshape(shape), y, 1e-6);
          for (int t = 0; t < 3; t++) {
            Conformance.assertClose(id + " g" + t + " vs the general path", ggs.get(t).reshape(shape), gs.get(t), 1e-6);
          }
        }
        ElementDefinition definition = DEFINITIONS.get(mode);
        for (int j = 0; definition != null && j < n; j++) {
          double[] v = {xs.get(0).data()[j], xs.get(1).data()[j], xs.get(2).data()[j]};
          for (int t = -1; t < 3; t++) {
            float actual = t < 0 ? y.data()[j] : gs.get(t).data()[j];
            assertEquals(definition.at(v, g.data()[j], t), actual, 1e-6, id + (t < 0 ? " y" : " g" + t) + " at " + j);
          }
        }
        if (!large(xs)) {
          // Finite differences need distinct values (no kinks): a shuffled grid 0.03 apart.
          List<Tensor> ds = List.of(Tensor.zeros(shape), Tensor.zeros(shape), Tensor.zeros(shape));
          spreadDistinct(ds, r);
          List<String> names = List.of("x0", "x1", "x2");
          GradCheck.Report rep = GradCheck.checkFunction(names, ds, () -> m.forward(ds), m::backward, 5e-3, 100, seed);
          assertTrue(rep.passed(1e-2), () -> id + " seed " + seed + "\n" + rep);
        }
      }
    }
  }

  static int[] prepend(int first, int[] dims) {
    int[] d = new int[dims.length + 1];
    d[0] = first;
    System.arraycopy(dims, 0, d, 1, dims.length);
    return d;
  }

  /** CHCAT of three inputs of one shape, large and small: each image's channels in input order, each gradient its slice. */
  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#fewSeeds")
  void chcatOfThreeInputsStacksEachImagesChannels(long seed) {
    List<Tensor> xs = threeInputs(new SplittableRandom(seed));
    Shape shape = xs.get(0).shape();
    int n = shape.size();
    int inner = n / shape.dim(0);
    for (KernelProvider kp : providers()) {
      Merge m = KernelProvider.building(kp, MergeMode.CHCAT::newMerge);
      Tensor y = m.forward(xs);
      Tensor g = Tensor.uniform(y.shape(), -1, 1, seed + 7);
      List<Tensor> gs = m.backward(g);
      String id = "CHCAT " + kp + " " + shape;
      for (int j = 0; j < n; j++) {
        int img = j / inner;
        for (int t = 0; t < 3; t++) {
          int o = (img * 3 + t) * inner + j % inner;
          assertEquals(xs.get(t).data()[j], y.data()[o], 0, id + " y at " + o);
          assertEquals(g.data()[o], gs.get(t).data()[j], 0, id + " g" + t + " at " + j);
        }
      }
    }
  }
}

package org.autoprop.graph;

import static org.autoprop.testing.TestTensors.maxAbsDiff;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.autoprop.io.SafeTensors;
import org.autoprop.kernel.KernelProvider;
import org.autoprop.layer.GradCheck;
import org.autoprop.layer.Merge;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.testing.Conformance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every merge mode: PyTorch conformance, finite differences over random shapes, ties, errors, reuse. */
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
      Merge m = new Merge(mode.op(), kp);
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

  /** Random inputs for {@code mode}: broadcast shapes for the elementwise modes; distinct, spaced values for MAX/MIN. */
  static List<Tensor> randomInputs(MergeMode mode, SplittableRandom r) {
    List<Tensor> xs = new ArrayList<>();
    int k = mode == MergeMode.DOT ? 2 : 1 + r.nextInt(4);
    int rank = 1 + r.nextInt(4);
    int[] base = new int[rank];
    for (int a = 0; a < rank; a++) {
      base[a] = 1 + r.nextInt(4);
    }
    switch (mode) {
      case DOT: {
        int rk = Math.max(2, rank);
        int[] a = new int[rk];
        int[] b = new int[rk];
        for (int i = 0; i < rk - 2; i++) {
          a[i] = b[i] = 1 + r.nextInt(3);
        }
        a[rk - 2] = 1 + r.nextInt(5);
        a[rk - 1] = b[rk - 2] = 1 + r.nextInt(5);
        b[rk - 1] = 1 + r.nextInt(5);
        xs.add(Tensor.uniform(Shape.of(a), -1, 1, r.nextLong()));
        xs.add(Tensor.uniform(Shape.of(b), -1, 1, r.nextLong()));
        return xs;
      }
      case CHCAT: {
        int rk = Math.max(2, rank);
        for (int i = 0; i < k; i++) {
          int[] d = new int[rk];
          for (int a = 0; a < rk; a++) {
            d[a] = a < rank ? base[a] : 2;
          }
          d[1] = 1 + r.nextInt(4);
          xs.add(Tensor.uniform(Shape.of(d), -1, 1, r.nextLong()));
        }
        return xs;
      }
      default:
        for (int i = 0; i < k; i++) {
          int drop = r.nextInt(4) == 0 ? r.nextInt(rank) : 0;
          int[] d = new int[rank - drop];
          for (int a = drop; a < rank; a++) {
            d[a - drop] = r.nextInt(3) == 0 ? 1 : base[a];
          }
          xs.add(Tensor.uniform(Shape.of(d), -1, 1, r.nextLong()));
        }
        if (mode == MergeMode.MAX || mode == MergeMode.MIN) {
          spreadDistinct(xs, r);
        }
        return xs;
    }
  }

  /** Gives every element of every input a distinct value, 0.03 apart (far beyond GradCheck's step). */
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
        () -> Merge.outputShape(Merge.Op.HADAMARD, List.of(Shape.of(2, 8, 4, 4), Shape.of(2, 8))));
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
      Merge max = new Merge(Merge.Op.MAX, kp);
      max.forward(List.of(a, b, c));
      List<Tensor> gs = max.backward(g);
      assertArray(new float[] {3, 3, 2, 2, 3, 3, 0}, gs.get(0));
      assertArray(new float[] {3, 0, 2, 2, 0, 3, 3}, gs.get(1));
      assertArray(new float[] {0, 3, 2, 2, 3, 0, 3}, gs.get(2));

      Merge min = new Merge(Merge.Op.MIN, kp);
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
      Merge s = new Merge(mode.op(), KernelProvider.scalar());
      Merge v = new Merge(mode.op(), KernelProvider.vector());
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

  /**
   * Three inputs of one shape take the one-pass kernels (split over the engine pool when large):
   * output and gradients against the definitions in double precision, ties included, both kernel
   * sets; small ones also against finite differences.
   */
  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#fewSeeds")
  void threeEqualInputsMatchTheDefinitions(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
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
    int n = shape.size();
    for (MergeMode mode : MergeMode.values()) {
      if (mode == MergeMode.DOT) {
        continue;
      }
      for (KernelProvider kp : providers()) {
        Merge m = new Merge(mode.op(), kp);
        Tensor y = m.forward(xs);
        Tensor g = Tensor.uniform(y.shape(), -1, 1, seed + 7);
        List<Tensor> gs = m.backward(g);
        String id = mode + " " + kp + " " + shape;
        for (int j = 0; j < n; j++) {
          double a = xs.get(0).data()[j];
          double b = xs.get(1).data()[j];
          double c = xs.get(2).data()[j];
          double[] v = {a, b, c};
          if (mode == MergeMode.CHCAT) {
            int inner = n / shape.dim(0);
            int img = j / inner;
            for (int t = 0; t < 3; t++) {
              int o = (img * 3 + t) * inner + j % inner;
              assertEquals(v[t], y.data()[o], 0, id + " y at " + o);
              assertEquals(g.data()[o], gs.get(t).data()[j], 0, id + " g" + t + " at " + j);
            }
            continue;
          }
          double gj = g.data()[j];
          double e = mode == MergeMode.MAX ? Math.max(a, Math.max(b, c)) : Math.min(a, Math.min(b, c));
          int ties = (a == e ? 1 : 0) + (b == e ? 1 : 0) + (c == e ? 1 : 0);
          for (int t = -1; t < 3; t++) {
            double expected;
            switch (mode) {
              case SUM:
                expected = t < 0 ? a + b + c : gj;
                break;
              case SUB:
                expected = t < 0 ? a - b - c : t == 0 ? gj : -gj;
                break;
              case AVG:
                expected = t < 0 ? (a + b + c) / 3 : gj / 3;
                break;
              case HADAMARD:
                expected = t < 0 ? a * b * c : gj * v[(t + 1) % 3] * v[(t + 2) % 3];
                break;
              default:
                expected = t < 0 ? e : v[t] == e ? gj / ties : 0;
            }
            float actual = t < 0 ? y.data()[j] : gs.get(t).data()[j];
            assertEquals(expected, actual, 1e-6, id + (t < 0 ? " y" : " g" + t) + " at " + j);
          }
        }
        if (!large) {
          // Finite differences need distinct values (no kinks): a shuffled grid 0.03 apart.
          List<Tensor> ds = new ArrayList<>();
          int[] perm = r.ints(0, 1 << 30).distinct().limit(3L * n).toArray();
          int[] rank = java.util.stream.IntStream.range(0, 3 * n).boxed()
              .sorted(java.util.Comparator.comparingInt(q -> perm[q])).mapToInt(Integer::intValue).toArray();
          for (int t = 0; t < 3; t++) {
            Tensor x = Tensor.zeros(shape);
            for (int j = 0; j < n; j++) {
              x.data()[j] = 0.03f * (rank[t * n + j] - 1.5f * n);
            }
            ds.add(x);
          }
          List<String> names = List.of("x0", "x1", "x2");
          GradCheck.Report rep = GradCheck.checkFunction(names, ds, () -> m.forward(ds), m::backward, 5e-3, 100, seed);
          assertTrue(rep.passed(1e-2), () -> id + " seed " + seed + "\n" + rep);
        }
      }
    }
  }
}

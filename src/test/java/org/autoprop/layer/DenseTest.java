package org.autoprop.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.autoprop.io.SafeTensors;
import org.autoprop.kernel.KernelProvider;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.testing.Conformance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Dense against PyTorch, the definition, finite differences, the scalar kernels, and bad inputs. */
class DenseTest {

  @Test
  void matchesPyTorch() {
    SafeTensors st = Conformance.load("dense");
    int in = Integer.parseInt(st.metadata().get("in_features"));
    int out = Integer.parseInt(st.metadata().get("out_features"));
    for (KernelProvider kernels : new KernelProvider[] {KernelProvider.scalar(), KernelProvider.vector()}) {
      Dense dense = KernelProvider.building(kernels, () -> new Dense(in, out));
      dense.weight().value().copyFrom(st.tensor("weight"));
      dense.bias().value().copyFrom(st.tensor("bias"));
      String what = "dense on " + kernels.description();
      Conformance.assertClose(what + ": y", st.tensor("y"), dense.forward(st.tensor("x"), true));
      Conformance.assertClose(what + ": gx", st.tensor("gx"), dense.backward(st.tensor("gy")));
      Conformance.assertClose(what + ": grad.weight", st.tensor("grad.weight"), dense.weight().grad());
      Conformance.assertClose(what + ": grad.bias", st.tensor("grad.bias"), dense.bias().grad());
    }
  }

  /** nn.Linear(5, 4) on [2, 3, 5]: the last axis, the leading ones as rows. */
  @Test
  void matchesPyTorchOnASequence() {
    SafeTensors st = Conformance.load("dense_3d");
    for (KernelProvider kernels : new KernelProvider[] {KernelProvider.scalar(), KernelProvider.vector()}) {
      Dense dense = KernelProvider.building(kernels, () -> new Dense(5, 4));
      dense.weight().value().copyFrom(st.tensor("weight"));
      dense.bias().value().copyFrom(st.tensor("bias"));
      String what = "dense_3d on " + kernels.description();
      Conformance.assertClose(what + ": y", st.tensor("y"), dense.forward(st.tensor("x"), true));
      Conformance.assertClose(what + ": gx", st.tensor("gx"), dense.backward(st.tensor("gy")));
      Conformance.assertClose(what + ": grad.weight", st.tensor("grad.weight"), dense.weight().grad());
      Conformance.assertClose(what + ": grad.bias", st.tensor("grad.bias"), dense.bias().grad());
    }
  }

  /**
   * On [N, T, in] and [N, A, T, in] the layer is the [rows, in] layer on the leading axes
   * flattened (the same bits), and its gradients pass finite differences.
   */
  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#seeds")
  void higherRanksAreRowsOfTheLastAxis(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int in = 1 + r.nextInt(7);
    int out = 1 + r.nextInt(7);
    int[] dims = r.nextBoolean() ? new int[] {1 + r.nextInt(3), 1 + r.nextInt(5), in}
        : new int[] {1 + r.nextInt(2), 1 + r.nextInt(3), 1 + r.nextInt(3), in};
    Shape shape = Shape.of(dims);
    int rows = shape.size() / in;
    boolean bias = r.nextBoolean();
    Dense seq = Dense.builder(in, out).bias(bias).seed(seed).build();
    Dense flat = Dense.builder(in, out).bias(bias).seed(seed).build();
    if (bias) {
      Tensor b = Tensor.uniform(Shape.of(out), -1, 1, seed + 1);
      seq.bias().value().copyFrom(b);
      flat.bias().value().copyFrom(b);
    }
    Tensor x = Tensor.uniform(shape, -1, 1, seed + 2);
    Tensor y = seq.forward(x, true);
    dims[dims.length - 1] = out;
    assertEquals(Shape.of(dims), y.shape());
    assertEquals(2L * rows * in * out, seq.flops(shape));
    org.junit.jupiter.api.Assertions.assertArrayEquals(flat.forward(x.reshape(rows, in), true).toArray(), y.toArray());
    Tensor gy = Tensor.uniform(y.shape(), -1, 1, seed + 3);
    Tensor gx = seq.backward(gy);
    assertEquals(shape, gx.shape());
    org.junit.jupiter.api.Assertions.assertArrayEquals(flat.backward(gy.reshape(rows, out)).toArray(), gx.toArray());
    org.junit.jupiter.api.Assertions.assertArrayEquals(flat.weight().grad().toArray(), seq.weight().grad().toArray());
    GradCheck.Report report = GradCheck.forLayer(seq).seed(seed).check(x);
    assertTrue(report.passed(), report::toString);
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#seeds")
  void forwardMatchesTheDefinitionAndBackwardMatchesFiniteDifferences(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int n = 1 + r.nextInt(4);
    int in = 1 + r.nextInt(9);
    int out = 1 + r.nextInt(9);
    boolean bias = r.nextBoolean();
    Dense dense = Dense.builder(in, out).bias(bias).seed(seed).build();
    if (bias) {
      dense.bias().value().copyFrom(Tensor.uniform(Shape.of(out), -1, 1, seed + 1));
    }
    Tensor x = Tensor.uniform(Shape.of(n, in), -1, 1, seed + 2);
    Tensor y = dense.forward(x, true);
    for (int i = 0; i < n; i++) {
      for (int o = 0; o < out; o++) {
        double s = bias ? dense.bias().value().get(o) : 0;
        for (int k = 0; k < in; k++) {
          s += (double) x.get(i, k) * dense.weight().value().get(o, k);
        }
        assertEquals(s, y.get(i, o), 1e-5 * (1 + Math.abs(s)), "y[" + i + ", " + o + "]");
      }
    }
    GradCheck.Report report = GradCheck.forLayer(dense).seed(seed).check(x);
    assertEquals(bias ? 3 : 2, report.entries().size());
    assertTrue(report.passed(1e-2), report::toString);
  }

  /** Large enough to take the parallel path (row blocks), compared with the scalar layer. */
  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#fewSeeds")
  void vectorAndParallelMatchScalar(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int n = 1 + r.nextInt(70);
    int in = 1 + r.nextInt(100);
    int out = 1 + r.nextInt(100);
    Dense scalar = KernelProvider.building(KernelProvider.scalar(), () -> Dense.builder(in, out).seed(seed).build());
    Dense vector = KernelProvider.building(KernelProvider.vector(), () -> Dense.builder(in, out).seed(seed).build());
    Tensor b = Tensor.uniform(Shape.of(out), -1, 1, seed);
    scalar.bias().value().copyFrom(b);
    vector.bias().value().copyFrom(b);
    Tensor x = Tensor.uniform(Shape.of(n, in), -1, 1, seed + 1);
    String what = n + "x" + in + "->" + out;
    Conformance.assertClose(what + " y", scalar.forward(x, true), vector.forward(x, true), 1e-5);
    Tensor gy = Tensor.uniform(Shape.of(n, out), -1, 1, seed + 2);
    Conformance.assertClose(what + " gx", scalar.backward(gy), vector.backward(gy), 1e-5);
    Conformance.assertClose(what + " gw", scalar.weight().grad(), vector.weight().grad(), 1e-5);
    Conformance.assertClose(what + " gb", scalar.bias().grad(), vector.bias().grad(), 1e-5);
    // The definitions, in double: gx = gy W, gW = gy^T x, gb = column sums of gy.
    Tensor w = vector.weight().value();
    Tensor gx = vector.backward(gy);
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < in; k++) {
        double s = 0;
        for (int o = 0; o < out; o++) {
          s += (double) gy.get(i, o) * w.get(o, k);
        }
        assertEquals(s, gx.get(i, k), 1e-5 * (1 + out), what + " gx[" + i + ", " + k + "]");
      }
    }
    for (int o = 0; o < out; o++) {
      double sb = 0;
      for (int i = 0; i < n; i++) {
        sb += gy.get(i, o);
      }
      assertEquals(2 * sb, vector.bias().grad().get(o), 1e-5 * (1 + n), what + " gb[" + o + "] after two backwards");
      for (int k = 0; k < in; k++) {
        double s = 0;
        for (int i = 0; i < n; i++) {
          s += (double) gy.get(i, o) * x.get(i, k);
        }
        assertEquals(2 * s, vector.weight().grad().get(o, k), 1e-5 * (1 + n), what + " gW[" + o + ", " + k + "] after two backwards");
      }
    }
  }

  @Test
  void buffersAreReusedAndABatchChangeWorks() {
    Dense dense = Dense.builder(5, 3).seed(1).build();
    Tensor x = Tensor.uniform(Shape.of(4, 5), -1, 1, 2);
    Tensor y1 = dense.forward(x, true);
    Tensor g1 = dense.backward(Tensor.uniform(Shape.of(4, 3), -1, 1, 3));
    float[] firstRow = y1.slice(0, 0, 1).contiguous().toArray();
    assertSame(y1, dense.forward(x, true));
    assertSame(g1, dense.backward(Tensor.uniform(Shape.of(4, 3), -1, 1, 3)));
    Tensor y2 = dense.forward(x.slice(0, 0, 1), true);
    assertEquals(Shape.of(1, 3), y2.shape());
    for (int i = 0; i < 3; i++) {
      assertEquals(firstRow[i], y2.getFlat(i), 1e-6);
    }
  }

  @Test
  void defaultsAndMetadata() {
    Dense dense = new Dense(12, 5);
    assertEquals("Dense", dense.typeName());
    assertEquals(Shape.of(5, 12), dense.weight().value().shape());
    assertEquals(0, dense.bias().value().maxAbs());
    assertTrue(dense.weight().value().maxAbs() <= Math.sqrt(6.0 / 12));
    assertTrue(dense.weight().value().maxAbs() > 0);
    assertEquals(2L * 7 * 12 * 5, dense.flops(Shape.of(7, 12)));
    assertEquals(1, Dense.builder(2, 2).bias(false).build().parameters().size());
    Tensor xavier = Dense.builder(40, 60).initializer(Initializer.XAVIER_UNIFORM).seed(3).build().weight().value();
    assertTrue(xavier.maxAbs() <= Math.sqrt(6.0 / 100));
  }

  @Test
  void rejectsBadInputs() {
    Dense dense = new Dense(10, 7);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> dense.forward(Tensor.zeros(4, 9), true));
    assertEquals("Dense(10->7): input [4, 9] has 9 features (expected: 10, [..., 10])", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> dense.forward(Tensor.zeros(4, 10, 1), true));
    assertEquals("Dense(10->7): input [4, 10, 1] has 1 features (expected: 10, [..., 10])", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> dense.forward(Tensor.zeros(10), true));
    assertEquals("Dense(10->7): input [10] has rank 1 (expected: >= 2, [..., 10])", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new Dense(0, 3));
    assertTrue(e.getMessage().contains("Dense(0->3): features 0->3 (expected: >= 1 each)"), e.getMessage());
    dense.forward(Tensor.zeros(4, 10), true);
    e = assertThrows(IllegalArgumentException.class, () -> dense.backward(Tensor.zeros(4, 6)));
    assertTrue(e.getMessage().contains("Dense(10->7): gradient [4, 6] (expected: [4, 7]"), e.getMessage());
    IllegalStateException s = assertThrows(IllegalStateException.class, () -> new Dense(1, 1).backward(Tensor.zeros(1, 1)));
    assertTrue(s.getMessage().contains("Dense(1->1): backward called before forward"), s.getMessage());
  }
}

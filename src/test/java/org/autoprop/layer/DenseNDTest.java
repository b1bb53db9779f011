package org.autoprop.layer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
import org.junit.jupiter.params.provider.ValueSource;

/**
 * DenseND against PyTorch's definition ({@code linear(x.movedim(axis, -1)).movedim(-1, axis)}),
 * the same definition computed here in double, finite differences, the scalar kernels and the
 * parallel split, and bad inputs.
 */
class DenseNDTest {

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"dense_nd_axis1", "dense_nd_axis-2_nobias"})
  void matchesPyTorch(String file) {
    SafeTensors st = Conformance.load(file);
    int in = Integer.parseInt(st.metadata().get("in_features"));
    int out = Integer.parseInt(st.metadata().get("out_features"));
    int axis = Integer.parseInt(st.metadata().get("axis"));
    boolean bias = !"False".equals(st.metadata().get("bias"));
    for (KernelProvider kernels : new KernelProvider[] {KernelProvider.scalar(), KernelProvider.vector()}) {
      DenseND layer = KernelProvider.building(kernels, () -> DenseND.builder(in, out, axis).bias(bias).build());
      layer.weight().value().copyFrom(st.tensor("weight"));
      if (bias) {
        layer.bias().value().copyFrom(st.tensor("bias"));
      }
      String what = file + " on " + kernels.description();
      Conformance.assertClose(what + ": y", st.tensor("y"), layer.forward(st.tensor("x"), true));
      Conformance.assertClose(what + ": gx", st.tensor("gx"), layer.backward(st.tensor("gy")));
      Conformance.assertClose(what + ": grad.weight", st.tensor("grad.weight"), layer.weight().grad());
      if (bias) {
        Conformance.assertClose(what + ": grad.bias", st.tensor("grad.bias"), layer.bias().grad());
      }
    }
  }

  /** y[a, o, b] = bias[o] + sum_i W[o, i] x[a, i, b], in double; gradients by finite differences. */
  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#seeds")
  void matchesTheDefinitionOnAnyAxis(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int rank = 2 + r.nextInt(3);
    int[] dims = new int[rank];
    for (int i = 0; i < rank; i++) {
      dims[i] = 1 + r.nextInt(4);
    }
    int a = 1 + r.nextInt(rank - 1);
    int axis = r.nextBoolean() ? a : a - rank;
    int in = dims[a];
    int out = 1 + r.nextInt(5);
    boolean bias = r.nextBoolean();
    DenseND layer = DenseND.builder(in, out, axis).bias(bias).seed(seed).build();
    if (bias) {
      layer.bias().value().copyFrom(Tensor.uniform(Shape.of(out), -1, 1, seed + 1));
    }
    Shape shape = Shape.of(dims);
    Tensor x = Tensor.uniform(shape, -1, 1, seed + 2);
    Tensor y = layer.forward(x, true);
    assertEquals(shape.withDim(a, out), y.shape());
    int blocks = shape.sizeOf(0, a);
    int inner = shape.sizeOf(a + 1, rank);
    Tensor w = layer.weight().value();
    for (int p = 0; p < blocks; p++) {
      for (int o = 0; o < out; o++) {
        for (int q = 0; q < inner; q++) {
          double s = bias ? layer.bias().value().getFlat(o) : 0;
          for (int i = 0; i < in; i++) {
            s += (double) w.get(o, i) * x.getFlat((p * in + i) * inner + q);
          }
          assertEquals(s, y.getFlat((p * out + o) * inner + q), 1e-5 * (1 + Math.abs(s)), "y at " + p + ", " + o + ", " + q);
        }
      }
    }
    assertEquals(2L * blocks * inner * in * out, layer.flops(shape));
    GradCheck.Report report = GradCheck.forLayer(layer).seed(seed).check(x);
    assertEquals(bias ? 3 : 2, report.entries().size());
    assertTrue(report.passed(), report::toString);
  }

  /** Large enough for the parallel split; the vector kernels against the scalar ones, twice (accumulation). */
  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#fewSeeds")
  void vectorAndParallelMatchScalar(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int n = 1 + r.nextInt(8);
    int in = 1 + r.nextInt(60);
    int out = 1 + r.nextInt(60);
    int len = 1 + r.nextInt(40);
    DenseND scalar = KernelProvider.building(KernelProvider.scalar(), () -> DenseND.builder(in, out, 1).seed(seed).build());
    DenseND vector = KernelProvider.building(KernelProvider.vector(), () -> DenseND.builder(in, out, 1).seed(seed).build());
    Tensor b = Tensor.uniform(Shape.of(out), -1, 1, seed);
    scalar.bias().value().copyFrom(b);
    vector.bias().value().copyFrom(b);
    Tensor x = Tensor.uniform(Shape.of(n, in, len), -1, 1, seed + 1);
    Tensor gy = Tensor.uniform(Shape.of(n, out, len), -1, 1, seed + 2);
    String what = n + "x" + in + "x" + len + "->" + out;
    for (int pass = 0; pass < 2; pass++) {
      Conformance.assertClose(what + " y", scalar.forward(x, true), vector.forward(x, true), 1e-5);
      Conformance.assertClose(what + " gx", scalar.backward(gy), vector.backward(gy), 1e-5);
    }
    Conformance.assertClose(what + " gw", scalar.weight().grad(), vector.weight().grad(), 1e-5);
    Conformance.assertClose(what + " gb", scalar.bias().grad(), vector.bias().grad(), 1e-5);
  }

  /** On the last axis it is Dense, bit for bit. */
  @Test
  void onTheLastAxisItIsDense() {
    DenseND nd = DenseND.builder(6, 4, -1).seed(3).build();
    Dense dense = Dense.builder(6, 4).seed(3).build();
    Tensor b = Tensor.uniform(Shape.of(4), -1, 1, 4);
    nd.bias().value().copyFrom(b);
    dense.bias().value().copyFrom(b);
    Tensor x = Tensor.uniform(Shape.of(2, 3, 6), -1, 1, 5);
    assertArrayEquals(dense.forward(x, true).toArray(), nd.forward(x, true).toArray());
    Tensor gy = Tensor.uniform(Shape.of(2, 3, 4), -1, 1, 6);
    assertArrayEquals(dense.backward(gy).toArray(), nd.backward(gy).toArray());
    assertArrayEquals(dense.weight().grad().toArray(), nd.weight().grad().toArray());
    assertArrayEquals(dense.bias().grad().toArray(), nd.bias().grad().toArray());
  }

  @Test
  void defaultsAndMetadata() {
    DenseND layer = new DenseND(12, 5, 1);
    assertEquals("DenseND", layer.typeName());
    assertEquals("DenseND(12->5, axis=1)", layer.toString());
    assertEquals(1, layer.axis());
    assertEquals(Shape.of(5, 12), layer.weight().value().shape());
    assertEquals(Shape.of(5), layer.bias().value().shape());
    assertEquals(0, layer.bias().value().maxAbs());
    assertTrue(layer.weight().value().maxAbs() <= Math.sqrt(6.0 / 12));
    assertEquals(1, DenseND.builder(2, 2, 1).bias(false).build().parameters().size());
    assertArrayEquals(DenseND.builder(3, 4, 1).seed(9).build().weight().value().toArray(),
        Dense.builder(3, 4).seed(9).build().weight().value().toArray(), "Dense's initialization and seeds");
  }

  @Test
  void rejectsBadInputs() {
    DenseND layer = new DenseND(3, 4, 1);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> layer.forward(Tensor.zeros(2, 5, 7), true));
    assertEquals("DenseND(3->4, axis=1): input [2, 5, 7] has 5 features on axis 1 (expected: 3)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> layer.forward(Tensor.zeros(3), true));
    assertEquals("DenseND(3->4, axis=1): input [3] has rank 1 (expected: >= 2, for axis 1 beyond the batch axis)",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new DenseND(3, 4, -3).forward(Tensor.zeros(3, 3), true));
    assertEquals("DenseND(3->4, axis=-3): input [3, 3] has rank 2 (expected: >= 4, for axis -3 beyond the batch axis)",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new DenseND(3, 4, 0));
    assertEquals("DenseND(3->4, axis=0): axis 0 is the batch axis (expected: an axis >= 1 or < 0)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new DenseND(0, 4, 1));
    assertEquals("DenseND(0->4, axis=1): features 0->4 (expected: >= 1 each)", e.getMessage());
    layer.forward(Tensor.zeros(2, 3, 5), true);
    e = assertThrows(IllegalArgumentException.class, () -> layer.backward(Tensor.zeros(2, 3, 5)));
    assertEquals("DenseND(3->4, axis=1): gradient [2, 3, 5] (expected: [2, 4, 5], the shape of the latest output)",
        e.getMessage());
  }
}

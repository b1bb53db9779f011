package org.autoprop.layer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
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

/** LayerNorm against PyTorch, the definition in double, finite differences, the scalar kernels, and bad inputs. */
class LayerNormTest {
  static final KernelProvider[] PROVIDERS = {KernelProvider.scalar(), KernelProvider.vector()};

  static int[] dims(String csv) {
    return Arrays.stream(csv.split(",")).mapToInt(Integer::parseInt).toArray();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"layernorm_last", "layernorm_last2", "layernorm_noaffine"})
  void matchesPyTorch(String file) {
    SafeTensors st = Conformance.load(file);
    int[] normalized = dims(st.metadata().get("normalized_shape"));
    boolean affine = Boolean.parseBoolean(st.metadata().get("elementwise_affine"));
    double eps = Double.parseDouble(st.metadata().get("eps"));
    for (KernelProvider kernels : PROVIDERS) {
      LayerNorm ln = KernelProvider.building(kernels,
          () -> LayerNorm.builder(normalized).eps(eps).affine(affine).build());
      if (affine) {
        ln.weight().value().copyFrom(st.tensor("weight"));
        ln.bias().value().copyFrom(st.tensor("bias"));
      }
      String what = file + " on " + kernels.description();
      Conformance.assertClose(what + ": y", st.tensor("y"), ln.forward(st.tensor("x"), true));
      Conformance.assertClose(what + ": gx", st.tensor("gx"), ln.backward(st.tensor("gy")));
      if (affine) {
        Conformance.assertClose(what + ": grad.weight", st.tensor("grad.weight"), ln.weight().grad());
        Conformance.assertClose(what + ": grad.bias", st.tensor("grad.bias"), ln.bias().grad());
      }
    }
  }

  /** A random shape of rank 1..4 whose last k axes (1..rank) are normalized. */
  static int[][] randomShape(SplittableRandom r) {
    int rank = 1 + r.nextInt(4);
    int[] shape = new int[rank];
    for (int i = 0; i < rank; i++) {
      shape[i] = 1 + r.nextInt(i == rank - 1 ? 9 : 4);
    }
    int k = 1 + r.nextInt(rank);
    if (rank == 1 || k == rank) {
      shape[rank - 1] = Math.max(shape[rank - 1], 2); // a single element has no variance to check
    }
    return new int[][] {shape, Arrays.copyOfRange(shape, rank - k, rank)};
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#seeds")
  void forwardMatchesTheDefinitionAndBackwardMatchesFiniteDifferences(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int[][] s = randomShape(r);
    boolean affine = r.nextBoolean();
    LayerNorm ln = LayerNorm.builder(s[1]).affine(affine).build();
    if (affine) {
      ln.weight().value().copyFrom(Tensor.uniform(Shape.of(s[1]), 0.5f, 1.5f, seed + 1));
      ln.bias().value().copyFrom(Tensor.uniform(Shape.of(s[1]), -1, 1, seed + 2));
    }
    Tensor x = Tensor.uniform(Shape.of(s[0]), -1, 3, seed + 3);
    Tensor y = ln.forward(x, true);
    int d = Shape.of(s[1]).size() > 0 ? (int) Shape.of(s[1]).size() : 1;
    float[] xs = x.contiguous().toArray();
    float[] ys = y.contiguous().toArray();
    float[] w = affine ? ln.weight().value().toArray() : null;
    float[] b = affine ? ln.bias().value().toArray() : null;
    for (int row = 0; row < xs.length / d; row++) {
      double mean = 0;
      for (int j = 0; j < d; j++) {
        mean += xs[row * d + j];
      }
      mean /= d;
      double var = 0;
      for (int j = 0; j < d; j++) {
        var += (xs[row * d + j] - mean) * (xs[row * d + j] - mean);
      }
      var /= d;
      for (int j = 0; j < d; j++) {
        double want = (xs[row * d + j] - mean) / Math.sqrt(var + 1e-5) * (affine ? w[j] : 1) + (affine ? b[j] : 0);
        assertEquals(want, ys[row * d + j], 1e-5 * (1 + Math.abs(want)), "y row " + row + " at " + j);
      }
    }
    GradCheck.Report report = GradCheck.forLayer(ln).seed(seed).check(x);
    assertEquals(affine ? 3 : 1, report.entries().size());
    assertTrue(report.passed(1e-2), report::toString);
  }

  /** Large enough for the parallel forward and the parts of the backward; against the scalar layer. */
  @ParameterizedTest(name = "d={0}")
  @ValueSource(ints = {7, 64, 100, 512})
  void vectorAndPartsMatchScalar(int d) {
    int rows = (1 << 16) / d + 3;
    LayerNorm scalar = KernelProvider.building(KernelProvider.scalar(), () -> new LayerNorm(d));
    LayerNorm vector = KernelProvider.building(KernelProvider.vector(), () -> new LayerNorm(d));
    Tensor w = Tensor.uniform(Shape.of(d), 0.5f, 1.5f, d);
    Tensor b = Tensor.uniform(Shape.of(d), -1, 1, d + 1);
    for (LayerNorm ln : new LayerNorm[] {scalar, vector}) {
      ln.weight().value().copyFrom(w);
      ln.bias().value().copyFrom(b);
    }
    Tensor x = Tensor.uniform(Shape.of(rows, d), -2, 2, d + 2);
    Tensor gy = Tensor.uniform(Shape.of(rows, d), -1, 1, d + 3);
    Conformance.assertClose("y", scalar.forward(x, true), vector.forward(x, true), 1e-5);
    Conformance.assertClose("gx", scalar.backward(gy), vector.backward(gy), 1e-5);
    Conformance.assertClose("grad.weight", scalar.weight().grad(), vector.weight().grad(), 1e-5);
    Conformance.assertClose("grad.bias", scalar.bias().grad(), vector.bias().grad(), 1e-5);
    // The bias gradient is the column sum of gy, in double.
    float[] g = gy.toArray();
    for (int j = 0; j < d; j++) {
      double s = 0;
      for (int i = 0; i < rows; i++) {
        s += g[i * d + j];
      }
      assertEquals(s, vector.bias().grad().getFlat(j), 1e-5 * rows, "grad.bias " + j);
    }
    // Twice the same step: the same bits (the sums' order depends on the shape alone).
    float[] first = vector.weight().grad().toArray();
    vector.zeroGrad();
    vector.forward(x, true);
    vector.backward(gy);
    assertArrayEquals(first, vector.weight().grad().toArray());
  }

  @Test
  void defaultsAndNames() {
    LayerNorm ln = new LayerNorm(5, 8);
    assertEquals(1e-5, ln.eps(), 1e-12);
    assertTrue(ln.affine());
    assertEquals(Shape.of(5, 8), ln.weight().value().shape());
    assertEquals(1f, ln.weight().value().getFlat(39));
    assertEquals(0, ln.bias().value().maxAbs());
    assertEquals("weight", ln.parameters().get(0).name());
    assertEquals("bias", ln.parameters().get(1).name());
    assertEquals("LayerNorm(5, 8)", ln.toString());
    assertEquals(0, LayerNorm.builder(3).affine(false).build().parameters().size());
    assertEquals(1e-6, LayerNorm.builder(3).eps(1e-6).build().eps(), 1e-12);
  }

  @Test
  void errorsNameTheLayerAndBothSides() {
    LayerNorm ln = new LayerNorm(5, 8);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ln.forward(Tensor.zeros(2, 8, 5), true));
    assertEquals("LayerNorm(5, 8): input [2, 8, 5] (expected: shape [*, 5, 8], ending in the normalized shape [5, 8])",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ln.forward(Tensor.zeros(8), true));
    assertEquals("LayerNorm(5, 8): input [8] (expected: shape [*, 5, 8], ending in the normalized shape [5, 8])",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new LayerNorm());
    assertEquals("LayerNorm: normalized shape [] (expected: at least one axis)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new LayerNorm(4, 0));
    assertEquals("LayerNorm: normalized shape [4, 0] (expected: every size >= 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> LayerNorm.builder(4).eps(0).build());
    assertEquals("LayerNorm: eps 0.0 (expected: finite and > 0 in float)", e.getMessage());
    IllegalStateException s = assertThrows(IllegalStateException.class,
        () -> LayerNorm.builder(4).affine(false).build().bias());
    assertEquals("LayerNorm(4, affine=false) has no bias (built with affine(false))", s.getMessage());
  }
}

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

/** RMSNorm against a float64 reference (tools/conformance/norms.py), finite differences, the scalar kernels, errors. */
class RMSNormTest {
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"rmsnorm_last", "rmsnorm_last2"})
  void matchesTheReference(String file) {
    SafeTensors st = Conformance.load(file);
    int[] normalized = LayerNormTest.dims(st.metadata().get("normalized_shape"));
    double eps = Double.parseDouble(st.metadata().get("eps"));
    for (KernelProvider kernels : LayerNormTest.PROVIDERS) {
      RMSNorm rms = KernelProvider.building(kernels, () -> RMSNorm.builder(normalized).eps(eps).build());
      rms.weight().value().copyFrom(st.tensor("weight"));
      String what = file + " on " + kernels.description();
      Conformance.assertClose(what + ": y", st.tensor("y"), rms.forward(st.tensor("x"), true));
      Conformance.assertClose(what + ": gx", st.tensor("gx"), rms.backward(st.tensor("gy")));
      Conformance.assertClose(what + ": grad.weight", st.tensor("grad.weight"), rms.weight().grad());
    }
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#seeds")
  void forwardMatchesTheDefinitionAndBackwardMatchesFiniteDifferences(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int[][] s = LayerNormTest.randomShape(r);
    boolean affine = r.nextBoolean();
    RMSNorm rms = RMSNorm.builder(s[1]).affine(affine).build();
    if (affine) {
      rms.weight().value().copyFrom(Tensor.uniform(Shape.of(s[1]), 0.5f, 1.5f, seed + 1));
    }
    Tensor x = Tensor.uniform(Shape.of(s[0]), -2, 2, seed + 3);
    float[] xs = x.toArray();
    float[] ys = rms.forward(x, true).toArray();
    int d = (int) Shape.of(s[1]).size();
    float[] w = affine ? rms.weight().value().toArray() : null;
    for (int row = 0; row < xs.length / d; row++) {
      double ss = 0;
      for (int j = 0; j < d; j++) {
        ss += (double) xs[row * d + j] * xs[row * d + j];
      }
      double is = 1 / Math.sqrt(ss / d + Math.ulp(1f));
      for (int j = 0; j < d; j++) {
        double want = xs[row * d + j] * is * (affine ? w[j] : 1);
        assertEquals(want, ys[row * d + j], 1e-5 * (1 + Math.abs(want)), "y row " + row + " at " + j);
      }
    }
    GradCheck.Report report = GradCheck.forLayer(rms).seed(seed).check(x);
    assertEquals(affine ? 2 : 1, report.entries().size());
    assertTrue(report.passed(1e-2), report::toString);
  }

  @ParameterizedTest(name = "d={0}")
  @ValueSource(ints = {9, 64, 512})
  void vectorAndPartsMatchScalar(int d) {
    int rows = (1 << 16) / d + 5;
    RMSNorm scalar = KernelProvider.building(KernelProvider.scalar(), () -> new RMSNorm(d));
    RMSNorm vector = KernelProvider.building(KernelProvider.vector(), () -> new RMSNorm(d));
    Tensor w = Tensor.uniform(Shape.of(d), 0.5f, 1.5f, d);
    scalar.weight().value().copyFrom(w);
    vector.weight().value().copyFrom(w);
    Tensor x = Tensor.uniform(Shape.of(rows, d), -2, 2, d + 2);
    Tensor gy = Tensor.uniform(Shape.of(rows, d), -1, 1, d + 3);
    Conformance.assertClose("y", scalar.forward(x, true), vector.forward(x, true), 1e-5);
    Conformance.assertClose("gx", scalar.backward(gy), vector.backward(gy), 1e-5);
    Conformance.assertClose("grad.weight", scalar.weight().grad(), vector.weight().grad(), 1e-5);
    float[] first = vector.weight().grad().toArray();
    vector.zeroGrad();
    vector.forward(x, true);
    vector.backward(gy);
    assertArrayEquals(first, vector.weight().grad().toArray());
  }

  @Test
  void defaultsAndErrors() {
    RMSNorm rms = new RMSNorm(4);
    assertEquals(Math.ulp(1f), rms.eps(), 0);
    assertEquals(1, rms.parameters().size());
    assertEquals("weight", rms.parameters().get(0).name());
    assertEquals("RMSNorm(4)", rms.toString());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> rms.forward(Tensor.zeros(2, 5), true));
    assertEquals("RMSNorm(4): input [2, 5] (expected: shape [*, 4], ending in the normalized shape [4])",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> RMSNorm.builder(4).eps(Double.NaN).build());
    assertEquals("RMSNorm: eps NaN (expected: finite and > 0 in float)", e.getMessage());
    IllegalStateException s = assertThrows(IllegalStateException.class,
        () -> RMSNorm.builder(4).affine(false).build().weight());
    assertEquals("RMSNorm(4, affine=false) has no weight (built with affine(false))", s.getMessage());
  }
}

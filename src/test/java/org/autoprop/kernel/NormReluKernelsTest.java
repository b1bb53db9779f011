package org.autoprop.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fused BatchNorm + ReLU kernels: vector against scalar on awkward sizes, and the scalar ones
 * against their definition (the unfused kernels with the ReLU applied or its mask on g).
 */
class NormReluKernelsTest {
  static final NormKernels SCALAR = KernelProvider.scalar().norm();
  static final NormKernels VECTOR = KernelProvider.vector().norm();

  /** spatial x channels 1..5 x batch 1..3. */
  static Stream<Arguments> sizes() {
    return IntStream.of(1, 7, 15, 16, 17, 31, 33, 100, 1021).boxed()
        .flatMap(s -> IntStream.rangeClosed(1, 5).boxed()
            .flatMap(c -> IntStream.rangeClosed(1, 3).mapToObj(b -> Arguments.of(s, c, b))));
  }

  static float[] random(SplittableRandom r, int n, double lo, double hi) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) (lo + r.nextDouble() * (hi - lo));
    }
    return a;
  }

  @ParameterizedTest(name = "spatial={0} channels={1} batch={2}")
  @MethodSource("sizes")
  void fusedKernelsMatchScalarAndDefinition(int spatial, int channels, int batch) {
    SplittableRandom r = new SplittableRandom(spatial * 31L + channels * 7L + batch);
    int size = batch * channels * spatial;
    int xOff = 3;
    int yOff = 1;
    int gOff = 2;
    int gxOff = 5;
    float[] x = random(r, xOff + size, -1, 1);
    // |scale| >= 0.5 against |shift| <= 0.3 on x in [-1, 1]: every channel has both signs.
    float[] scale = random(r, channels, 0.5, 2);
    for (int c = 0; c < channels; c++) {
      scale[c] *= r.nextBoolean() ? 1 : -1;
    }
    float[] shift = random(r, channels, -0.3, 0.3);
    int c0 = channels > 2 ? 1 : 0; // a channel range, leaving channel 0 untouched when there are several
    int c1 = channels;

    // scaleShiftRelu: vector == scalar == max(scaleShift, 0); outside the range untouched.
    float[] yS = random(r, yOff + size + 1, 5, 6);
    float[] yV = yS.clone();
    float[] plain = yS.clone();
    SCALAR.scaleShiftRelu(x, xOff, batch, channels, spatial, c0, c1, scale, shift, yS, yOff);
    VECTOR.scaleShiftRelu(x, xOff, batch, channels, spatial, c0, c1, scale, shift, yV, yOff);
    SCALAR.scaleShift(x, xOff, batch, channels, spatial, c0, c1, scale, shift, plain, yOff);
    int zeros = 0;
    for (int i = 0; i < yS.length; i++) {
      int at = i - yOff;
      boolean inRange = at >= 0 && at < size && (at / spatial) % channels >= c0;
      float expected = inRange ? Math.max(plain[i], 0f) : plain[i];
      assertEquals(expected, yS[i], 0f, "scalar scaleShiftRelu at " + i);
      assertEquals(yS[i], yV[i], 1e-6f * (1 + Math.abs(yS[i])), "vector scaleShiftRelu at " + i);
      zeros += inRange && yS[i] == 0f ? 1 : 0;
    }
    if (size * (c1 - c0) / channels >= 40) {
      assertEquals(true, zeros > 0, "the case exercises the mask");
    }
    // The fused kernels recompute the mask from x; the reference takes it from the fused output.
    float[] y = yS;

    // gradSumsRelu: vector == scalar == gradSums of the masked g.
    float[] g = random(r, gOff + size, -1, 1);
    float[] gMasked = g.clone();
    for (int i = 0; i < size; i++) {
      if (!(y[yOff + i] > 0f)) {
        gMasked[gOff + i] = 0f;
      }
    }
    float[] center = random(r, channels, -0.3, 0.3);
    double[] sgS = new double[channels];
    double[] sgxS = new double[channels];
    double[] sgV = new double[channels];
    double[] sgxV = new double[channels];
    double[] sgD = new double[channels];
    double[] sgxD = new double[channels];
    SCALAR.gradSumsRelu(g, gOff, x, xOff, batch, channels, spatial, c0, c1, scale, shift, center, sgS, sgxS);
    VECTOR.gradSumsRelu(g, gOff, x, xOff, batch, channels, spatial, c0, c1, scale, shift, center, sgV, sgxV);
    SCALAR.gradSums(gMasked, gOff, x, xOff, batch, channels, spatial, c0, c1, center, sgD, sgxD);
    double tol = 1e-6 * batch * spatial;
    for (int c = 0; c < channels; c++) {
      assertEquals(sgD[c], sgS[c], 1e-12, "scalar sumG c=" + c);
      assertEquals(sgxD[c], sgxS[c], 1e-12, "scalar sumGX c=" + c);
      assertEquals(sgS[c], sgV[c], tol, "vector sumG c=" + c);
      assertEquals(sgxS[c], sgxV[c], tol, "vector sumGX c=" + c);
    }

    // backwardMapRelu: vector == scalar == backwardMap of the masked g.
    float[] a = random(r, channels, -2, 2);
    float[] b = random(r, channels, -2, 2);
    float[] d = random(r, channels, -1, 1);
    float[] gxS = random(r, gxOff + size + 2, 5, 6);
    float[] gxV = gxS.clone();
    float[] gxD = gxS.clone();
    SCALAR.backwardMapRelu(g, gOff, x, xOff, batch, channels, spatial, c0, c1, scale, shift, a, b, center, d, gxS,
        gxOff);
    VECTOR.backwardMapRelu(g, gOff, x, xOff, batch, channels, spatial, c0, c1, scale, shift, a, b, center, d, gxV,
        gxOff);
    SCALAR.backwardMap(gMasked, gOff, x, xOff, batch, channels, spatial, c0, c1, a, b, center, d, gxD, gxOff);
    for (int i = 0; i < gxS.length; i++) {
      assertEquals(gxD[i], gxS[i], 0f, "scalar backwardMapRelu at " + i);
      assertEquals(gxS[i], gxV[i], 1e-6f * (1 + Math.abs(gxS[i])), "vector backwardMapRelu at " + i);
    }
  }

  @ParameterizedTest(name = "spatial={0} channels={1} batch={2}")
  @MethodSource("sizes")
  void unfusedKernelsMatchScalarOnShortRowsToo(int spatial, int channels, int batch) {
    // Rows shorter than a vector go to the scalar twin: the results must agree there as elsewhere.
    SplittableRandom r = new SplittableRandom(spatial * 17L + channels * 5L + batch);
    int size = batch * channels * spatial;
    if (batch * spatial < 2) {
      return; // no variance to speak of; moments are covered by NormKernelsTest
    }
    float[] x = random(r, size, 9, 11);
    double[] ms = new double[channels];
    double[] vs = new double[channels];
    double[] mv = new double[channels];
    double[] vv = new double[channels];
    SCALAR.moments(x, 0, batch, channels, spatial, 0, channels, ms, vs);
    VECTOR.moments(x, 0, batch, channels, spatial, 0, channels, mv, vv);
    for (int c = 0; c < channels; c++) {
      assertEquals(ms[c], mv[c], 1e-9 * Math.abs(ms[c]), "mean c=" + c);
      assertEquals(vs[c], vv[c], 1e-5 * vs[c] + 1e-9, "var c=" + c);
    }
  }
}

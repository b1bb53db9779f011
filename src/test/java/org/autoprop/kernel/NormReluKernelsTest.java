package org.autoprop.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.autoprop.kernel.vector.VectorKernelProvider;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fused BatchNorm + ReLU kernels: the scalar ones against their definition (the unfused
 * kernels with the ReLU applied or its mask on g), and the vector ones against the scalar ones on
 * every tail length of a row (rows shorter than a vector are the scalar code in both providers:
 * {@link VectorKernelProvider#scalarNormRows}).
 */
class NormReluKernelsTest extends KernelTwinTest<NormKernels> {
  NormReluKernelsTest() {
    super(KernelProvider::norm);
  }

  /** spatial x channels 1..5 x batch 1..3. */
  static Stream<Arguments> sizes() {
    return nonEmptyTailSizes().boxed()
        .flatMap(s -> IntStream.rangeClosed(1, 5).boxed()
            .flatMap(c -> IntStream.rangeClosed(1, 3).mapToObj(b -> Arguments.of(s, c, b))));
  }

  /** One case: inputs, the scalar results and their definitions. */
  static final class Case {
    final int spatial;
    final int channels;
    final int batch;
    final int size;
    final int xOff = 3;
    final int yOff = 1;
    final int gOff = 2;
    final int gxOff = 5;
    final int c0;
    final int c1;
    final float[] x;
    final float[] scale;
    final float[] shift;
    final float[] y0;
    final float[] g;
    final float[] center;
    final float[] a;
    final float[] b;
    final float[] d;
    final float[] gx0;

    Case(int spatial, int channels, int batch) {
      this.spatial = spatial;
      this.channels = channels;
      this.batch = batch;
      SplittableRandom r = new SplittableRandom(spatial * 31L + channels * 7L + batch);
      size = batch * channels * spatial;
      x = uniform(r, xOff + size, -1, 1);
      // |scale| >= 0.5 against |shift| <= 0.3 on x in [-1, 1]: every channel has both signs.
      scale = uniform(r, channels, 0.5, 2);
      for (int c = 0; c < channels; c++) {
        scale[c] *= r.nextBoolean() ? 1 : -1;
      }
      shift = uniform(r, channels, -0.3, 0.3);
      c0 = channels > 2 ? 1 : 0; // a channel range, leaving channel 0 untouched when there are several
      c1 = channels;
      y0 = uniform(r, yOff + size + 1, 5, 6);
      g = uniform(r, gOff + size, -1, 1);
      center = uniform(r, channels, -0.3, 0.3);
      a = uniform(r, channels, -2, 2);
      b = uniform(r, channels, -2, 2);
      d = uniform(r, channels, -1, 1);
      gx0 = uniform(r, gxOff + size + 2, 5, 6);
    }

    float[] scaleShiftRelu(NormKernels k) {
      float[] y = y0.clone();
      k.scaleShiftRelu(x, xOff, batch, channels, spatial, c0, c1, scale, shift, y, yOff);
      return y;
    }

    void gradSumsRelu(NormKernels k, double[] sumG, double[] sumGX) {
      k.gradSumsRelu(g, gOff, x, xOff, batch, channels, spatial, c0, c1, scale, shift, center, sumG, sumGX);
    }

    float[] backwardMapRelu(NormKernels k) {
      float[] gx = gx0.clone();
      k.backwardMapRelu(g, gOff, x, xOff, batch, channels, spatial, c0, c1, scale, shift, a, b, center, d, gx, gxOff);
      return gx;
    }

    boolean inRange(int at) {
      return at >= 0 && at < size && (at / spatial) % channels >= c0;
    }
  }

  @ParameterizedTest(name = "spatial={0} channels={1} batch={2}")
  @MethodSource("sizes")
  void scalarFusedKernelsMatchTheirDefinition(int spatial, int channels, int batch) {
    Case cs = new Case(spatial, channels, batch);
    NormKernels k = scalar;
    // scaleShiftRelu == max(scaleShift, 0); outside the range untouched.
    float[] y = cs.scaleShiftRelu(k);
    float[] plain = cs.y0.clone();
    k.scaleShift(cs.x, cs.xOff, batch, channels, spatial, cs.c0, cs.c1, cs.scale, cs.shift, plain, cs.yOff);
    int zeros = 0;
    for (int i = 0; i < y.length; i++) {
      boolean inRange = cs.inRange(i - cs.yOff);
      assertEquals(inRange ? Math.max(plain[i], 0f) : plain[i], y[i], 0f, "scaleShiftRelu at " + i);
      zeros += inRange && y[i] == 0f ? 1 : 0;
    }
    if (cs.size * (cs.c1 - cs.c0) / channels >= 40) {
      assertTrue(zeros > 0, "the case exercises the mask");
    }
    // The fused kernels recompute the mask from x; the definitions take it from the fused output.
    float[] gMasked = cs.g.clone();
    for (int i = 0; i < cs.size; i++) {
      if (!(y[cs.yOff + i] > 0f)) {
        gMasked[cs.gOff + i] = 0f;
      }
    }
    // gradSumsRelu == gradSums of the masked g.
    double[] sg = new double[channels];
    double[] sgx = new double[channels];
    double[] sgD = new double[channels];
    double[] sgxD = new double[channels];
    cs.gradSumsRelu(k, sg, sgx);
    k.gradSums(gMasked, cs.gOff, cs.x, cs.xOff, batch, channels, spatial, cs.c0, cs.c1, cs.center, sgD, sgxD);
    for (int c = 0; c < channels; c++) {
      assertEquals(sgD[c], sg[c], 1e-12, "sumG c=" + c);
      assertEquals(sgxD[c], sgx[c], 1e-12, "sumGX c=" + c);
    }
    // backwardMapRelu == backwardMap of the masked g.
    float[] gx = cs.backwardMapRelu(k);
    float[] gxD = cs.gx0.clone();
    k.backwardMap(gMasked, cs.gOff, cs.x, cs.xOff, batch, channels, spatial, cs.c0, cs.c1, cs.a, cs.b, cs.center,
        cs.d, gxD, cs.gxOff);
    for (int i = 0; i < gx.length; i++) {
      assertEquals(gxD[i], gx[i], 0f, "backwardMapRelu at " + i);
    }
  }

  @ParameterizedTest(name = "spatial={0} channels={1} batch={2}")
  @MethodSource("sizes")
  void vectorFusedKernelsMatchScalar(int spatial, int channels, int batch) {
    assumeVectorPath(VectorKernelProvider.scalarNormRows(spatial), "scalarNormRows", "spatial " + spatial);
    Case cs = new Case(spatial, channels, batch);
    assertClose("scaleShiftRelu", cs.scaleShiftRelu(scalar), cs.scaleShiftRelu(vector), 1e-6);
    double[] sgS = new double[channels];
    double[] sgxS = new double[channels];
    double[] sgV = new double[channels];
    double[] sgxV = new double[channels];
    cs.gradSumsRelu(scalar, sgS, sgxS);
    cs.gradSumsRelu(vector, sgV, sgxV);
    double tol = 1e-6 * batch * spatial;
    for (int c = 0; c < channels; c++) {
      assertEquals(sgS[c], sgV[c], tol, "sumG c=" + c);
      assertEquals(sgxS[c], sgxV[c], tol, "sumGX c=" + c);
    }
    assertClose("backwardMapRelu", cs.backwardMapRelu(scalar), cs.backwardMapRelu(vector), 1e-6);
  }

  @ParameterizedTest(name = "spatial={0} channels={1} batch={2}")
  @MethodSource("sizes")
  void vectorMomentsMatchScalarForEveryBatchAndChannelCount(int spatial, int channels, int batch) {
    assumeVectorPath(VectorKernelProvider.scalarNormRows(spatial), "scalarNormRows", "spatial " + spatial);
    SplittableRandom r = new SplittableRandom(spatial * 17L + channels * 5L + batch);
    int size = batch * channels * spatial;
    float[] x = uniform(r, size, 9, 11);
    double[] ms = new double[channels];
    double[] vs = new double[channels];
    double[] mv = new double[channels];
    double[] vv = new double[channels];
    scalar.moments(x, 0, batch, channels, spatial, 0, channels, ms, vs);
    vector.moments(x, 0, batch, channels, spatial, 0, channels, mv, vv);
    for (int c = 0; c < channels; c++) {
      assertEquals(ms[c], mv[c], 1e-9 * Math.abs(ms[c]), "mean c=" + c);
      assertEquals(vs[c], vv[c], 1e-5 * vs[c] + 1e-9, "var c=" + c);
    }
  }
}

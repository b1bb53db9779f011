package org.autoprop.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.autoprop.kernel.vector.VectorKernelProvider;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The vector norm kernels against their scalar twins on rows that hit every tail, and the scalar
 * moments and sums against double-precision references. Rows shorter than a vector are the scalar
 * code in both providers ({@link VectorKernelProvider#scalarNormRows}): only the references run there.
 */
class NormKernelsTest extends KernelTwinTest<NormKernels> {
  NormKernelsTest() {
    super(KernelProvider::norm);
  }

  static IntStream spatialSizes() {
    return nonEmptyTailSizes();
  }

  /** {@code n} floats uniform in {@code [shift - 1, shift + 1)}. */
  static float[] random(SplittableRandom r, int n, double shift) {
    return uniform(r, n, shift - 1, shift + 1);
  }

  static float[] randomPerChannel(SplittableRandom r, int c) {
    return random(r, c, 0.5);
  }

  static void assumeVectorRows(int spatial) {
    assumeVectorPath(VectorKernelProvider.scalarNormRows(spatial), "scalarNormRows", "spatial " + spatial);
  }

  @ParameterizedTest(name = "spatial={0}")
  @MethodSource("spatialSizes")
  void momentsStayAccurateWhenSamplesHaveFarApartMeans(int spatial) {
    // Sample n of each channel is centred on 50 * n (spread 1): the first row's mean, the vector
    // kernel's shift, lies many deviations from the channel mean, which needs its second pass.
    assumeVectorRows(spatial);
    SplittableRandom r = new SplittableRandom(spatial * 3L + 1);
    int batch = 4;
    int channels = 2;
    float[] x = new float[batch * channels * spatial];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (50 * (i / (channels * spatial)) + r.nextDouble() * 2 - 1);
    }
    double[] mv = new double[channels];
    double[] vv = new double[channels];
    vector.moments(x, 0, batch, channels, spatial, 0, channels, mv, vv);
    for (int c = 0; c < channels; c++) {
      double mean = 0;
      int n = batch * spatial;
      for (int b = 0; b < batch; b++) {
        for (int i = 0; i < spatial; i++) {
          mean += x[(b * channels + c) * spatial + i];
        }
      }
      mean /= n;
      double var = 0;
      for (int b = 0; b < batch; b++) {
        for (int i = 0; i < spatial; i++) {
          double d = x[(b * channels + c) * spatial + i] - mean;
          var += d * d;
        }
      }
      var /= n;
      // Rows far from the mean leave float rounding of the order of 1e-7 of the spread, in either pass.
      assertEquals(mean, mv[c], 1e-6 * Math.sqrt(var), "vector mean c=" + c);
      assertEquals(var, vv[c], 1e-6 * var, "vector var c=" + c);
    }
  }

  @ParameterizedTest(name = "spatial={0}")
  @MethodSource("spatialSizes")
  void momentsMatchScalarAndDoubleReference(int spatial) {
    SplittableRandom r = new SplittableRandom(spatial);
    int batch = 3;
    int channels = 5;
    int off = 3;
    // A large offset relative to the spread tests the corrected two-pass variance.
    float[] x = random(r, off + batch * channels * spatial, 100);
    double[] ms = new double[channels];
    double[] vs = new double[channels];
    double[] mv = new double[channels];
    double[] vv = new double[channels];
    // Channel range [1, 4) only: channels outside must stay untouched.
    scalar.moments(x, off, batch, channels, spatial, 1, 4, ms, vs);
    for (int c = 0; c < channels; c++) {
      double mean = 0;
      int n = batch * spatial;
      for (int b = 0; b < batch; b++) {
        for (int i = 0; i < spatial; i++) {
          mean += x[off + (b * channels + c) * spatial + i];
        }
      }
      mean /= n;
      double var = 0;
      for (int b = 0; b < batch; b++) {
        for (int i = 0; i < spatial; i++) {
          double d = x[off + (b * channels + c) * spatial + i] - mean;
          var += d * d;
        }
      }
      var /= n;
      boolean inRange = c >= 1 && c < 4;
      assertEquals(inRange ? mean : 0, ms[c], 1e-9 * Math.abs(mean) + 1e-12, "scalar mean c=" + c);
      assertEquals(inRange ? var : 0, vs[c], 1e-6 * var + 1e-12, "scalar var c=" + c);
    }
    assumeVectorRows(spatial);
    vector.moments(x, off, batch, channels, spatial, 1, 4, mv, vv);
    for (int c = 0; c < channels; c++) {
      assertEquals(ms[c], mv[c], 1e-9 * Math.abs(ms[c]) + 1e-12, "vector mean c=" + c);
      assertEquals(vs[c], vv[c], 1e-5 * vs[c] + 1e-12, "vector var c=" + c);
    }
  }

  @ParameterizedTest(name = "spatial={0}")
  @MethodSource("spatialSizes")
  void scaleShiftMatchesScalar(int spatial) {
    SplittableRandom r = new SplittableRandom(spatial * 7L);
    int batch = 2;
    int channels = 3;
    int size = batch * channels * spatial;
    float[] x = random(r, size + 2, 0);
    float[] scale = randomPerChannel(r, channels);
    float[] shift = randomPerChannel(r, channels);
    float[] expected = random(r, size + 1, 0);
    float[] actual = expected.clone();
    scalar.scaleShift(x, 2, batch, channels, spatial, 0, channels, scale, shift, expected, 1);
    // Spot check the definition.
    assertEquals(Math.fma(x[2 + spatial * 4], scale[1], shift[1]), expected[1 + spatial * 4], 1e-6f);
    assumeVectorRows(spatial);
    vector.scaleShift(x, 2, batch, channels, spatial, 0, channels, scale, shift, actual, 1);
    assertClose("scaleShift", expected, actual, 1e-6);
  }

  @ParameterizedTest(name = "spatial={0}")
  @MethodSource("spatialSizes")
  void gradSumsAndBackwardMapMatchScalar(int spatial) {
    SplittableRandom r = new SplittableRandom(spatial * 13L);
    int batch = 3;
    int channels = 4;
    int size = batch * channels * spatial;
    float[] x = random(r, size + 1, 0);
    float[] g = random(r, size + 3, 0);
    float[] center = randomPerChannel(r, channels);
    double[] sgS = new double[channels];
    double[] sgxS = new double[channels];
    scalar.gradSums(g, 3, x, 1, batch, channels, spatial, 0, channels, center, sgS, sgxS);
    double tol = 1e-5 * batch * spatial;
    for (int c = 0; c < channels; c++) {
      double sg = 0;
      double sgx = 0;
      for (int b = 0; b < batch; b++) {
        for (int i = 0; i < spatial; i++) {
          int at = (b * channels + c) * spatial + i;
          sg += g[3 + at];
          sgx += (double) g[3 + at] * (x[1 + at] - center[c]);
        }
      }
      assertEquals(sg, sgS[c], tol, "scalar sumG c=" + c);
      assertEquals(sgx, sgxS[c], tol, "scalar sumGX c=" + c);
    }
    float[] a = randomPerChannel(r, channels);
    float[] b = randomPerChannel(r, channels);
    float[] d = randomPerChannel(r, channels);
    float[] expected = random(r, size + 2, 0);
    float[] actual = expected.clone();
    scalar.backwardMap(g, 3, x, 1, batch, channels, spatial, 0, channels, a, b, center, d, expected, 2);
    int at = spatial * 5; // batch 1, channel 1, element 0
    assertEquals(a[1] * g[3 + at] + b[1] * (x[1 + at] - center[1]) + d[1], expected[2 + at], 1e-5f);

    assumeVectorRows(spatial);
    double[] sgV = new double[channels];
    double[] sgxV = new double[channels];
    vector.gradSums(g, 3, x, 1, batch, channels, spatial, 0, channels, center, sgV, sgxV);
    for (int c = 0; c < channels; c++) {
      assertEquals(sgS[c], sgV[c], tol, "vector sumG c=" + c);
      assertEquals(sgxS[c], sgxV[c], tol, "vector sumGX c=" + c);
    }
    vector.backwardMap(g, 3, x, 1, batch, channels, spatial, 0, channels, a, b, center, d, actual, 2);
    assertClose("backwardMap", expected, actual, 1e-6);
  }
}

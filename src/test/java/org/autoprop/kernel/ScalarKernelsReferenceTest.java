package org.autoprop.kernel;

import static org.autoprop.kernel.KernelTwinTest.random;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.autoprop.kernel.ConvKernels.Geometry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The blocked scalar GEMM and the convolutions built on it against naive loops written here from
 * the definitions (double accumulation, an explicit bounds test per tap), on awkward sizes: 1, 3,
 * sizes that end mid-block and mid-unroll (7x11x13, 17x19x255, blocks of {@link ScalarGemm#KC},
 * {@link ScalarGemm#NC}, {@link ScalarGemm#MC} plus one), strides, padding wider than the kernel,
 * dilation, offsets and leading dimensions larger than the rows. Everything around the output
 * must be left as it was.
 *
 * <p>Tolerance per element: {@code 1e-5 * sum |terms|}, i.e. float rounding over the sum's terms
 * (a wrong or missing term is of the order of the terms themselves).
 */
class ScalarKernelsReferenceTest {
  static final GemmKernels GEMM = KernelProvider.scalar().gemm();
  static final ConvKernels CONV = KernelProvider.scalar().conv();

  /** Checks got against the exact values where computed (mask), untouched elsewhere. */
  static void check(String what, float[] before, double[] exact, double[] absSum, boolean[] written, float[] got) {
    for (int i = 0; i < got.length; i++) {
      if (written[i]) {
        double tol = 1e-5 * absSum[i] + 1e-7;
        assertEquals(exact[i], got[i], tol, what + " at " + i + ": expected " + exact[i] + ", actual " + got[i]);
      } else {
        assertEquals(before[i], got[i], 0f, what + " wrote outside its output at " + i);
      }
    }
  }

  // ------------------------------------------------------------------------------------- GEMM

  /** m, n, k. */
  static Stream<Arguments> gemmSizes() {
    int kc = ScalarGemm.KC;
    int nc = ScalarGemm.NC;
    int mc = ScalarGemm.MC;
    int[][] sizes = {
      {1, 1, 1}, {3, 3, 3}, {7, 11, 13}, {17, 19, 255}, {1, 300, 2}, {300, 1, 5}, {2, 3, 0}, {0, 4, 2}, {3, 0, 2}, {784, 785, 9},
      {mc + 1, nc + 1, kc + 1}, {5, 2 * nc + 3, 2 * kc + 7}, {2 * mc + 3, 4, 9},
    };
    return Stream.of(sizes).map(s -> Arguments.of((Object) s));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("gemmSizes")
  void gemmMatchesTheTripleLoop(int[] s) {
    int m = s[0];
    int n = s[1];
    int k = s[2];
    for (boolean ta : new boolean[] {false, true}) {
      for (boolean tb : new boolean[] {false, true}) {
        for (boolean acc : new boolean[] {false, true}) {
          SplittableRandom r = new SplittableRandom(m * 1000003L + n * 1009L + k);
          int lda = (ta ? m : k) + 3;
          int ldb = (tb ? k : n) + 2;
          int ldc = n + 5;
          float[] a = random(r, 2 + (ta ? k : m) * lda);
          float[] b = random(r, 1 + (tb ? n : k) * ldb);
          float[] c0 = random(r, 4 + m * ldc + 3);
          double[] exact = new double[c0.length];
          double[] abs = new double[c0.length];
          boolean[] written = new boolean[c0.length];
          for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
              int e = 4 + i * ldc + j;
              double sum = acc ? c0[e] : 0;
              double sa = Math.abs(sum);
              for (int p = 0; p < k; p++) {
                double t = (double) a[2 + (ta ? p * lda + i : i * lda + p)] * b[1 + (tb ? j * ldb + p : p * ldb + j)];
                sum += t;
                sa += Math.abs(t);
              }
              exact[e] = sum;
              abs[e] = sa;
              written[e] = true;
            }
          }
          float[] c = c0.clone();
          GEMM.gemm(ta, tb, m, n, k, a, 2, lda, b, 1, ldb, c, 4, ldc, acc);
          check("gemm m=" + m + " n=" + n + " k=" + k + " transA=" + ta + " transB=" + tb + " acc=" + acc,
              c0, exact, abs, written, c);
        }
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("gemmSizes")
  void accumulateABtMatchesTheTripleLoop(int[] s) {
    int m = s[0];
    int n = s[1];
    int k = s[2];
    SplittableRandom r = new SplittableRandom(m * 31L + n * 7L + k);
    int lda = k + 1;
    int ldb = k + 4;
    int ldc = n + 2;
    float[] a = random(r, 3 + m * lda);
    float[] b = random(r, 2 + n * ldb);
    float[] c0 = random(r, 1 + m * ldc + 2);
    double[] exact = new double[c0.length];
    double[] abs = new double[c0.length];
    boolean[] written = new boolean[c0.length];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        int e = 1 + i * ldc + j;
        double sum = c0[e];
        double sa = Math.abs(sum);
        for (int p = 0; p < k; p++) {
          double t = (double) a[3 + i * lda + p] * b[2 + j * ldb + p];
          sum += t;
          sa += Math.abs(t);
        }
        exact[e] = sum;
        abs[e] = sa;
        written[e] = true;
      }
    }
    float[] c = c0.clone();
    GEMM.accumulateABt(m, n, k, a, 3, lda, b, 2, ldb, c, 1, ldc);
    check("accumulateABt m=" + m + " n=" + n + " k=" + k, c0, exact, abs, written, c);
  }

  // ------------------------------------------------------------------------------ convolutions

  /** m (output channels), channels, inH, inW, kh, kw, sh, sw, ph, pw, dh, dw. */
  static Stream<Arguments> geometries() {
    int[][] cases = {
      {1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1},
      {3, 3, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1},
      {5, 7, 11, 13, 3, 3, 1, 1, 1, 1, 1, 1},
      {3, 17, 19, 255, 3, 3, 1, 1, 1, 1, 1, 1},
      {4, 7, 11, 13, 3, 3, 2, 2, 1, 1, 1, 1},
      {6, 3, 11, 13, 5, 3, 3, 2, 0, 2, 1, 1},
      {2, 3, 7, 9, 3, 3, 1, 1, 4, 5, 1, 1},
      {3, 2, 13, 11, 3, 2, 1, 2, 2, 1, 2, 3},
      {7, 5, 6, 5, 1, 1, 1, 1, 0, 0, 1, 1},
      {9, 2, 9, 10, 1, 1, 2, 3, 1, 0, 1, 1},
      {33, 1, 28, 28, 3, 3, 1, 1, 1, 1, 1, 1},
      // One column, a kernel wider than the padded row: taps whose whole row is padding.
      {2, 1, 9, 1, 3, 5, 1, 1, 2, 2, 2, 1},
      {65, 33, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1},
    };
    return Stream.of(cases).map(c -> Arguments.of((Object) c));
  }

  static Geometry geometry(int[] c) {
    return new Geometry(c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11]);
  }

  /** The input index read by column-matrix element (kk, pix), or -1 in the padding: the definition. */
  static int tap(Geometry g, int kk, int pix) {
    int c = kk / (g.kernelH() * g.kernelW());
    int i = kk / g.kernelW() % g.kernelH();
    int j = kk % g.kernelW();
    int oy = pix / g.outW();
    int ox = pix % g.outW();
    int iy = oy * g.strideH() - g.padH() + i * g.dilationH();
    int ix = ox * g.strideW() - g.padW() + j * g.dilationW();
    if (iy < 0 || iy >= g.inH() || ix < 0 || ix >= g.inW()) {
      return -1;
    }
    return (c * g.inH() + iy) * g.inW() + ix;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("geometries")
  void im2colAndCol2imMatchTheDefinition(int[] c) {
    Geometry g = geometry(c);
    int k = g.colRows();
    int p = g.colCols();
    int in = g.channels() * g.inH() * g.inW();
    SplittableRandom r = new SplittableRandom(k * 3L + p);
    float[] x = random(r, 2 + in + 3);
    float[] cols0 = random(r, 1 + k * p + 2);
    float[] cols = cols0.clone();
    CONV.im2col(g, x, 2, cols, 1);
    for (int i = 0; i < cols.length; i++) {
      int kk = (i - 1) / Math.max(1, p);
      float expected = i < 1 || i >= 1 + k * p ? cols0[i] : tap(g, kk, (i - 1) % p) < 0 ? 0f : x[2 + tap(g, kk, (i - 1) % p)];
      assertEquals(expected, cols[i], 0f, "im2col " + g + " at " + i);
    }
    float[] x0 = random(r, 3 + in + 1);
    double[] exact = new double[x0.length];
    double[] abs = new double[x0.length];
    boolean[] written = new boolean[x0.length];
    for (int i = 0; i < in; i++) {
      exact[3 + i] = x0[3 + i];
      abs[3 + i] = Math.abs(x0[3 + i]);
      written[3 + i] = true;
    }
    for (int kk = 0; kk < k; kk++) {
      for (int pix = 0; pix < p; pix++) {
        int t = tap(g, kk, pix);
        if (t >= 0) {
          exact[3 + t] += cols0[1 + kk * p + pix];
          abs[3 + t] += Math.abs(cols0[1 + kk * p + pix]);
        }
      }
    }
    float[] got = x0.clone();
    CONV.col2im(g, cols0, 1, got, 3);
    check("col2im " + g, x0, exact, abs, written, got);
  }

  /** Forward of two images through forwardImages (with bias) and forward (accumulating). */
  @ParameterizedTest(name = "{0}")
  @MethodSource("geometries")
  void convForwardMatchesTheDefinition(int[] c) {
    Geometry g = geometry(c);
    int m = c[0];
    int k = g.colRows();
    int p = g.colCols();
    int in = g.channels() * g.inH() * g.inW();
    SplittableRandom r = new SplittableRandom(k * 11L + p + m);
    int lda = k + 2;
    int ldc = p + 1;
    int xStride = in + 3;
    int cStride = m * ldc + 2;
    float[] w = random(r, 1 + m * lda);
    float[] bias = random(r, 2 + m);
    float[] x = random(r, 4 + 2 * xStride);
    float[] y0 = random(r, 3 + 2 * cStride);
    for (boolean images : new boolean[] {false, true}) {
      double[] exact = new double[y0.length];
      double[] abs = new double[y0.length];
      boolean[] written = new boolean[y0.length];
      for (int img = 0; img < (images ? 2 : 1); img++) {
        for (int o = 0; o < m; o++) {
          for (int pix = 0; pix < p; pix++) {
            int e = 3 + img * cStride + o * ldc + pix;
            double s = images ? bias[2 + o] : y0[e];
            double sa = Math.abs(s);
            for (int kk = 0; kk < k; kk++) {
              int t = tap(g, kk, pix);
              if (t >= 0) {
                double term = (double) w[1 + o * lda + kk] * x[4 + img * xStride + t];
                s += term;
                sa += Math.abs(term);
              }
            }
            exact[e] = s;
            abs[e] = sa;
            written[e] = true;
          }
        }
      }
      float[] y = y0.clone();
      if (images) {
        CONV.forwardImages(m, g, w, 1, lda, bias, 2, x, 4, xStride, y, 3, cStride, ldc, 2);
      } else {
        CONV.forward(m, g, w, 1, lda, x, 4, y, 3, ldc, true);
      }
      check((images ? "forwardImages " : "forward accumulate ") + g, y0, exact, abs, written, y);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("geometries")
  void backwardDataMatchesTheDefinition(int[] c) {
    Geometry g = geometry(c);
    int n = c[0];
    int k = g.colRows();
    int p = g.colCols();
    int in = g.channels() * g.inH() * g.inW();
    SplittableRandom r = new SplittableRandom(k * 5L + p + n);
    int ldw = k + 1;
    int dyStride = n * p + 2;
    int dxStride = in + 4;
    float[] w = random(r, 2 + n * ldw);
    float[] dy = random(r, 1 + 2 * dyStride);
    float[] dx0 = random(r, 3 + 2 * dxStride);
    double[] exact = new double[dx0.length];
    double[] abs = new double[dx0.length];
    boolean[] written = new boolean[dx0.length];
    for (int img = 0; img < 2; img++) {
      Arrays.fill(written, 3 + img * dxStride, 3 + img * dxStride + in, true);
      for (int o = 0; o < n; o++) {
        for (int kk = 0; kk < k; kk++) {
          for (int pix = 0; pix < p; pix++) {
            int t = tap(g, kk, pix);
            if (t >= 0) {
              double term = (double) w[2 + o * ldw + kk] * dy[1 + img * dyStride + o * p + pix];
              exact[3 + img * dxStride + t] += term;
              abs[3 + img * dxStride + t] += Math.abs(term);
            }
          }
        }
      }
    }
    float[] dx = dx0.clone();
    CONV.backwardData(n, g, w, 2, ldw, dy, 1, dyStride, dx, 3, dxStride, 2);
    check("backwardData " + g, dx0, exact, abs, written, dx);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("geometries")
  void convWeightGradMatchesTheDefinition(int[] c) {
    Geometry g = geometry(c);
    int n = c[0];
    int k = g.colRows();
    int p = g.colCols();
    int in = g.channels() * g.inH() * g.inW();
    SplittableRandom r = new SplittableRandom(k * 7L + p + n);
    int ldb = p + 3;
    int ldc = n + 1;
    float[] x = random(r, 2 + in);
    float[] dy = random(r, 1 + n * ldb);
    float[] c0 = random(r, 4 + k * ldc + 1);
    double[] exact = new double[c0.length];
    double[] abs = new double[c0.length];
    boolean[] written = new boolean[c0.length];
    for (int kk = 0; kk < k; kk++) {
      for (int o = 0; o < n; o++) {
        int e = 4 + kk * ldc + o;
        double s = c0[e];
        double sa = Math.abs(s);
        for (int pix = 0; pix < p; pix++) {
          int t = tap(g, kk, pix);
          if (t >= 0) {
            double term = (double) x[2 + t] * dy[1 + o * ldb + pix];
            s += term;
            sa += Math.abs(term);
          }
        }
        exact[e] = s;
        abs[e] = sa;
        written[e] = true;
      }
    }
    float[] got = c0.clone();
    CONV.backwardWeightTransposed(n, g, x, 2, dy, 1, ldb, got, 4, ldc);
    check("backwardWeightTransposed " + g, c0, exact, abs, written, got);
  }

  /** A second call on the same thread reuses the scratch: no state leaks from a larger product into a smaller one. */
  @Test
  void aSmallProductAfterALargeOneIsExact() {
    float[] a = {2f};
    float[] b = {3f};
    float[] c = {7f};
    float[] big = new float[300 * 300];
    Arrays.fill(big, 1f);
    GEMM.gemm(false, false, 300, 300, 300, big, 0, 300, big, 0, 300, new float[300 * 300], 0, 300, false);
    GEMM.gemm(false, false, 1, 1, 1, a, 0, 1, b, 0, 1, c, 0, 1, true);
    assertEquals(13f, c[0], 0f, "1x1x1 accumulate after a 300^3 product");
  }
}

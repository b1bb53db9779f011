package org.autoprop.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The row kernels: the scalar twin against double-precision definitions, the vector kernels against
 * the scalar twin, over row lengths that hit every tail; rows outside the range and the padding
 * around it must stay untouched.
 */
class RowKernelsTest extends KernelTwinTest<RowKernels> {
  RowKernelsTest() {
    super(KernelProvider::rows);
  }

  static IntStream lengths() {
    return nonEmptyTailSizes();
  }

  /** Every length with and without the affine parameters. */
  static Stream<Arguments> lengthsAffine() {
    return lengths().boxed().flatMap(d -> Stream.of(Arguments.of(d, true), Arguments.of(d, false)));
  }

  private static final int ROWS = 4;
  private static final int R0 = 1;
  private static final int R1 = 3;

  @ParameterizedTest(name = "d={0}, affine={1}")
  @MethodSource("lengthsAffine")
  void layerNormMatchesDefinitionAndScalar(int d, boolean affine) {
    SplittableRandom r = new SplittableRandom(d * 31L + (affine ? 1 : 0));
    // Rows with an offset of 3 and a spread of 1: the variance must be taken around the mean.
    float[] x = uniform(r, 2 + ROWS * d, 2, 4);
    float[] gamma = affine ? uniform(r, d, 0.5, 1.5) : null;
    float[] beta = affine ? random(r, d) : null;
    float eps = 1e-5f;
    float[] ys = random(r, 1 + ROWS * d);
    float[] yv = ys.clone();
    float[] ms = new float[ROWS];
    float[] rs = new float[ROWS];
    float[] mv = new float[ROWS];
    float[] rv = new float[ROWS];
    scalar.layerNorm(x, 2, ys, 1, R0, R1, d, gamma, beta, eps, ms, rs);
    for (int row = R0; row < R1; row++) {
      double mean = 0;
      for (int j = 0; j < d; j++) {
        mean += x[2 + row * d + j];
      }
      mean /= d;
      double var = 0;
      for (int j = 0; j < d; j++) {
        double c = x[2 + row * d + j] - mean;
        var += c * c;
      }
      var /= d;
      double is = 1 / Math.sqrt(var + eps);
      assertEquals(mean, ms[row], 1e-6 * Math.abs(mean), "mean row " + row);
      assertEquals(is, rs[row], 1e-5 * is, "rstd row " + row);
      for (int j = 0; j < d; j++) {
        double want = (x[2 + row * d + j] - mean) * is * (affine ? gamma[j] : 1) + (affine ? beta[j] : 0);
        assertEquals(want, ys[1 + row * d + j], 1e-4 * (1 + Math.abs(want)), "y row " + row + " at " + j);
      }
    }
    vector.layerNorm(x, 2, yv, 1, R0, R1, d, gamma, beta, eps, mv, rv);
    assertClose("layerNorm y", ys, yv, 1e-5);
    assertClose("layerNorm mean", ms, mv, 1e-6);
    assertClose("layerNorm rstd", rs, rv, 1e-5);
    assertEquals(0f, mv[0]);
    assertEquals(0f, rv[ROWS - 1]);
  }

  @ParameterizedTest(name = "d={0}, affine={1}")
  @MethodSource("lengthsAffine")
  void layerNormBackwardMatchesDefinitionAndScalar(int d, boolean affine) {
    SplittableRandom r = new SplittableRandom(d * 37L + (affine ? 1 : 0));
    float[] x = uniform(r, 1 + ROWS * d, -2, 2);
    float[] g = random(r, 3 + ROWS * d);
    float[] gamma = affine ? uniform(r, d, 0.5, 1.5) : null;
    float[] mean = random(r, ROWS);
    float[] rstd = uniform(r, ROWS, 0.5, 2);
    float[] gxS = random(r, 2 + ROWS * d);
    float[] gxV = gxS.clone();
    float[] ggS = affine ? random(r, d + 1) : null;
    float[] gbS = affine ? random(r, d + 2) : null;
    float[] ggV = affine ? ggS.clone() : null;
    float[] gbV = affine ? gbS.clone() : null;
    float[] gg0 = affine ? ggS.clone() : null;
    float[] gb0 = affine ? gbS.clone() : null;
    scalar.layerNormBackward(x, 1, g, 3, gxS, 2, R0, R1, d, gamma, mean, rstd, ggS, 1, gbS, 2);
    double[] wantGg = new double[d];
    double[] wantGb = new double[d];
    for (int row = R0; row < R1; row++) {
      double sh = 0;
      double shx = 0;
      for (int j = 0; j < d; j++) {
        double xhat = (x[1 + row * d + j] - mean[row]) * (double) rstd[row];
        double gj = g[3 + row * d + j];
        double h = gj * (affine ? gamma[j] : 1);
        sh += h;
        shx += h * xhat;
        wantGg[j] += gj * xhat;
        wantGb[j] += gj;
      }
      for (int j = 0; j < d; j++) {
        double xhat = (x[1 + row * d + j] - mean[row]) * (double) rstd[row];
        double h = g[3 + row * d + j] * (affine ? gamma[j] : 1);
        double want = rstd[row] * (h - sh / d - xhat * shx / d);
        assertEquals(want, gxS[2 + row * d + j], 1e-4 * (1 + Math.abs(want)), "gx row " + row + " at " + j);
      }
    }
    if (affine) {
      for (int j = 0; j < d; j++) {
        assertEquals(gg0[1 + j] + wantGg[j], ggS[1 + j], 1e-5 * (1 + Math.abs(wantGg[j])), "gGamma " + j);
        assertEquals(gb0[2 + j] + wantGb[j], gbS[2 + j], 1e-5 * (1 + Math.abs(wantGb[j])), "gBeta " + j);
      }
    }
    vector.layerNormBackward(x, 1, g, 3, gxV, 2, R0, R1, d, gamma, mean, rstd, ggV, 1, gbV, 2);
    double tol = 1e-6 * Math.sqrt(d) * 10;
    assertClose("layerNormBackward gx", gxS, gxV, tol);
    if (affine) {
      assertClose("layerNormBackward gGamma", ggS, ggV, tol);
      assertClose("layerNormBackward gBeta", gbS, gbV, tol);
    }
  }

  @ParameterizedTest(name = "d={0}, affine={1}")
  @MethodSource("lengthsAffine")
  void rmsNormMatchesDefinitionAndScalar(int d, boolean affine) {
    SplittableRandom r = new SplittableRandom(d * 41L + (affine ? 1 : 0));
    float[] x = uniform(r, 2 + ROWS * d, -2, 3);
    float[] gamma = affine ? uniform(r, d, 0.5, 1.5) : null;
    float eps = 1.1920929e-07f;
    float[] ys = random(r, 1 + ROWS * d);
    float[] yv = ys.clone();
    float[] rs = new float[ROWS];
    float[] rv = new float[ROWS];
    scalar.rmsNorm(x, 2, ys, 1, R0, R1, d, gamma, eps, rs);
    for (int row = R0; row < R1; row++) {
      double ss = 0;
      for (int j = 0; j < d; j++) {
        ss += (double) x[2 + row * d + j] * x[2 + row * d + j];
      }
      double is = 1 / Math.sqrt(ss / d + eps);
      assertEquals(is, rs[row], 1e-5 * is, "rstd row " + row);
      for (int j = 0; j < d; j++) {
        double want = x[2 + row * d + j] * is * (affine ? gamma[j] : 1);
        assertEquals(want, ys[1 + row * d + j], 1e-4 * (1 + Math.abs(want)), "y row " + row + " at " + j);
      }
    }
    vector.rmsNorm(x, 2, yv, 1, R0, R1, d, gamma, eps, rv);
    assertClose("rmsNorm y", ys, yv, 1e-5);
    assertClose("rmsNorm rstd", rs, rv, 1e-5);
  }

  @ParameterizedTest(name = "d={0}, affine={1}")
  @MethodSource("lengthsAffine")
  void rmsNormBackwardMatchesDefinitionAndScalar(int d, boolean affine) {
    SplittableRandom r = new SplittableRandom(d * 43L + (affine ? 1 : 0));
    float[] x = uniform(r, 1 + ROWS * d, -2, 2);
    float[] g = random(r, 3 + ROWS * d);
    float[] gamma = affine ? uniform(r, d, 0.5, 1.5) : null;
    float[] rstd = uniform(r, ROWS, 0.5, 2);
    float[] gxS = random(r, 2 + ROWS * d);
    float[] gxV = gxS.clone();
    float[] ggS = affine ? random(r, d + 1) : null;
    float[] ggV = affine ? ggS.clone() : null;
    float[] gg0 = affine ? ggS.clone() : null;
    scalar.rmsNormBackward(x, 1, g, 3, gxS, 2, R0, R1, d, gamma, rstd, ggS, 1);
    double[] wantGg = new double[d];
    for (int row = R0; row < R1; row++) {
      double shx = 0;
      for (int j = 0; j < d; j++) {
        double xhat = x[1 + row * d + j] * (double) rstd[row];
        double gj = g[3 + row * d + j];
        shx += gj * (affine ? gamma[j] : 1) * xhat;
        wantGg[j] += gj * xhat;
      }
      for (int j = 0; j < d; j++) {
        double xhat = x[1 + row * d + j] * (double) rstd[row];
        double h = g[3 + row * d + j] * (affine ? gamma[j] : 1);
        double want = rstd[row] * (h - xhat * shx / d);
        assertEquals(want, gxS[2 + row * d + j], 1e-4 * (1 + Math.abs(want)), "gx row " + row + " at " + j);
      }
    }
    if (affine) {
      for (int j = 0; j < d; j++) {
        assertEquals(gg0[1 + j] + wantGg[j], ggS[1 + j], 1e-5 * (1 + Math.abs(wantGg[j])), "gGamma " + j);
      }
    }
    vector.rmsNormBackward(x, 1, g, 3, gxV, 2, R0, R1, d, gamma, rstd, ggV, 1);
    double tol = 1e-6 * Math.sqrt(d) * 10;
    assertClose("rmsNormBackward gx", gxS, gxV, tol);
    if (affine) {
      assertClose("rmsNormBackward gGamma", ggS, ggV, tol);
    }
  }

  /** Every length with each kind of mask: none, a matrix, a shared row, causal, causal and a matrix. */
  static Stream<Arguments> softmaxCases() {
    return lengths().boxed().flatMap(n -> Stream.of("none", "matrix", "row", "causal", "causal+matrix")
        .map(m -> Arguments.of(n, m)));
  }

  @ParameterizedTest(name = "len={0}, mask={1}")
  @MethodSource("softmaxCases")
  void softmaxMatchesDefinitionAndScalar(int len, String maskKind) {
    SplittableRandom r = new SplittableRandom(len * 47L + maskKind.hashCode());
    int rows = 5;
    int firstRow = 2;
    float scale = 0.37f;
    boolean causal = maskKind.startsWith("causal");
    boolean matrix = maskKind.endsWith("matrix");
    int maskLd = matrix ? len : 0;
    float[] mask = null;
    if (matrix || maskKind.equals("row")) {
      mask = uniform(r, 3 + rows * len, -2, 2);
      // Some positions masked out with -inf, and in the matrix case row 1 entirely.
      for (int i = 0; i < mask.length; i += 3) {
        mask[i] = Float.NEGATIVE_INFINITY;
      }
      if (matrix) {
        Arrays.fill(mask, 3 + len, 3 + 2 * len, Float.NEGATIVE_INFINITY);
      }
    }
    float[] x = uniform(r, 1 + rows * len, -8, 8);
    float[] ys = random(r, 2 + rows * len);
    float[] yv = ys.clone();
    scalar.softmax(x, 1, ys, 2, rows, len, scale, mask, 3, maskLd, causal, firstRow);
    for (int i = 0; i < rows; i++) {
      int kept = causal ? Math.min(len, firstRow + i + 1) : len;
      double[] z = new double[len];
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < kept; j++) {
        z[j] = x[1 + i * len + j] * (double) scale + (mask != null ? mask[3 + i * maskLd + j] : 0);
        max = Math.max(max, z[j]);
      }
      double sum = 0;
      for (int j = 0; j < kept; j++) {
        sum += max == Double.NEGATIVE_INFINITY ? 0 : Math.exp(z[j] - max);
      }
      for (int j = 0; j < len; j++) {
        double want = j < kept && max != Double.NEGATIVE_INFINITY ? Math.exp(z[j] - max) / sum : 0;
        assertEquals(want, ys[2 + i * len + j], 1e-6 + 1e-5 * want, "y row " + i + " at " + j);
      }
    }
    vector.softmax(x, 1, yv, 2, rows, len, scale, mask, 3, maskLd, causal, firstRow);
    assertClose("softmax y", ys, yv, 1e-6);

    float[] g = random(r, 4 + rows * len);
    float[] gxS = random(r, 1 + rows * len);
    float[] gxV = gxS.clone();
    scalar.softmaxBackward(ys, 2, g, 4, gxS, 1, rows, len, scale, causal, firstRow);
    for (int i = 0; i < rows; i++) {
      double dot = 0;
      for (int j = 0; j < len; j++) {
        dot += (double) g[4 + i * len + j] * ys[2 + i * len + j];
      }
      for (int j = 0; j < len; j++) {
        double want = scale * ys[2 + i * len + j] * (g[4 + i * len + j] - dot);
        assertEquals(want, gxS[1 + i * len + j], 1e-6 + 1e-5 * Math.abs(want), "gx row " + i + " at " + j);
      }
    }
    vector.softmaxBackward(ys, 2, g, 4, gxV, 1, rows, len, scale, causal, firstRow);
    assertClose("softmaxBackward gx", gxS, gxV, 1e-6);
  }
}

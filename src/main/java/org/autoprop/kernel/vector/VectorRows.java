package org.autoprop.kernel.vector;

import static jdk.incubator.vector.VectorOperators.EXP;
import static jdk.incubator.vector.VectorOperators.MAX;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.autoprop.kernel.RowKernels;

/**
 * Vector API {@link RowKernels}: every row loop is a {@code loopBound} main loop and a scalar tail
 * (no masks on JDK 17), in a small static method that takes only scalars and arrays, so that no
 * vector crosses a call the JIT might not inline (see {@link VectorNorm}). Lane sums go through
 * {@link Lanes#sum}, so a row's sums are grouped by {@code d} alone.
 *
 * <p>A missing gamma or beta reads a per-thread row of ones or zeros, and a missing gradient
 * accumulator writes into a per-thread sink row: one loop per kernel instead of one per combination
 * (the layers pass all of them or none; the extra loads cost nothing next to the row's own).
 */
final class VectorRows implements RowKernels {
  private static final VectorSpecies<Float> S = VectorKernelProvider.SPECIES;
  private static final int L = S.length();

  /** Per-thread rows of ones, zeros and a sink, grown to the largest d seen; two sums. */
  private static final class Scratch {
    float[] ones = new float[0];
    float[] zeros = new float[0];
    float[] sink = new float[0];
    final float[] sums = new float[2];

    Scratch fit(int d) {
      if (ones.length < d) {
        ones = new float[d];
        java.util.Arrays.fill(ones, 1f);
        zeros = new float[d];
        sink = new float[d];
      }
      return this;
    }
  }

  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  @Override
  public void layerNorm(float[] x, int xOff, float[] y, int yOff, int r0, int r1, int d, float[] gamma,
      float[] beta, float eps, float[] mean, float[] rstd) {
    Scratch s = SCRATCH.get().fit(d);
    float[] gm = gamma != null ? gamma : s.ones;
    float[] bt = beta != null ? beta : s.zeros;
    for (int r = r0; r < r1; r++) {
      int xb = xOff + r * d;
      float m = sum(x, xb, d) / d;
      float var = centeredSquares(x, xb, d, m) / d;
      float rs = (float) (1 / Math.sqrt(var + eps));
      mean[r] = m;
      rstd[r] = rs;
      normalize(x, xb, y, yOff + r * d, d, m, rs, gm, bt);
    }
  }

  private static float sum(float[] x, int xb, int d) {
    int bound = S.loopBound(d);
    FloatVector acc = FloatVector.zero(S);
    int j = 0;
    for (; j < bound; j += L) {
      acc = acc.add(FloatVector.fromArray(S, x, xb + j));
    }
    float s = Lanes.sum(acc);
    for (; j < d; j++) {
      s += x[xb + j];
    }
    return s;
  }

  private static float centeredSquares(float[] x, int xb, int d, float m) {
    int bound = S.loopBound(d);
    FloatVector acc = FloatVector.zero(S);
    int j = 0;
    for (; j < bound; j += L) {
      FloatVector c = FloatVector.fromArray(S, x, xb + j).sub(m);
      acc = c.fma(c, acc);
    }
    float s = Lanes.sum(acc);
    for (; j < d; j++) {
      float c = x[xb + j] - m;
      s += c * c;
    }
    return s;
  }

  private static float squares(float[] x, int xb, int d) {
    int bound = S.loopBound(d);
    FloatVector acc = FloatVector.zero(S);
    int j = 0;
    for (; j < bound; j += L) {
      FloatVector c = FloatVector.fromArray(S, x, xb + j);
      acc = c.fma(c, acc);
    }
    float s = Lanes.sum(acc);
    for (; j < d; j++) {
      s += x[xb + j] * x[xb + j];
    }
    return s;
  }

  /** y := (x - m) * rs * gamma + beta. */
  private static void normalize(float[] x, int xb, float[] y, int yb, int d, float m, float rs, float[] gamma,
      float[] beta) {
    int bound = S.loopBound(d);
    int j = 0;
    for (; j < bound; j += L) {
      FloatVector.fromArray(S, x, xb + j).sub(m).mul(rs)
          .fma(FloatVector.fromArray(S, gamma, j), FloatVector.fromArray(S, beta, j)).intoArray(y, yb + j);
    }
    for (; j < d; j++) {
      y[yb + j] = Math.fma((x[xb + j] - m) * rs, gamma[j], beta[j]);
    }
  }

  @Override
  public void layerNormBackward(float[] x, int xOff, float[] g, int gOff, float[] gx, int gxOff, int r0, int r1,
      int d, float[] gamma, float[] mean, float[] rstd, float[] gGamma, int gGammaOff, float[] gBeta, int gBetaOff) {
    Scratch s = SCRATCH.get().fit(d);
    float[] gm = gamma != null ? gamma : s.ones;
    float[] gg = gGamma != null ? gGamma : s.sink;
    int ggo = gGamma != null ? gGammaOff : 0;
    float[] gbt = gBeta != null ? gBeta : s.sink;
    int gbo = gBeta != null ? gBetaOff : 0;
    float[] sums = s.sums;
    for (int r = r0; r < r1; r++) {
      int xb = xOff + r * d;
      int gb = gOff + r * d;
      float m = mean[r];
      float rs = rstd[r];
      lnSums(x, xb, g, gb, d, m, rs, gm, gg, ggo, gbt, gbo, sums);
      float a = sums[0] / d;
      float b = sums[1] / d;
      lnGrad(x, xb, g, gb, gx, gxOff + r * d, d, m, rs, gm, a, b);
    }
  }

  /**
   * sums[0] := sum(h), sums[1] := sum(h * xhat) with h = g * gamma, xhat = (x - m) * rs;
   * gGamma += g * xhat, gBeta += g.
   */
  private static void lnSums(float[] x, int xb, float[] g, int gb, int d, float m, float rs, float[] gamma,
      float[] gGamma, int ggo, float[] gBeta, int gbo, float[] sums) {
    int bound = S.loopBound(d);
    FloatVector sh = FloatVector.zero(S);
    FloatVector shx = FloatVector.zero(S);
    int j = 0;
    for (; j < bound; j += L) {
      FloatVector xhat = FloatVector.fromArray(S, x, xb + j).sub(m).mul(rs);
      FloatVector gv = FloatVector.fromArray(S, g, gb + j);
      FloatVector h = gv.mul(FloatVector.fromArray(S, gamma, j));
      sh = sh.add(h);
      shx = h.fma(xhat, shx);
      gv.fma(xhat, FloatVector.fromArray(S, gGamma, ggo + j)).intoArray(gGamma, ggo + j);
      gv.add(FloatVector.fromArray(S, gBeta, gbo + j)).intoArray(gBeta, gbo + j);
    }
    float a = Lanes.sum(sh);
    float b = Lanes.sum(shx);
    for (; j < d; j++) {
      float xhat = (x[xb + j] - m) * rs;
      float gj = g[gb + j];
      float h = gj * gamma[j];
      a += h;
      b = Math.fma(h, xhat, b);
      gGamma[ggo + j] = Math.fma(gj, xhat, gGamma[ggo + j]);
      gBeta[gbo + j] += gj;
    }
    sums[0] = a;
    sums[1] = b;
  }

  /** gx := rs * (g * gamma - a - xhat * b). */
  private static void lnGrad(float[] x, int xb, float[] g, int gb, float[] gx, int ob, int d, float m, float rs,
      float[] gamma, float a, float b) {
    int bound = S.loopBound(d);
    float nb = -b;
    int j = 0;
    for (; j < bound; j += L) {
      FloatVector xhat = FloatVector.fromArray(S, x, xb + j).sub(m).mul(rs);
      FloatVector h = FloatVector.fromArray(S, g, gb + j).mul(FloatVector.fromArray(S, gamma, j)).sub(a);
      xhat.fma(FloatVector.broadcast(S, nb), h).mul(rs).intoArray(gx, ob + j);
    }
    for (; j < d; j++) {
      float xhat = (x[xb + j] - m) * rs;
      float h = g[gb + j] * gamma[j] - a;
      gx[ob + j] = Math.fma(xhat, nb, h) * rs;
    }
  }

  @Override
  public void rmsNorm(float[] x, int xOff, float[] y, int yOff, int r0, int r1, int d, float[] gamma, float eps,
      float[] rstd) {
    Scratch s = SCRATCH.get().fit(d);
    float[] gm = gamma != null ? gamma : s.ones;
    for (int r = r0; r < r1; r++) {
      int xb = xOff + r * d;
      float rs = (float) (1 / Math.sqrt(squares(x, xb, d) / d + eps));
      rstd[r] = rs;
      scaleRow(x, xb, y, yOff + r * d, d, rs, gm);
    }
  }

  /** y := x * rs * gamma. */
  private static void scaleRow(float[] x, int xb, float[] y, int yb, int d, float rs, float[] gamma) {
    int bound = S.loopBound(d);
    int j = 0;
    for (; j < bound; j += L) {
      FloatVector.fromArray(S, x, xb + j).mul(rs).mul(FloatVector.fromArray(S, gamma, j)).intoArray(y, yb + j);
    }
    for (; j < d; j++) {
      y[yb + j] = x[xb + j] * rs * gamma[j];
    }
  }

  @Override
  public void rmsNormBackward(float[] x, int xOff, float[] g, int gOff, float[] gx, int gxOff, int r0, int r1,
      int d, float[] gamma, float[] rstd, float[] gGamma, int gGammaOff) {
    Scratch s = SCRATCH.get().fit(d);
    float[] gm = gamma != null ? gamma : s.ones;
    float[] gg = gGamma != null ? gGamma : s.sink;
    int ggo = gGamma != null ? gGammaOff : 0;
    for (int r = r0; r < r1; r++) {
      int xb = xOff + r * d;
      int gb = gOff + r * d;
      float rs = rstd[r];
      float b = rmsSum(x, xb, g, gb, d, rs, gm, gg, ggo) / d;
      lnGrad(x, xb, g, gb, gx, gxOff + r * d, d, 0f, rs, gm, 0f, b);
    }
  }

  /** sum(h * xhat) with h = g * gamma, xhat = x * rs; gGamma += g * xhat. */
  private static float rmsSum(float[] x, int xb, float[] g, int gb, int d, float rs, float[] gamma,
      float[] gGamma, int ggo) {
    int bound = S.loopBound(d);
    FloatVector shx = FloatVector.zero(S);
    int j = 0;
    for (; j < bound; j += L) {
      FloatVector xhat = FloatVector.fromArray(S, x, xb + j).mul(rs);
      FloatVector gv = FloatVector.fromArray(S, g, gb + j);
      shx = gv.mul(FloatVector.fromArray(S, gamma, j)).fma(xhat, shx);
      gv.fma(xhat, FloatVector.fromArray(S, gGamma, ggo + j)).intoArray(gGamma, ggo + j);
    }
    float b = Lanes.sum(shx);
    for (; j < d; j++) {
      float xhat = x[xb + j] * rs;
      float gj = g[gb + j];
      b = Math.fma(gj * gamma[j], xhat, b);
      gGamma[ggo + j] = Math.fma(gj, xhat, gGamma[ggo + j]);
    }
    return b;
  }

  private static int kept(int len, boolean causal, int firstRow, int i) {
    return causal ? (int) Math.min(len, (long) firstRow + i + 1) : len;
  }

  @Override
  public void softmax(float[] x, int xOff, float[] y, int yOff, int rows, int len, float scale, float[] mask,
      int maskOff, int maskLd, boolean causal, int firstRow) {
    for (int i = 0; i < rows; i++) {
      int xb = xOff + i * len;
      int yb = yOff + i * len;
      int n = kept(len, causal, firstRow, i);
      float max;
      float sum;
      if (mask != null) {
        int mb = maskOff + i * maskLd;
        max = maxMasked(x, xb, mask, mb, n, scale);
        sum = max == Float.NEGATIVE_INFINITY ? 0f : expMasked(x, xb, mask, mb, y, yb, n, scale, max);
      } else {
        max = maxScaled(x, xb, n, scale);
        sum = max == Float.NEGATIVE_INFINITY ? 0f : expScaled(x, xb, y, yb, n, scale, max);
      }
      if (max == Float.NEGATIVE_INFINITY) {
        n = 0; // masked out entirely: y = 0
      } else {
        mulRow(y, yb, n, 1f / sum);
      }
      for (int j = n; j < len; j++) {
        y[yb + j] = 0f;
      }
    }
  }

  private static float maxScaled(float[] x, int xb, int n, float scale) {
    int bound = S.loopBound(n);
    FloatVector acc = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
    int j = 0;
    for (; j < bound; j += L) {
      acc = acc.max(FloatVector.fromArray(S, x, xb + j).mul(scale));
    }
    float max = acc.reduceLanes(MAX); // a maximum does not depend on the order
    for (; j < n; j++) {
      max = Math.max(max, x[xb + j] * scale);
    }
    return max;
  }

  private static float maxMasked(float[] x, int xb, float[] mask, int mb, int n, float scale) {
    int bound = S.loopBound(n);
    FloatVector acc = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
    int j = 0;
    for (; j < bound; j += L) {
      acc = acc.max(FloatVector.fromArray(S, x, xb + j).fma(FloatVector.broadcast(S, scale), FloatVector.fromArray(S, mask, mb + j)));
    }
    float max = acc.reduceLanes(MAX);
    for (; j < n; j++) {
      max = Math.max(max, Math.fma(x[xb + j], scale, mask[mb + j]));
    }
    return max;
  }

  /** y := exp(x * scale - max); returns the sum. */
  private static float expScaled(float[] x, int xb, float[] y, int yb, int n, float scale, float max) {
    int bound = S.loopBound(n);
    FloatVector acc = FloatVector.zero(S);
    int j = 0;
    for (; j < bound; j += L) {
      FloatVector e = FloatVector.fromArray(S, x, xb + j).mul(scale).sub(max).lanewise(EXP);
      e.intoArray(y, yb + j);
      acc = acc.add(e);
    }
    float sum = Lanes.sum(acc);
    for (; j < n; j++) {
      float e = (float) Math.exp(x[xb + j] * scale - max);
      y[yb + j] = e;
      sum += e;
    }
    return sum;
  }

  /** y := exp(x * scale + mask - max); returns the sum. */
  private static float expMasked(float[] x, int xb, float[] mask, int mb, float[] y, int yb, int n, float scale,
      float max) {
    int bound = S.loopBound(n);
    FloatVector acc = FloatVector.zero(S);
    int j = 0;
    for (; j < bound; j += L) {
      FloatVector e = FloatVector.fromArray(S, x, xb + j).fma(FloatVector.broadcast(S, scale), FloatVector.fromArray(S, mask, mb + j))
          .sub(max).lanewise(EXP);
      e.intoArray(y, yb + j);
      acc = acc.add(e);
    }
    float sum = Lanes.sum(acc);
    for (; j < n; j++) {
      float e = (float) Math.exp(Math.fma(x[xb + j], scale, mask[mb + j]) - max);
      y[yb + j] = e;
      sum += e;
    }
    return sum;
  }

  private static void mulRow(float[] y, int yb, int n, float f) {
    int bound = S.loopBound(n);
    int j = 0;
    for (; j < bound; j += L) {
      FloatVector.fromArray(S, y, yb + j).mul(f).intoArray(y, yb + j);
    }
    for (; j < n; j++) {
      y[yb + j] *= f;
    }
  }

  @Override
  public void softmaxBackward(float[] y, int yOff, float[] g, int gOff, float[] gx, int gxOff, int rows, int len,
      float scale, boolean causal, int firstRow) {
    for (int i = 0; i < rows; i++) {
      int yb = yOff + i * len;
      int gb = gOff + i * len;
      int ob = gxOff + i * len;
      int n = kept(len, causal, firstRow, i);
      float dot = dot(g, gb, y, yb, n);
      softmaxGrad(y, yb, g, gb, gx, ob, n, dot, scale);
      for (int j = n; j < len; j++) {
        gx[ob + j] = 0f;
      }
    }
  }

  private static float dot(float[] a, int ab, float[] b, int bb, int n) {
    int bound = S.loopBound(n);
    FloatVector acc = FloatVector.zero(S);
    int j = 0;
    for (; j < bound; j += L) {
      acc = FloatVector.fromArray(S, a, ab + j).fma(FloatVector.fromArray(S, b, bb + j), acc);
    }
    float s = Lanes.sum(acc);
    for (; j < n; j++) {
      s = Math.fma(a[ab + j], b[bb + j], s);
    }
    return s;
  }

  /** gx := scale * y * (g - dot). */
  private static void softmaxGrad(float[] y, int yb, float[] g, int gb, float[] gx, int ob, int n, float dot,
      float scale) {
    int bound = S.loopBound(n);
    int j = 0;
    for (; j < bound; j += L) {
      FloatVector.fromArray(S, g, gb + j).sub(dot).mul(FloatVector.fromArray(S, y, yb + j)).mul(scale)
          .intoArray(gx, ob + j);
    }
    for (; j < n; j++) {
      gx[ob + j] = (g[gb + j] - dot) * y[yb + j] * scale;
    }
  }
}

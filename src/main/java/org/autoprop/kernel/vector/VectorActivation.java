package org.autoprop.kernel.vector;

import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.EXP;
import static jdk.incubator.vector.VectorOperators.EXPM1;
import static jdk.incubator.vector.VectorOperators.GT;
import static jdk.incubator.vector.VectorOperators.LOG1P;
import static jdk.incubator.vector.VectorOperators.LT;
import static jdk.incubator.vector.VectorOperators.MAX;
import static jdk.incubator.vector.VectorOperators.TANH;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.autoprop.kernel.ActivationKernels;

/**
 * Vector API {@link ActivationKernels}: a {@code loopBound} main loop and a scalar tail, no masks.
 *
 * <p>Transcendentals use {@code lanewise(EXP / EXPM1 / LOG1P / TANH)}, SVML intrinsics on x86 from
 * JDK 17 on, because nothing written here beats them: per element on a 512-bit AVX-512 EPYC (4096
 * floats) EXP takes 0.29 ns against 21.6 for {@code Math.exp} and TANH 0.50 against 27.2 for
 * {@code Math.tanh} on JDK 17 (0.14 vs 3.7 and 0.46 vs 9.1 on JDK 25), while a Cephes exp
 * polynomial in FMAs takes 24.6 ns on JDK 17, whose C2 does not intrinsify its float-int
 * conversions, and 0.35 on JDK 25. erf has no lanewise op: it is Eigen's rational polynomial (FMAs
 * and one division), identical to {@link ActivationKernels#erf(float)}.
 */
final class VectorActivation implements ActivationKernels {
  private static final VectorSpecies<Float> S = VectorKernelProvider.SPECIES;
  private static final int L = S.length();
  private static final float INV_SQRT2 = 0.70710678118654752f;
  private static final float INV_SQRT_2PI = 0.39894228040143268f;
  private static final float GELU_K = 0.79788456080286536f;
  private static final float GELU_C = 0.044715f;

  private static FloatVector erf(FloatVector v) {
    FloatVector c = v.max(-4f).min(4f);
    FloatVector x2 = c.mul(c);
    FloatVector p = x2.fma(FloatVector.broadcast(S, -2.72614225801306e-10f), FloatVector.broadcast(S, 2.77068142495902e-08f));
    p = x2.fma(p, FloatVector.broadcast(S, -2.10102402082508e-06f));
    p = x2.fma(p, FloatVector.broadcast(S, -5.69250639462346e-05f));
    p = x2.fma(p, FloatVector.broadcast(S, -7.34990630326855e-04f));
    p = x2.fma(p, FloatVector.broadcast(S, -2.95459980854025e-03f));
    p = x2.fma(p, FloatVector.broadcast(S, -1.60960333262415e-02f));
    FloatVector q = x2.fma(FloatVector.broadcast(S, -1.45660718464996e-05f), FloatVector.broadcast(S, -2.13374055278905e-04f));
    q = x2.fma(q, FloatVector.broadcast(S, -1.68282697438203e-03f));
    q = x2.fma(q, FloatVector.broadcast(S, -7.37332916720468e-03f));
    q = x2.fma(q, FloatVector.broadcast(S, -1.42647390514189e-02f));
    return c.mul(p).div(q);
  }

  /** 1 / (1 + exp(-v)): exp overflows to +inf below -88 and 1 / inf = 0, so no NaN. */
  private static FloatVector sigmoid(FloatVector v) {
    return FloatVector.broadcast(S, 1f).div(v.neg().lanewise(EXP).add(1f));
  }

  private static float sigmoid(float x) {
    return 1f / (1f + (float) Math.exp(-x));
  }

  @Override
  public void erf(float[] x, int xOff, float[] y, int yOff, int n) {
    int i = 0;
    for (int bound = S.loopBound(n); i < bound; i += L) {
      erf(FloatVector.fromArray(S, x, xOff + i)).intoArray(y, yOff + i);
    }
    for (; i < n; i++) {
      y[yOff + i] = ActivationKernels.erf(x[xOff + i]);
    }
  }

  @Override
  public void relu6(float[] x, int xOff, float[] y, int yOff, int n) {
    int i = 0;
    for (int bound = S.loopBound(n); i < bound; i += L) {
      FloatVector.fromArray(S, x, xOff + i).max(0f).min(6f).intoArray(y, yOff + i);
    }
    for (; i < n; i++) {
      y[yOff + i] = Math.min(Math.max(x[xOff + i], 0f), 6f);
    }
  }

  @Override
  public void relu6Backward(float[] x, int xOff, float[] g, int gOff, float[] gx, int gxOff, int n) {
    FloatVector zero = FloatVector.zero(S);
    int i = 0;
    for (int bound = S.loopBound(n); i < bound; i += L) {
      FloatVector v = FloatVector.fromArray(S, x, xOff + i);
      zero.blend(FloatVector.fromArray(S, g, gOff + i), v.compare(GT, 0f).and(v.compare(LT, 6f)))
          .intoArray(gx, gxOff + i);
    }
    for (; i < n; i++) {
      float v = x[xOff + i];
      gx[gxOff + i] = v > 0f && v < 6f ? g[gOff + i] : 0f;
    }
  }

  @Override
  public void leakyRelu(float slope, float[] x, int xOff, float[] y, int yOff, int n) {
    int i = 0;
    for (int bound = S.loopBound(n); i < bound; i += L) {
      FloatVector v = FloatVector.fromArray(S, x, xOff + i);
      v.mul(slope).blend(v, v.compare(GT, 0f)).intoArray(y, yOff + i);
    }
    for (; i < n; i++) {
      float v = x[xOff + i];
      y[yOff + i] = v > 0f ? v : slope * v;
    }
  }

  @Override
  public void leakyReluBackward(float slope, float[] x, int xOff, float[] g, int gOff, float[] gx, int gxOff, int n) {
    int i = 0;
    for (int bound = S.loopBound(n); i < bound; i += L) {
      FloatVector gv = FloatVector.fromArray(S, g, gOff + i);
      gv.mul(slope).blend(gv, FloatVector.fromArray(S, x, xOff + i).compare(GT, 0f)).intoArray(gx, gxOff + i);
    }
    for (; i < n; i++) {
      gx[gxOff + i] = x[xOff + i] > 0f ? g[gOff + i] : slope * g[gOff + i];
    }
  }

  @Override
  public void elu(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
    int i = 0;
    for (int bound = S.loopBound(n); i < bound; i += L) {
      FloatVector v = FloatVector.fromArray(S, x, xOff + i);
      // expm1 of a large positive lane is +inf, but the blend drops it: no inf or NaN escapes.
      v.lanewise(EXPM1).mul(alpha).blend(v, v.compare(GT, 0f)).intoArray(y, yOff + i);
    }
    for (; i < n; i++) {
      float v = x[xOff + i];
      y[yOff + i] = v > 0f ? v : alpha * (float) Math.expm1(v);
    }
  }

  @Override
  public void eluBackward(float alpha, float[] x, int xOff, float[] y, int yOff, float[] g, int gOff,
      float[] gx, int gxOff, int n) {
    int i = 0;
    for (int bound = S.loopBound(n); i < bound; i += L) {
      FloatVector gv = FloatVector.fromArray(S, g, gOff + i);
      gv.mul(FloatVector.fromArray(S, y, yOff + i).add(alpha))
          .blend(gv, FloatVector.fromArray(S, x, xOff + i).compare(GT, 0f))
          .intoArray(gx, gxOff + i);
    }
    for (; i < n; i++) {
      float gi = g[gOff + i];
      gx[gxOff + i] = x[xOff + i] > 0f ? gi : gi * (y[yOff + i] + alpha);
    }
  }

  @Override
  public void selu(float[] x, int xOff, float[] y, int yOff, int n) {
    int i = 0;
    for (int bound = S.loopBound(n); i < bound; i += L) {
      FloatVector v = FloatVector.fromArray(S, x, xOff + i);
      v.lanewise(EXPM1).mul(SELU_SCALE * SELU_ALPHA).blend(v.mul(SELU_SCALE), v.compare(GT, 0f))
          .intoArray(y, yOff + i);
    }
    for (; i < n; i++) {
      float v = x[xOff + i];
      y[yOff + i] = v > 0f ? SELU_SCALE * v : (SELU_SCALE * SELU_ALPHA) * (float) Math.expm1(v);
    }
  }

  @Override
  public void seluBackward(float[] x, int xOff, float[] y, int yOff, float[] g, int gOff, float[] gx, int gxOff, int n) {
    int i = 0;
    for (int bound = S.loopBound(n); i < bound; i += L) {
      FloatVector gv = FloatVector.fromArray(S, g, gOff + i);
      gv.mul(FloatVector.fromArray(S, y, yOff + i).add(SELU_SCALE * SELU_ALPHA))
          .blend(gv.mul(SELU_SCALE), FloatVector.fromArray(S, x, xOff + i).compare(GT, 0f))
          .intoArray(gx, gxOff + i);
    }
    for (; i < n; i++) {
      float gi = g[gOff + i];
      gx[gxOff + i] = x[xOff + i] > 0f ? SELU_SCALE * gi : gi * (y[yOff + i] + SELU_SCALE * SELU_ALPHA);
    }
  }

  @Override
  public void gelu(float[] x, int xOff, float[] y, int yOff, int n) {
    int i = 0;
    for (int bound = S.loopBound(n); i < bound; i += L) {
      FloatVector v = FloatVector.fromArray(S, x, xOff + i);
      v.mul(0.5f).mul(erf(v.mul(INV_SQRT2)).add(1f)).intoArray(y, yOff + i);
    }
    for (; i < n; i++) {
      float v = x[xOff + i];
      y[yOff + i] = 0.5f * v * (1f + ActivationKernels.erf(v * INV_SQRT2));
    }
  }

  @Override
  public void geluBackward(float[] x, int xOff, float[] g, int gOff, float[] gx, int gxOff, int n) {
    int i = 0;
    for (int bound = S.loopBound(n); i < bound; i += L) {
      FloatVector v = FloatVector.fromArray(S, x, xOff + i);
      FloatVector cdf = erf(v.mul(INV_SQRT2)).add(1f).mul(0.5f);
      FloatVector pdf = v.mul(v).mul(-0.5f).lanewise(EXP).mul(INV_SQRT_2PI);
      v.fma(pdf, cdf).mul(FloatVector.fromArray(S, g, gOff + i)).intoArray(gx, gxOff + i);
    }
    for (; i < n; i++) {
      float v = x[xOff + i];
      float cdf = 0.5f * (1f + ActivationKernels.erf(v * INV_SQRT2));
      float pdf = INV_SQRT_2PI * (float) Math.exp(-0.5f * v * v);
      gx[gxOff + i] = g[gOff + i] * (cdf + v * pdf);
    }
  }

  @Override
  public void geluTanh(float[] x, int xOff, float[] y, int yOff, int n) {
    int i = 0;
    for (int bound = S.loopBound(n); i < bound; i += L) {
      FloatVector v = FloatVector.fromArray(S, x, xOff + i);
      FloatVector t = v.mul(v).mul(GELU_C).add(1f).mul(v).mul(GELU_K).lanewise(TANH);
      v.mul(0.5f).mul(t.add(1f)).intoArray(y, yOff + i);
    }
    for (; i < n; i++) {
      float v = x[xOff + i];
      float t = (float) Math.tanh(GELU_K * (v + GELU_C * v * v * v));
      y[yOff + i] = 0.5f * v * (1f + t);
    }
  }

  @Override
  public void geluTanhBackward(float[] x, int xOff, float[] g, int gOff, float[] gx, int gxOff, int n) {
    int i = 0;
    for (int bound = S.loopBound(n); i < bound; i += L) {
      FloatVector v = FloatVector.fromArray(S, x, xOff + i);
      FloatVector v2 = v.mul(v);
      FloatVector t = v2.mul(GELU_C).add(1f).mul(v).mul(GELU_K).lanewise(TANH);
      FloatVector inner = v2.mul(3f * GELU_C).add(1f).mul(GELU_K);
      FloatVector left = t.add(1f).mul(0.5f);
      FloatVector right = v.mul(0.5f).mul(t.mul(t).neg().add(1f)).mul(inner);
      left.add(right).mul(FloatVector.fromArray(S, g, gOff + i)).intoArray(gx, gxOff + i);
    }
    for (; i < n; i++) {
      float v = x[xOff + i];
      float t = (float) Math.tanh(GELU_K * (v + GELU_C * v * v * v));
      float inner = GELU_K * (1f + 3f * GELU_C * v * v);
      gx[gxOff + i] = g[gOff + i] * (0.5f * (1f + t) + 0.5f * v * (1f - t * t) * inner);
    }
  }

  @Override
  public void sigmoid(float[] x, int xOff, float[] y, int yOff, int n) {
    int i = 0;
    for (int bound = S.loopBound(n); i < bound; i += L) {
      sigmoid(FloatVector.fromArray(S, x, xOff + i)).intoArray(y, yOff + i);
    }
    for (; i < n; i++) {
      y[yOff + i] = sigmoid(x[xOff + i]);
    }
  }

  @Override
  public void sigmoidBackward(float[] y, int yOff, float[] g, int gOff, float[] gx, int gxOff, int n) {
    int i = 0;
    for (int bound = S.loopBound(n); i < bound; i += L) {
      FloatVector s = FloatVector.fromArray(S, y, yOff + i);
      FloatVector.fromArray(S, g, gOff + i).mul(s).mul(s.neg().add(1f)).intoArray(gx, gxOff + i);
    }
    for (; i < n; i++) {
      float s = y[yOff + i];
      gx[gxOff + i] = g[gOff + i] * s * (1f - s);
    }
  }

  @Override
  public void tanh(float[] x, int xOff, float[] y, int yOff, int n) {
    int i = 0;
    for (int bound = S.loopBound(n); i < bound; i += L) {
      FloatVector.fromArray(S, x, xOff + i).lanewise(TANH).intoArray(y, yOff + i);
    }
    for (; i < n; i++) {
      y[yOff + i] = (float) Math.tanh(x[xOff + i]);
    }
  }

  @Override
  public void tanhBackward(float[] y, int yOff, float[] g, int gOff, float[] gx, int gxOff, int n) {
    int i = 0;
    for (int bound = S.loopBound(n); i < bound; i += L) {
      FloatVector t = FloatVector.fromArray(S, y, yOff + i);
      FloatVector.fromArray(S, g, gOff + i).mul(t.mul(t).neg().add(1f)).intoArray(gx, gxOff + i);
    }
    for (; i < n; i++) {
      float t = y[yOff + i];
      gx[gxOff + i] = g[gOff + i] * (1f - t * t);
    }
  }

  @Override
  public void softplus(float beta, float threshold, float[] x, int xOff, float[] y, int yOff, int n) {
    int i = 0;
    for (int bound = S.loopBound(n); i < bound; i += L) {
      FloatVector v = FloatVector.fromArray(S, x, xOff + i);
      FloatVector bx = v.mul(beta);
      FloatVector sp = bx.max(0f).add(bx.abs().neg().lanewise(EXP).lanewise(LOG1P)).div(beta);
      sp.blend(v, bx.compare(GT, threshold)).intoArray(y, yOff + i);
    }
    for (; i < n; i++) {
      float v = x[xOff + i];
      float bx = beta * v;
      float sp = Math.max(bx, 0f) + (float) Math.log1p(Math.exp(-Math.abs(bx)));
      y[yOff + i] = bx > threshold ? v : sp / beta;
    }
  }

  @Override
  public void softplusBackward(float beta, float threshold, float[] x, int xOff, float[] g, int gOff,
      float[] gx, int gxOff, int n) {
    int i = 0;
    for (int bound = S.loopBound(n); i < bound; i += L) {
      FloatVector bx = FloatVector.fromArray(S, x, xOff + i).mul(beta);
      FloatVector gv = FloatVector.fromArray(S, g, gOff + i);
      gv.mul(sigmoid(bx)).blend(gv, bx.compare(GT, threshold)).intoArray(gx, gxOff + i);
    }
    for (; i < n; i++) {
      float bx = beta * x[xOff + i];
      gx[gxOff + i] = bx > threshold ? g[gOff + i] : g[gOff + i] * sigmoid(bx);
    }
  }

  @Override
  public void swish(float beta, float[] x, int xOff, float[] y, int yOff, int n) {
    int i = 0;
    for (int bound = S.loopBound(n); i < bound; i += L) {
      FloatVector v = FloatVector.fromArray(S, x, xOff + i);
      v.mul(sigmoid(v.mul(beta))).intoArray(y, yOff + i);
    }
    for (; i < n; i++) {
      float v = x[xOff + i];
      y[yOff + i] = v * sigmoid(beta * v);
    }
  }

  @Override
  public void swishBackward(float beta, float[] x, int xOff, float[] g, int gOff, float[] gx, int gxOff, int n) {
    int i = 0;
    for (int bound = S.loopBound(n); i < bound; i += L) {
      FloatVector v = FloatVector.fromArray(S, x, xOff + i);
      FloatVector s = sigmoid(v.mul(beta));
      // s + beta x s (1 - s)
      FloatVector d = v.mul(beta).mul(s).mul(s.neg().add(1f)).add(s);
      d.mul(FloatVector.fromArray(S, g, gOff + i)).intoArray(gx, gxOff + i);
    }
    for (; i < n; i++) {
      float v = x[xOff + i];
      float s = sigmoid(beta * v);
      gx[gxOff + i] = g[gOff + i] * (s + beta * v * s * (1f - s));
    }
  }

  @Override
  public void hardSwish(float[] x, int xOff, float[] y, int yOff, int n) {
    int i = 0;
    for (int bound = S.loopBound(n); i < bound; i += L) {
      FloatVector v = FloatVector.fromArray(S, x, xOff + i);
      v.mul(v.add(3f).max(0f).min(6f)).mul(1f / 6f).intoArray(y, yOff + i);
    }
    for (; i < n; i++) {
      float v = x[xOff + i];
      y[yOff + i] = v * Math.min(Math.max(v + 3f, 0f), 6f) * (1f / 6f);
    }
  }

  @Override
  public void hardSwishBackward(float[] x, int xOff, float[] g, int gOff, float[] gx, int gxOff, int n) {
    FloatVector zero = FloatVector.zero(S);
    FloatVector one = FloatVector.broadcast(S, 1f);
    int i = 0;
    for (int bound = S.loopBound(n); i < bound; i += L) {
      FloatVector v = FloatVector.fromArray(S, x, xOff + i);
      FloatVector d = v.mul(1f / 3f).add(0.5f).blend(zero, v.compare(LT, -3f)).blend(one, v.compare(GT, 3f));
      d.mul(FloatVector.fromArray(S, g, gOff + i)).intoArray(gx, gxOff + i);
    }
    for (; i < n; i++) {
      float v = x[xOff + i];
      float d = v < -3f ? 0f : v <= 3f ? v * (1f / 3f) + 0.5f : 1f;
      gx[gxOff + i] = g[gOff + i] * d;
    }
  }

  @Override
  public void softmax(float[] x, int xOff, float[] y, int yOff, int outer, int len, int inner) {
    if (inner == 1) {
      for (int o = 0; o < outer; o++) {
        softmaxRow(x, xOff + o * len, y, yOff + o * len, len);
      }
      return;
    }
    // Softmax over a middle axis: the inner axis is contiguous, so lanes run along it and each
    // lane reduces over len with stride inner; the inner tail falls back to a strided scalar loop.
    int bound = S.loopBound(inner);
    for (int o = 0; o < outer; o++) {
      int base = o * len * inner;
      int j = 0;
      for (; j < bound; j += L) {
        int xb = xOff + base + j;
        int yb = yOff + base + j;
        FloatVector max = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (int k = 0; k < len; k++) {
          max = max.max(FloatVector.fromArray(S, x, xb + k * inner));
        }
        FloatVector sum = FloatVector.zero(S);
        for (int k = 0; k < len; k++) {
          FloatVector e = FloatVector.fromArray(S, x, xb + k * inner).sub(max).lanewise(EXP);
          e.intoArray(y, yb + k * inner);
          sum = sum.add(e);
        }
        FloatVector inv = FloatVector.broadcast(S, 1f).div(sum);
        for (int k = 0; k < len; k++) {
          FloatVector.fromArray(S, y, yb + k * inner).mul(inv).intoArray(y, yb + k * inner);
        }
      }
      for (; j < inner; j++) {
        softmaxStrided(x, xOff + base + j, y, yOff + base + j, len, inner);
      }
    }
  }

  private static void softmaxRow(float[] x, int xb, float[] y, int yb, int len) {
    int bound = S.loopBound(len);
    FloatVector vmax = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
    int k = 0;
    for (; k < bound; k += L) {
      vmax = vmax.max(FloatVector.fromArray(S, x, xb + k));
    }
    float max = vmax.reduceLanes(MAX);
    for (; k < len; k++) {
      max = Math.max(max, x[xb + k]);
    }
    FloatVector vsum = FloatVector.zero(S);
    k = 0;
    for (; k < bound; k += L) {
      FloatVector e = FloatVector.fromArray(S, x, xb + k).sub(max).lanewise(EXP);
      e.intoArray(y, yb + k);
      vsum = vsum.add(e);
    }
    float sum = Lanes.sum(vsum);
    for (; k < len; k++) {
      float e = (float) Math.exp(x[xb + k] - max);
      y[yb + k] = e;
      sum += e;
    }
    float inv = 1f / sum;
    k = 0;
    for (; k < bound; k += L) {
      FloatVector.fromArray(S, y, yb + k).mul(inv).intoArray(y, yb + k);
    }
    for (; k < len; k++) {
      y[yb + k] *= inv;
    }
  }

  private static void softmaxStrided(float[] x, int xb, float[] y, int yb, int len, int stride) {
    float max = Float.NEGATIVE_INFINITY;
    for (int k = 0; k < len; k++) {
      max = Math.max(max, x[xb + k * stride]);
    }
    float sum = 0f;
    for (int k = 0; k < len; k++) {
      float e = (float) Math.exp(x[xb + k * stride] - max);
      y[yb + k * stride] = e;
      sum += e;
    }
    float inv = 1f / sum;
    for (int k = 0; k < len; k++) {
      y[yb + k * stride] *= inv;
    }
  }

  @Override
  public void softmaxBackward(float[] y, int yOff, float[] g, int gOff, float[] gx, int gxOff,
      int outer, int len, int inner) {
    if (inner == 1) {
      int bound = S.loopBound(len);
      for (int o = 0; o < outer; o++) {
        int yb = yOff + o * len;
        int gb = gOff + o * len;
        int xb = gxOff + o * len;
        FloatVector acc = FloatVector.zero(S);
        int k = 0;
        for (; k < bound; k += L) {
          acc = FloatVector.fromArray(S, g, gb + k).fma(FloatVector.fromArray(S, y, yb + k), acc);
        }
        float dot = Lanes.sum(acc);
        for (; k < len; k++) {
          dot += g[gb + k] * y[yb + k];
        }
        k = 0;
        for (; k < bound; k += L) {
          FloatVector.fromArray(S, g, gb + k).sub(dot).mul(FloatVector.fromArray(S, y, yb + k)).intoArray(gx, xb + k);
        }
        for (; k < len; k++) {
          gx[xb + k] = y[yb + k] * (g[gb + k] - dot);
        }
      }
      return;
    }
    int bound = S.loopBound(inner);
    for (int o = 0; o < outer; o++) {
      int base = o * len * inner;
      int j = 0;
      for (; j < bound; j += L) {
        int at = base + j;
        FloatVector dot = FloatVector.zero(S);
        for (int k = 0; k < len; k++) {
          int p = at + k * inner;
          dot = FloatVector.fromArray(S, g, gOff + p).fma(FloatVector.fromArray(S, y, yOff + p), dot);
        }
        for (int k = 0; k < len; k++) {
          int p = at + k * inner;
          FloatVector.fromArray(S, g, gOff + p).sub(dot).mul(FloatVector.fromArray(S, y, yOff + p))
              .intoArray(gx, gxOff + p);
        }
      }
      for (; j < inner; j++) {
        int at = base + j;
        float dot = 0f;
        for (int k = 0; k < len; k++) {
          dot += g[gOff + at + k * inner] * y[yOff + at + k * inner];
        }
        for (int k = 0; k < len; k++) {
          int p = at + k * inner;
          gx[gxOff + p] = y[yOff + p] * (g[gOff + p] - dot);
        }
      }
    }
  }
}

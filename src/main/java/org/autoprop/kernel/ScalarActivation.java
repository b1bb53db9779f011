package org.autoprop.kernel;

/** Scalar twin of the {@link ActivationKernels}: plain loops over {@link Math}, the oracle. */
final class ScalarActivation implements ActivationKernels {
  private static final float INV_SQRT2 = 0.70710678118654752f;
  private static final float INV_SQRT_2PI = 0.39894228040143268f;
  private static final float GELU_K = 0.79788456080286536f; // sqrt(2 / pi)
  private static final float GELU_C = 0.044715f;

  static float sigmoid(float x) {
    // exp(-x) overflows to +inf for x < -88, and 1 / inf = 0: no NaN at either end.
    return 1f / (1f + (float) Math.exp(-x));
  }

  @Override
  public void erf(float[] x, int xOff, float[] y, int yOff, int n) {
    for (int i = 0; i < n; i++) {
      y[yOff + i] = ActivationKernels.erf(x[xOff + i]);
    }
  }

  @Override
  public void relu6(float[] x, int xOff, float[] y, int yOff, int n) {
    for (int i = 0; i < n; i++) {
      y[yOff + i] = Math.min(Math.max(x[xOff + i], 0f), 6f);
    }
  }

  @Override
  public void relu6Backward(float[] x, int xOff, float[] g, int gOff, float[] gx, int gxOff, int n) {
    for (int i = 0; i < n; i++) {
      float v = x[xOff + i];
      gx[gxOff + i] = v > 0f && v < 6f ? g[gOff + i] : 0f;
    }
  }

  @Override
  public void leakyRelu(float slope, float[] x, int xOff, float[] y, int yOff, int n) {
    for (int i = 0; i < n; i++) {
      float v = x[xOff + i];
      y[yOff + i] = v > 0f ? v : slope * v;
    }
  }

  @Override
  public void leakyReluBackward(float slope, float[] x, int xOff, float[] g, int gOff, float[] gx, int gxOff, int n) {
    for (int i = 0; i < n; i++) {
      gx[gxOff + i] = x[xOff + i] > 0f ? g[gOff + i] : slope * g[gOff + i];
    }
  }

  @Override
  public void elu(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
    for (int i = 0; i < n; i++) {
      float v = x[xOff + i];
      y[yOff + i] = v > 0f ? v : alpha * (float) Math.expm1(v);
    }
  }

  @Override
  public void eluBackward(float alpha, float[] x, int xOff, float[] y, int yOff, float[] g, int gOff,
      float[] gx, int gxOff, int n) {
    for (int i = 0; i < n; i++) {
      float gi = g[gOff + i];
      gx[gxOff + i] = x[xOff + i] > 0f ? gi : gi * (y[yOff + i] + alpha);
    }
  }

  @Override
  public void selu(float[] x, int xOff, float[] y, int yOff, int n) {
    for (int i = 0; i < n; i++) {
      float v = x[xOff + i];
      y[yOff + i] = v > 0f ? SELU_SCALE * v : (SELU_SCALE * SELU_ALPHA) * (float) Math.expm1(v);
    }
  }

  @Override
  public void seluBackward(float[] x, int xOff, float[] y, int yOff, float[] g, int gOff, float[] gx, int gxOff, int n) {
    for (int i = 0; i < n; i++) {
      float gi = g[gOff + i];
      gx[gxOff + i] = x[xOff + i] > 0f ? SELU_SCALE * gi : gi * (y[yOff + i] + SELU_SCALE * SELU_ALPHA);
    }
  }

  @Override
  public void gelu(float[] x, int xOff, float[] y, int yOff, int n) {
    for (int i = 0; i < n; i++) {
      float v = x[xOff + i];
      y[yOff + i] = 0.5f * v * (1f + ActivationKernels.erf(v * INV_SQRT2));
    }
  }

  @Override
  public void geluBackward(float[] x, int xOff, float[] g, int gOff, float[] gx, int gxOff, int n) {
    for (int i = 0; i < n; i++) {
      float v = x[xOff + i];
      float cdf = 0.5f * (1f + ActivationKernels.erf(v * INV_SQRT2));
      float pdf = INV_SQRT_2PI * (float) Math.exp(-0.5f * v * v);
      gx[gxOff + i] = g[gOff + i] * (cdf + v * pdf);
    }
  }

  @Override
  public void geluTanh(float[] x, int xOff, float[] y, int yOff, int n) {
    for (int i = 0; i < n; i++) {
      float v = x[xOff + i];
      float t = (float) Math.tanh(GELU_K * (v + GELU_C * v * v * v));
      y[yOff + i] = 0.5f * v * (1f + t);
    }
  }

  @Override
  public void geluTanhBackward(float[] x, int xOff, float[] g, int gOff, float[] gx, int gxOff, int n) {
    for (int i = 0; i < n; i++) {
      float v = x[xOff + i];
      float t = (float) Math.tanh(GELU_K * (v + GELU_C * v * v * v));
      float inner = GELU_K * (1f + 3f * GELU_C * v * v);
      gx[gxOff + i] = g[gOff + i] * (0.5f * (1f + t) + 0.5f * v * (1f - t * t) * inner);
    }
  }

  @Override
  public void sigmoid(float[] x, int xOff, float[] y, int yOff, int n) {
    for (int i = 0; i < n; i++) {
      y[yOff + i] = sigmoid(x[xOff + i]);
    }
  }

  @Override
  public void sigmoidBackward(float[] y, int yOff, float[] g, int gOff, float[] gx, int gxOff, int n) {
    for (int i = 0; i < n; i++) {
      float s = y[yOff + i];
      gx[gxOff + i] = g[gOff + i] * s * (1f - s);
    }
  }

  @Override
  public void tanh(float[] x, int xOff, float[] y, int yOff, int n) {
    for (int i = 0; i < n; i++) {
      y[yOff + i] = (float) Math.tanh(x[xOff + i]);
    }
  }

  @Override
  public void tanhBackward(float[] y, int yOff, float[] g, int gOff, float[] gx, int gxOff, int n) {
    for (int i = 0; i < n; i++) {
      float t = y[yOff + i];
      gx[gxOff + i] = g[gOff + i] * (1f - t * t);
    }
  }

  @Override
  public void softplus(float beta, float threshold, float[] x, int xOff, float[] y, int yOff, int n) {
    for (int i = 0; i < n; i++) {
      float v = x[xOff + i];
      float bx = beta * v;
      // log1p(exp(bx)) = max(bx, 0) + log1p(exp(-|bx|)): never overflows, whatever the threshold.
      float sp = Math.max(bx, 0f) + (float) Math.log1p(Math.exp(-Math.abs(bx)));
      y[yOff + i] = bx > threshold ? v : sp / beta;
    }
  }

  @Override
  public void softplusBackward(float beta, float threshold, float[] x, int xOff, float[] g, int gOff,
      float[] gx, int gxOff, int n) {
    for (int i = 0; i < n; i++) {
      float bx = beta * x[xOff + i];
      gx[gxOff + i] = bx > threshold ? g[gOff + i] : g[gOff + i] * sigmoid(bx);
    }
  }

  @Override
  public void swish(float beta, float[] x, int xOff, float[] y, int yOff, int n) {
    for (int i = 0; i < n; i++) {
      float v = x[xOff + i];
      y[yOff + i] = v * sigmoid(beta * v);
    }
  }

  @Override
  public void swishBackward(float beta, float[] x, int xOff, float[] g, int gOff, float[] gx, int gxOff, int n) {
    for (int i = 0; i < n; i++) {
      float v = x[xOff + i];
      float s = sigmoid(beta * v);
      gx[gxOff + i] = g[gOff + i] * (s + beta * v * s * (1f - s));
    }
  }

  @Override
  public void hardSwish(float[] x, int xOff, float[] y, int yOff, int n) {
    for (int i = 0; i < n; i++) {
      float v = x[xOff + i];
      y[yOff + i] = v * Math.min(Math.max(v + 3f, 0f), 6f) * (1f / 6f);
    }
  }

  @Override
  public void hardSwishBackward(float[] x, int xOff, float[] g, int gOff, float[] gx, int gxOff, int n) {
    for (int i = 0; i < n; i++) {
      float v = x[xOff + i];
      float d = v < -3f ? 0f : v <= 3f ? v * (1f / 3f) + 0.5f : 1f;
      gx[gxOff + i] = g[gOff + i] * d;
    }
  }

  @Override
  public void softmax(float[] x, int xOff, float[] y, int yOff, int outer, int len, int inner) {
    for (int o = 0; o < outer; o++) {
      int base = o * len * inner;
      for (int j = 0; j < inner; j++) {
        int xb = xOff + base + j;
        int yb = yOff + base + j;
        float max = Float.NEGATIVE_INFINITY;
        for (int k = 0; k < len; k++) {
          max = Math.max(max, x[xb + k * inner]);
        }
        double sum = 0;
        for (int k = 0; k < len; k++) {
          float e = (float) Math.exp(x[xb + k * inner] - max);
          y[yb + k * inner] = e;
          sum += e;
        }
        float inv = (float) (1.0 / sum);
        for (int k = 0; k < len; k++) {
          y[yb + k * inner] *= inv;
        }
      }
    }
  }

  @Override
  public void softmaxBackward(float[] y, int yOff, float[] g, int gOff, float[] gx, int gxOff,
      int outer, int len, int inner) {
    for (int o = 0; o < outer; o++) {
      int base = o * len * inner;
      for (int j = 0; j < inner; j++) {
        double dot = 0;
        for (int k = 0; k < len; k++) {
          int at = base + j + k * inner;
          dot += (double) g[gOff + at] * y[yOff + at];
        }
        float d = (float) dot;
        for (int k = 0; k < len; k++) {
          int at = base + j + k * inner;
          gx[gxOff + at] = y[yOff + at] * (g[gOff + at] - d);
        }
      }
    }
  }
}

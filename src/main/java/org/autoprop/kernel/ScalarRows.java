package org.autoprop.kernel;

/**
 * Scalar {@link RowKernels}: plain loops, the oracle of the vector twin. Row statistics are summed
 * in double, in element order.
 */
final class ScalarRows implements RowKernels {
  @Override
  public void layerNorm(float[] x, int xOff, float[] y, int yOff, int r0, int r1, int d, float[] gamma,
      float[] beta, float eps, float[] mean, float[] rstd) {
    for (int r = r0; r < r1; r++) {
      int xb = xOff + r * d;
      int yb = yOff + r * d;
      double s = 0;
      for (int j = 0; j < d; j++) {
        s += x[xb + j];
      }
      float m = (float) (s / d);
      double ss = 0;
      for (int j = 0; j < d; j++) {
        float c = x[xb + j] - m;
        ss += c * c;
      }
      float rs = (float) (1 / Math.sqrt(ss / d + eps));
      mean[r] = m;
      rstd[r] = rs;
      for (int j = 0; j < d; j++) {
        float v = (x[xb + j] - m) * rs;
        if (gamma != null) {
          v *= gamma[j];
        }
        if (beta != null) {
          v += beta[j];
        }
        y[yb + j] = v;
      }
    }
  }

  @Override
  public void layerNormBackward(float[] x, int xOff, float[] g, int gOff, float[] gx, int gxOff, int r0, int r1,
      int d, float[] gamma, float[] mean, float[] rstd, float[] gGamma, int gGammaOff, float[] gBeta, int gBetaOff) {
    for (int r = r0; r < r1; r++) {
      int xb = xOff + r * d;
      int gb = gOff + r * d;
      float m = mean[r];
      float rs = rstd[r];
      double sh = 0;
      double shx = 0;
      for (int j = 0; j < d; j++) {
        float xhat = (x[xb + j] - m) * rs;
        float gj = g[gb + j];
        float h = gamma != null ? gj * gamma[j] : gj;
        sh += h;
        shx += h * xhat;
        if (gGamma != null) {
          gGamma[gGammaOff + j] += gj * xhat;
        }
        if (gBeta != null) {
          gBeta[gBetaOff + j] += gj;
        }
      }
      float a = (float) (sh / d);
      float b = (float) (shx / d);
      int ob = gxOff + r * d;
      for (int j = 0; j < d; j++) {
        float xhat = (x[xb + j] - m) * rs;
        float h = gamma != null ? g[gb + j] * gamma[j] : g[gb + j];
        gx[ob + j] = rs * (h - a - xhat * b);
      }
    }
  }

  @Override
  public void rmsNorm(float[] x, int xOff, float[] y, int yOff, int r0, int r1, int d, float[] gamma, float eps,
      float[] rstd) {
    for (int r = r0; r < r1; r++) {
      int xb = xOff + r * d;
      int yb = yOff + r * d;
      double ss = 0;
      for (int j = 0; j < d; j++) {
        float v = x[xb + j];
        ss += v * v;
      }
      float rs = (float) (1 / Math.sqrt(ss / d + eps));
      rstd[r] = rs;
      for (int j = 0; j < d; j++) {
        float v = x[xb + j] * rs;
        y[yb + j] = gamma != null ? v * gamma[j] : v;
      }
    }
  }

  @Override
  public void rmsNormBackward(float[] x, int xOff, float[] g, int gOff, float[] gx, int gxOff, int r0, int r1,
      int d, float[] gamma, float[] rstd, float[] gGamma, int gGammaOff) {
    for (int r = r0; r < r1; r++) {
      int xb = xOff + r * d;
      int gb = gOff + r * d;
      float rs = rstd[r];
      double shx = 0;
      for (int j = 0; j < d; j++) {
        float xhat = x[xb + j] * rs;
        float gj = g[gb + j];
        float h = gamma != null ? gj * gamma[j] : gj;
        shx += h * xhat;
        if (gGamma != null) {
          gGamma[gGammaOff + j] += gj * xhat;
        }
      }
      float b = (float) (shx / d);
      int ob = gxOff + r * d;
      for (int j = 0; j < d; j++) {
        float xhat = x[xb + j] * rs;
        float h = gamma != null ? g[gb + j] * gamma[j] : g[gb + j];
        gx[ob + j] = rs * (h - xhat * b);
      }
    }
  }

  /** The number of positions row i of a softmax keeps: all, or up to its own with {@code causal}. */
  static int kept(int len, boolean causal, int firstRow, int i) {
    return causal ? (int) Math.min(len, (long) firstRow + i + 1) : len;
  }

  @Override
  public void softmax(float[] x, int xOff, float[] y, int yOff, int rows, int len, float scale, float[] mask,
      int maskOff, int maskLd, boolean causal, int firstRow) {
    for (int i = 0; i < rows; i++) {
      int xb = xOff + i * len;
      int yb = yOff + i * len;
      int mb = maskOff + i * maskLd;
      int n = kept(len, causal, firstRow, i);
      float max = Float.NEGATIVE_INFINITY;
      for (int j = 0; j < n; j++) {
        float z = mask != null ? Math.fma(x[xb + j], scale, mask[mb + j]) : x[xb + j] * scale;
        max = Math.max(max, z);
      }
      if (max == Float.NEGATIVE_INFINITY) {
        n = 0; // masked out entirely: y = 0
      } else {
        float sum = 0f;
        for (int j = 0; j < n; j++) {
          float z = mask != null ? Math.fma(x[xb + j], scale, mask[mb + j]) : x[xb + j] * scale;
          float e = (float) Math.exp(z - max);
          y[yb + j] = e;
          sum += e;
        }
        float inv = 1f / sum;
        for (int j = 0; j < n; j++) {
          y[yb + j] *= inv;
        }
      }
      for (int j = n; j < len; j++) {
        y[yb + j] = 0f;
      }
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
      float dot = 0f;
      for (int j = 0; j < n; j++) {
        dot += g[gb + j] * y[yb + j];
      }
      for (int j = 0; j < n; j++) {
        gx[ob + j] = scale * (y[yb + j] * (g[gb + j] - dot));
      }
      for (int j = n; j < len; j++) {
        gx[ob + j] = 0f;
      }
    }
  }
}

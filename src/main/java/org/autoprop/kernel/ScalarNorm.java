package org.autoprop.kernel;

/** Scalar twin of the {@link NormKernels}: plain loops, the oracle. */
final class ScalarNorm implements NormKernels {
  @Override
  public void moments(float[] x, int xOff, int batch, int channels, int spatial, int c0, int c1,
      double[] mean, double[] var) {
    long count = (long) batch * spatial;
    for (int c = c0; c < c1; c++) {
      double s = 0;
      for (int n = 0; n < batch; n++) {
        int base = xOff + (n * channels + c) * spatial;
        for (int i = 0; i < spatial; i++) {
          s += x[base + i];
        }
      }
      double m = s / count;
      double sd = 0;
      double sdd = 0;
      for (int n = 0; n < batch; n++) {
        int base = xOff + (n * channels + c) * spatial;
        for (int i = 0; i < spatial; i++) {
          double d = x[base + i] - m;
          sd += d;
          sdd += d * d;
        }
      }
      mean[c] = m;
      var[c] = Math.max(0, (sdd - sd * sd / count) / count);
    }
  }

  @Override
  public void scaleShift(float[] x, int xOff, int batch, int channels, int spatial, int c0, int c1,
      float[] scale, float[] shift, float[] y, int yOff) {
    for (int n = 0; n < batch; n++) {
      for (int c = c0; c < c1; c++) {
        int off = (n * channels + c) * spatial;
        float a = scale[c];
        float b = shift[c];
        for (int i = 0; i < spatial; i++) {
          y[yOff + off + i] = Math.fma(x[xOff + off + i], a, b);
        }
      }
    }
  }

  @Override
  public void gradSums(float[] g, int gOff, float[] x, int xOff, int batch, int channels, int spatial,
      int c0, int c1, float[] center, double[] sumG, double[] sumGX) {
    for (int c = c0; c < c1; c++) {
      double sg = 0;
      double sgx = 0;
      float m = center[c];
      for (int n = 0; n < batch; n++) {
        int off = (n * channels + c) * spatial;
        for (int i = 0; i < spatial; i++) {
          float gi = g[gOff + off + i];
          sg += gi;
          sgx += (double) gi * (x[xOff + off + i] - m);
        }
      }
      sumG[c] = sg;
      sumGX[c] = sgx;
    }
  }

  @Override
  public void backwardMap(float[] g, int gOff, float[] x, int xOff, int batch, int channels, int spatial,
      int c0, int c1, float[] coefG, float[] coefX, float[] center, float[] shift, float[] gx, int gxOff) {
    for (int n = 0; n < batch; n++) {
      for (int c = c0; c < c1; c++) {
        int off = (n * channels + c) * spatial;
        float a = coefG[c];
        float b = coefX[c];
        float m = center[c];
        float d = shift[c];
        for (int i = 0; i < spatial; i++) {
          gx[gxOff + off + i] = Math.fma(a, g[gOff + off + i], Math.fma(b, x[xOff + off + i] - m, d));
        }
      }
    }
  }

  @Override
  public void scaleShiftRelu(float[] x, int xOff, int batch, int channels, int spatial, int c0, int c1,
      float[] scale, float[] shift, float[] y, int yOff) {
    for (int n = 0; n < batch; n++) {
      for (int c = c0; c < c1; c++) {
        int off = (n * channels + c) * spatial;
        float a = scale[c];
        float b = shift[c];
        for (int i = 0; i < spatial; i++) {
          y[yOff + off + i] = Math.max(Math.fma(x[xOff + off + i], a, b), 0f);
        }
      }
    }
  }

  @Override
  public void gradSumsRelu(float[] g, int gOff, float[] x, int xOff, int batch, int channels, int spatial,
      int c0, int c1, float[] scale, float[] shift, float[] center, double[] sumG, double[] sumGX) {
    for (int c = c0; c < c1; c++) {
      double sg = 0;
      double sgx = 0;
      float sa = scale[c];
      float sb = shift[c];
      float m = center[c];
      for (int n = 0; n < batch; n++) {
        int off = (n * channels + c) * spatial;
        for (int i = 0; i < spatial; i++) {
          float xi = x[xOff + off + i];
          if (Math.fma(xi, sa, sb) > 0f) {
            float gi = g[gOff + off + i];
            sg += gi;
            sgx += (double) gi * (xi - m);
          }
        }
      }
      sumG[c] = sg;
      sumGX[c] = sgx;
    }
  }

  @Override
  public void backwardMapRelu(float[] g, int gOff, float[] x, int xOff, int batch, int channels, int spatial,
      int c0, int c1, float[] scale, float[] shift, float[] coefG, float[] coefX, float[] center, float[] gShift,
      float[] gx, int gxOff) {
    for (int n = 0; n < batch; n++) {
      for (int c = c0; c < c1; c++) {
        int off = (n * channels + c) * spatial;
        float sa = scale[c];
        float sb = shift[c];
        float a = coefG[c];
        float b = coefX[c];
        float m = center[c];
        float d = gShift[c];
        for (int i = 0; i < spatial; i++) {
          float xi = x[xOff + off + i];
          float gm = Math.fma(xi, sa, sb) > 0f ? g[gOff + off + i] : 0f;
          gx[gxOff + off + i] = Math.fma(a, gm, Math.fma(b, xi - m, d));
        }
      }
    }
  }
}

package org.autoprop.kernel;

/** Scalar twin of the {@link NormKernels}: plain loops (reductions with a few partial sums), the oracle. */
final class ScalarNorm implements NormKernels {
  @Override
  public void moments(float[] x, int xOff, int batch, int channels, int spatial, int c0, int c1,
      double[] mean, double[] var) {
    long count = (long) batch * spatial;
    // Four partial sums per pass: a single double chain waits on each add's latency.
    for (int c = c0; c < c1; c++) {
      double s0 = 0;
      double s1 = 0;
      double s2 = 0;
      double s3 = 0;
      for (int n = 0; n < batch; n++) {
        int base = xOff + (n * channels + c) * spatial;
        int i = 0;
        for (; i + 3 < spatial; i += 4) {
          s0 += x[base + i];
          s1 += x[base + i + 1];
          s2 += x[base + i + 2];
          s3 += x[base + i + 3];
        }
        for (; i < spatial; i++) {
          s0 += x[base + i];
        }
      }
      double m = (s0 + s1 + s2 + s3) / count;
      double sd0 = 0;
      double sd1 = 0;
      double sdd0 = 0;
      double sdd1 = 0;
      for (int n = 0; n < batch; n++) {
        int base = xOff + (n * channels + c) * spatial;
        int i = 0;
        for (; i + 1 < spatial; i += 2) {
          double d0 = x[base + i] - m;
          double d1 = x[base + i + 1] - m;
          sd0 += d0;
          sdd0 += d0 * d0;
          sd1 += d1;
          sdd1 += d1 * d1;
        }
        for (; i < spatial; i++) {
          double d = x[base + i] - m;
          sd0 += d;
          sdd0 += d * d;
        }
      }
      double sd = sd0 + sd1;
      double sdd = sdd0 + sdd1;
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
      double sg0 = 0;
      double sg1 = 0;
      double sgx0 = 0;
      double sgx1 = 0;
      float m = center[c];
      for (int n = 0; n < batch; n++) {
        int off = (n * channels + c) * spatial;
        int i = 0;
        // Two partial sums of each kind: one chain would wait on every add.
        for (; i + 1 < spatial; i += 2) {
          float g0 = g[gOff + off + i];
          float g1 = g[gOff + off + i + 1];
          sg0 += g0;
          sg1 += g1;
          sgx0 += (double) g0 * (x[xOff + off + i] - m);
          sgx1 += (double) g1 * (x[xOff + off + i + 1] - m);
        }
        for (; i < spatial; i++) {
          float gi = g[gOff + off + i];
          sg0 += gi;
          sgx0 += (double) gi * (x[xOff + off + i] - m);
        }
      }
      sumG[c] = sg0 + sg1;
      sumGX[c] = sgx0 + sgx1;
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
      double sg0 = 0;
      double sg1 = 0;
      double sgx0 = 0;
      double sgx1 = 0;
      float sa = scale[c];
      float sb = shift[c];
      float m = center[c];
      for (int n = 0; n < batch; n++) {
        int off = (n * channels + c) * spatial;
        int i = 0;
        // Two partial sums of each kind, and the mask as a select (a branch mispredicts on
        // ReLU's coin-flip pattern): see reluMask.
        for (; i + 1 < spatial; i += 2) {
          float x0 = x[xOff + off + i];
          float x1 = x[xOff + off + i + 1];
          float g0 = ScalarElementwise.reluMask(Math.fma(x0, sa, sb), g[gOff + off + i]);
          float g1 = ScalarElementwise.reluMask(Math.fma(x1, sa, sb), g[gOff + off + i + 1]);
          sg0 += g0;
          sg1 += g1;
          sgx0 += (double) g0 * (x0 - m);
          sgx1 += (double) g1 * (x1 - m);
        }
        for (; i < spatial; i++) {
          float xi = x[xOff + off + i];
          float gi = ScalarElementwise.reluMask(Math.fma(xi, sa, sb), g[gOff + off + i]);
          sg0 += gi;
          sgx0 += (double) gi * (xi - m);
        }
      }
      sumG[c] = sg0 + sg1;
      sumGX[c] = sgx0 + sgx1;
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
          float gm = ScalarElementwise.reluMask(Math.fma(xi, sa, sb), g[gOff + off + i]);
          gx[gxOff + off + i] = Math.fma(a, gm, Math.fma(b, xi - m, d));
        }
      }
    }
  }
}

package org.autoprop.kernel;

/**
 * Scalar twin of the {@link ConvKernels}: the textbook loops with a bounds test per tap, kept
 * simple on purpose because it is the oracle of the vector version.
 */
final class ScalarConv implements ConvKernels {
  @Override
  public void im2col(Geometry g, float[] x, int xOff, float[] cols, int colsOff) {
    int h = g.inH();
    int w = g.inW();
    int kh = g.kernelH();
    int kw = g.kernelW();
    int outH = g.outH();
    int outW = g.outW();
    int p = colsOff;
    for (int c = 0; c < g.channels(); c++) {
      for (int i = 0; i < kh; i++) {
        for (int j = 0; j < kw; j++) {
          for (int oy = 0; oy < outH; oy++) {
            int iy = oy * g.strideH() - g.padH() + i * g.dilationH();
            for (int ox = 0; ox < outW; ox++) {
              int ix = ox * g.strideW() - g.padW() + j * g.dilationW();
              boolean inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
              cols[p++] = inside ? x[xOff + (c * h + iy) * w + ix] : 0f;
            }
          }
        }
      }
    }
  }

  @Override
  public void col2im(Geometry g, float[] cols, int colsOff, float[] x, int xOff) {
    int h = g.inH();
    int w = g.inW();
    int kh = g.kernelH();
    int kw = g.kernelW();
    int outH = g.outH();
    int outW = g.outW();
    int p = colsOff;
    for (int c = 0; c < g.channels(); c++) {
      for (int i = 0; i < kh; i++) {
        for (int j = 0; j < kw; j++) {
          for (int oy = 0; oy < outH; oy++) {
            int iy = oy * g.strideH() - g.padH() + i * g.dilationH();
            for (int ox = 0; ox < outW; ox++, p++) {
              int ix = ox * g.strideW() - g.padW() + j * g.dilationW();
              if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                x[xOff + (c * h + iy) * w + ix] += cols[p];
              }
            }
          }
        }
      }
    }
  }

  @Override
  public void depthwiseForward(Geometry g, float[] x, int xOff, float[] wt, int wOff, float[] bias,
      int biasOff, float[] y, int yOff) {
    int h = g.inH();
    int w = g.inW();
    int kh = g.kernelH();
    int kw = g.kernelW();
    int outH = g.outH();
    int outW = g.outW();
    for (int c = 0; c < g.channels(); c++) {
      for (int oy = 0; oy < outH; oy++) {
        for (int ox = 0; ox < outW; ox++) {
          float s = bias == null ? 0f : bias[biasOff + c];
          for (int i = 0; i < kh; i++) {
            int iy = oy * g.strideH() - g.padH() + i * g.dilationH();
            for (int j = 0; j < kw; j++) {
              int ix = ox * g.strideW() - g.padW() + j * g.dilationW();
              if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                s += wt[wOff + (c * kh + i) * kw + j] * x[xOff + (c * h + iy) * w + ix];
              }
            }
          }
          y[yOff + (c * outH + oy) * outW + ox] = s;
        }
      }
    }
  }

  @Override
  public void depthwiseBackwardData(Geometry g, float[] gy, int gyOff, float[] wt, int wOff,
      float[] gx, int gxOff) {
    int h = g.inH();
    int w = g.inW();
    int kh = g.kernelH();
    int kw = g.kernelW();
    int outH = g.outH();
    int outW = g.outW();
    for (int c = 0; c < g.channels(); c++) {
      for (int oy = 0; oy < outH; oy++) {
        for (int ox = 0; ox < outW; ox++) {
          float d = gy[gyOff + (c * outH + oy) * outW + ox];
          for (int i = 0; i < kh; i++) {
            int iy = oy * g.strideH() - g.padH() + i * g.dilationH();
            for (int j = 0; j < kw; j++) {
              int ix = ox * g.strideW() - g.padW() + j * g.dilationW();
              if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                gx[gxOff + (c * h + iy) * w + ix] += wt[wOff + (c * kh + i) * kw + j] * d;
              }
            }
          }
        }
      }
    }
  }

  @Override
  public void depthwiseBackwardWeight(Geometry g, float[] x, int xOff, float[] gy, int gyOff,
      float[] gw, int gwOff) {
    int h = g.inH();
    int w = g.inW();
    int kh = g.kernelH();
    int kw = g.kernelW();
    int outH = g.outH();
    int outW = g.outW();
    for (int c = 0; c < g.channels(); c++) {
      for (int i = 0; i < kh; i++) {
        for (int j = 0; j < kw; j++) {
          float s = 0f;
          for (int oy = 0; oy < outH; oy++) {
            int iy = oy * g.strideH() - g.padH() + i * g.dilationH();
            for (int ox = 0; ox < outW; ox++) {
              int ix = ox * g.strideW() - g.padW() + j * g.dilationW();
              if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                s += gy[gyOff + (c * outH + oy) * outW + ox] * x[xOff + (c * h + iy) * w + ix];
              }
            }
          }
          gw[gwOff + (c * kh + i) * kw + j] += s;
        }
      }
    }
  }

  @Override
  public void accumulateABt(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc) {
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        float s = 0f;
        for (int p = 0; p < k; p++) {
          s += a[aOff + i * lda + p] * b[bOff + j * ldb + p];
        }
        c[cOff + i * ldc + j] += s;
      }
    }
  }
}

package org.autoprop.kernel;

/** Scalar twin of the GEMM: the textbook triple loop, in i-p-j order for row-major C. */
final class ScalarGemm implements GemmKernels {
  @Override
  public void gemm(boolean transA, boolean transB, int m, int n, int k,
      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc, boolean accumulate) {
    for (int i = 0; i < m; i++) {
      int cRow = cOff + i * ldc;
      if (!accumulate) {
        java.util.Arrays.fill(c, cRow, cRow + n, 0f);
      }
      for (int p = 0; p < k; p++) {
        float aip = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
        if (transB) {
          for (int j = 0; j < n; j++) {
            c[cRow + j] += aip * b[bOff + j * ldb + p];
          }
        } else {
          int bRow = bOff + p * ldb;
          for (int j = 0; j < n; j++) {
            c[cRow + j] += aip * b[bRow + j];
          }
        }
      }
    }
  }

  /** The column-matrix element {@code cols[kk][pix]} of the image, 0 in the padding. */
  private static float col(ConvKernels.Geometry g, float[] x, int xOff, int kk, int pix) {
    int khw = g.kernelH() * g.kernelW();
    int ch = kk / khw;
    int i = kk % khw / g.kernelW();
    int j = kk % g.kernelW();
    int outW = g.outW();
    int iy = pix / outW * g.strideH() - g.padH() + i * g.dilationH();
    int ix = pix % outW * g.strideW() - g.padW() + j * g.dilationW();
    if (iy < 0 || iy >= g.inH() || ix < 0 || ix >= g.inW()) {
      return 0f;
    }
    return x[xOff + (ch * g.inH() + iy) * g.inW() + ix];
  }

  @Override
  public void convGemm(int m, ConvKernels.Geometry g, float[] a, int aOff, int lda, float[] x, int xOff,
      float[] c, int cOff, int ldc, boolean accumulate) {
    int k = g.colRows();
    int n = g.colCols();
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        float s = 0f;
        for (int p = 0; p < k; p++) {
          s += a[aOff + i * lda + p] * col(g, x, xOff, p, j);
        }
        int e = cOff + i * ldc + j;
        c[e] = accumulate ? c[e] + s : s;
      }
    }
  }

  @Override
  public void convBackwardData(int n, ConvKernels.Geometry g, float[] w, int wOff, int ldw, float[] dy,
      int dyOff, int dyStride, float[] dx, int dxOff, int dxStride, int count) {
    int khw = g.kernelH() * g.kernelW();
    int outW = g.outW();
    int pixels = g.colCols();
    int plane = g.inH() * g.inW();
    for (int img = 0; img < count; img++) {
      int xBase = dxOff + img * dxStride;
      java.util.Arrays.fill(dx, xBase, xBase + g.channels() * plane, 0f);
      for (int r = 0; r < n; r++) {
        int yRow = dyOff + img * dyStride + r * pixels;
        for (int kk = 0; kk < g.colRows(); kk++) {
          float a = w[wOff + r * ldw + kk];
          int ch = kk / khw;
          int i = kk % khw / g.kernelW();
          int j = kk % g.kernelW();
          for (int pix = 0; pix < pixels; pix++) {
            int iy = pix / outW * g.strideH() - g.padH() + i * g.dilationH();
            int ix = pix % outW * g.strideW() - g.padW() + j * g.dilationW();
            if (iy >= 0 && iy < g.inH() && ix >= 0 && ix < g.inW()) {
              dx[xBase + ch * plane + iy * g.inW() + ix] += a * dy[yRow + pix];
            }
          }
        }
      }
    }
  }

  @Override
  public void convGemmWeightGrad(int n, ConvKernels.Geometry g, float[] x, int xOff, float[] b, int bOff,
      int ldb, float[] c, int cOff, int ldc) {
    int k = g.colRows();
    int pixels = g.colCols();
    for (int r = 0; r < k; r++) {
      for (int j = 0; j < n; j++) {
        float s = 0f;
        for (int p = 0; p < pixels; p++) {
          s += col(g, x, xOff, r, p) * b[bOff + j * ldb + p];
        }
        c[cOff + r * ldc + j] += s;
      }
    }
  }
}

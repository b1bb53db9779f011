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
}

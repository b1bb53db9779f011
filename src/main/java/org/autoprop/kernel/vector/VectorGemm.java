package org.autoprop.kernel.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.autoprop.kernel.GemmKernels;

/**
 * Vector API GEMM: broadcast an element of A, FMA along a row of B into a row of C.
 *
 * <p>A straightforward i-p-j kernel; transposed B is handled by a scalar dot per element.
 */
final class VectorGemm implements GemmKernels {
  private static final VectorSpecies<Float> S = VectorKernelProvider.SPECIES;
  private static final int L = S.length();

  @Override
  public void gemm(boolean transA, boolean transB, int m, int n, int k,
      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc, boolean accumulate) {
    int bound = S.loopBound(n);
    for (int i = 0; i < m; i++) {
      int cRow = cOff + i * ldc;
      if (!accumulate) {
        java.util.Arrays.fill(c, cRow, cRow + n, 0f);
      }
      if (transB) {
        for (int j = 0; j < n; j++) {
          float s = 0f;
          int bRow = bOff + j * ldb;
          for (int p = 0; p < k; p++) {
            float aip = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
            s += aip * b[bRow + p];
          }
          c[cRow + j] += s;
        }
        continue;
      }
      for (int p = 0; p < k; p++) {
        float aip = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
        FloatVector va = FloatVector.broadcast(S, aip);
        int bRow = bOff + p * ldb;
        int j = 0;
        for (; j < bound; j += L) {
          va.fma(FloatVector.fromArray(S, b, bRow + j), FloatVector.fromArray(S, c, cRow + j))
              .intoArray(c, cRow + j);
        }
        for (; j < n; j++) {
          c[cRow + j] += aip * b[bRow + j];
        }
      }
    }
  }
}

package org.autoprop.kernel.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code C := op(A) op(B)} without packing, for attention's small products
 * ({@link org.autoprop.kernel.GemmKernels#smallGemm}).
 *
 * <p>Each C row is built as {@code sum over p of A(i, p) * B[p, :]}: tiles of 4 rows by 2 (or 1)
 * vectors of columns, one broadcast of A per row and step, B's row read straight from its array
 * (its leading dimension may be the [N, T, 3D] projection's). op(A) is read element by element, so
 * A transposed costs nothing; B transposed ({@code Q K^T}) is first copied into a per-thread
 * {@code [k, n]} scratch (k n copies against m n k FMAs). The columns past the last whole vector
 * are covered by one more vector ending at column n, overlapping the one before: the overlapped
 * columns are computed twice with the same arithmetic and written twice with the same value, which
 * is why C is overwritten, never accumulated. Rows narrower than a vector go to the packed kernel.
 * Every element is one chain of FMAs in the order of p: the result does not depend on the tiling.
 */
final class VectorSmallGemm {
  private static final VectorSpecies<Float> S = VectorKernelProvider.SPECIES;
  private static final int L = S.length();

  private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[][] {new float[0]});

  private VectorSmallGemm() {}

  /**
   * Whether a product goes to the packed kernel instead: op(B) narrower than a vector, or B
   * transposed with more than 64 rows of C, where the packed kernel's 6 x 2 tiles win back the cost
   * of its packing. Best of 5 x 100 ms per (batch, head) block, 512-bit Zen 5, JDK 17, loaded
   * machine, packed vs unpacked us: T 17 dh 24 PV 2.61 vs 0.67; T 64 dh 32 QK^T 13.5 vs 8.4, PV 8.2
   * vs 3.3, P^T dO 10.7 vs 3.1; T 128 dh 32 QK^T 23.5 vs 29.7 (so packed), PV 26.5 vs 16.4, P^T dO
   * 37.0 vs 12.2; T 128 dh 64 QK^T 34.8 vs 39.3 (packed), PV 41.3 vs 33.1.
   */
  static boolean packed(boolean transB, int m, int n) {
    return n < L || (transB && m > 64);
  }

  /** C := op(A) op(B) for n at least one vector; k may be 0 (C := 0). */
  static void gemm(boolean transA, boolean transB, int m, int n, int k, float[] a, int aOff, int lda,
      float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
    if (transB) {
      float[][] holder = SCRATCH.get();
      float[] t = holder[0];
      if (t.length < k * n) {
        t = new float[k * n];
        holder[0] = t;
      }
      // op(B)[p][j] = B[j][p]: scatter each stored row j (contiguous in p) into column j.
      for (int j = 0; j < n; j++) {
        int src = bOff + j * ldb;
        for (int p = 0; p < k; p++) {
          t[p * n + j] = b[src + p];
        }
      }
      b = t;
      bOff = 0;
      ldb = n;
    }
    int rs = transA ? 1 : lda; // A(i, p) = a[aOff + i * rs + p * ps]
    int ps = transA ? lda : 1;
    int i = 0;
    for (; i + 4 <= m; i += 4) {
      int ai = aOff + i * rs;
      int ci = cOff + i * ldc;
      int j = 0;
      for (; j + 2 * L <= n; j += 2 * L) {
        tile4x2(a, ai, rs, ps, b, bOff + j, ldb, c, ci + j, ldc, k);
      }
      for (; j + L <= n; j += L) {
        tile4x1(a, ai, rs, ps, b, bOff + j, ldb, c, ci + j, ldc, k);
      }
      if (j < n) {
        tile4x1(a, ai, rs, ps, b, bOff + n - L, ldb, c, ci + n - L, ldc, k);
      }
    }
    for (; i < m; i++) {
      int ai = aOff + i * rs;
      int ci = cOff + i * ldc;
      int j = 0;
      for (; j + L <= n; j += L) {
        tile1x1(a, ai, ps, b, bOff + j, ldb, c, ci + j, k);
      }
      if (j < n) {
        tile1x1(a, ai, ps, b, bOff + n - L, ldb, c, ci + n - L, k);
      }
    }
  }

  private static void tile4x2(float[] a, int ai, int rs, int ps, float[] b, int bj, int ldb, float[] c, int cj,
      int ldc, int k) {
    FloatVector c00 = FloatVector.zero(S);
    FloatVector c01 = FloatVector.zero(S);
    FloatVector c10 = FloatVector.zero(S);
    FloatVector c11 = FloatVector.zero(S);
    FloatVector c20 = FloatVector.zero(S);
    FloatVector c21 = FloatVector.zero(S);
    FloatVector c30 = FloatVector.zero(S);
    FloatVector c31 = FloatVector.zero(S);
    int ap = ai;
    int bp = bj;
    for (int p = 0; p < k; p++, ap += ps, bp += ldb) {
      FloatVector b0 = FloatVector.fromArray(S, b, bp);
      FloatVector b1 = FloatVector.fromArray(S, b, bp + L);
      FloatVector a0 = FloatVector.broadcast(S, a[ap]);
      c00 = b0.fma(a0, c00);
      c01 = b1.fma(a0, c01);
      FloatVector a1 = FloatVector.broadcast(S, a[ap + rs]);
      c10 = b0.fma(a1, c10);
      c11 = b1.fma(a1, c11);
      FloatVector a2 = FloatVector.broadcast(S, a[ap + 2 * rs]);
      c20 = b0.fma(a2, c20);
      c21 = b1.fma(a2, c21);
      FloatVector a3 = FloatVector.broadcast(S, a[ap + 3 * rs]);
      c30 = b0.fma(a3, c30);
      c31 = b1.fma(a3, c31);
    }
    c00.intoArray(c, cj);
    c01.intoArray(c, cj + L);
    c10.intoArray(c, cj + ldc);
    c11.intoArray(c, cj + ldc + L);
    c20.intoArray(c, cj + 2 * ldc);
    c21.intoArray(c, cj + 2 * ldc + L);
    c30.intoArray(c, cj + 3 * ldc);
    c31.intoArray(c, cj + 3 * ldc + L);
  }

  private static void tile4x1(float[] a, int ai, int rs, int ps, float[] b, int bj, int ldb, float[] c, int cj,
      int ldc, int k) {
    FloatVector c0 = FloatVector.zero(S);
    FloatVector c1 = FloatVector.zero(S);
    FloatVector c2 = FloatVector.zero(S);
    FloatVector c3 = FloatVector.zero(S);
    int ap = ai;
    int bp = bj;
    for (int p = 0; p < k; p++, ap += ps, bp += ldb) {
      FloatVector b0 = FloatVector.fromArray(S, b, bp);
      c0 = b0.fma(FloatVector.broadcast(S, a[ap]), c0);
      c1 = b0.fma(FloatVector.broadcast(S, a[ap + rs]), c1);
      c2 = b0.fma(FloatVector.broadcast(S, a[ap + 2 * rs]), c2);
      c3 = b0.fma(FloatVector.broadcast(S, a[ap + 3 * rs]), c3);
    }
    c0.intoArray(c, cj);
    c1.intoArray(c, cj + ldc);
    c2.intoArray(c, cj + 2 * ldc);
    c3.intoArray(c, cj + 3 * ldc);
  }

  private static void tile1x1(float[] a, int ai, int ps, float[] b, int bj, int ldb, float[] c, int cj, int k) {
    FloatVector c0 = FloatVector.zero(S);
    int ap = ai;
    int bp = bj;
    for (int p = 0; p < k; p++, ap += ps, bp += ldb) {
      c0 = FloatVector.fromArray(S, b, bp).fma(FloatVector.broadcast(S, a[ap]), c0);
    }
    c0.intoArray(c, cj);
  }
}

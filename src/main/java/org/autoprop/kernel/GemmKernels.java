package org.autoprop.kernel;

/**
 * General matrix multiplication on row-major {@code float[]} matrices.
 *
 * <p>{@code C[m x n] := op(A)[m x k] * op(B)[k x n] (+ C when accumulate)}, where {@code op(A)} is
 * A or its transpose (A then stored {@code k x m}) without materialising the transpose. Leading
 * dimensions ({@code lda}, {@code ldb}, {@code ldc}) are the row strides of the stored matrices.
 * Single-threaded; callers split disjoint C tiles across threads ({@link Gemm} does). Kernels
 * assume valid arguments: callers outside this package go through the {@link Gemm} facade, which
 * checks them. The convolutions that run as implicit GEMMs are {@link ConvKernels}.
 */
public interface GemmKernels {
  /** C := op(A) * op(B) (+ C when accumulate). */
  void gemm(
      boolean transA,
      boolean transB,
      int m,
      int n,
      int k,
      float[] a,
      int aOff,
      int lda,
      float[] b,
      int bOff,
      int ldb,
      float[] c,
      int cOff,
      int ldc,
      boolean accumulate);

  /**
   * Rows of the kernel's register tile: a caller that splits C across threads keeps row splits at
   * multiples of it, so that only the last tile has a ragged edge.
   */
  default int microTileRows() {
    return 1;
  }

  /** Columns of the kernel's register tile; see {@link #microTileRows()}. */
  default int microTileCols() {
    return 1;
  }

  /**
   * {@code C[m x n] += A[m x k] B[n x k]^T}, every element of C the dot product of a row of A and a
   * row of B, both contiguous along k. The weight gradient of a convolution, {@code dY x cols^T},
   * has this shape (a few dozen rows and columns, k in the thousands): {@link #gemm} would pack the
   * large column matrix transposed, this reads it as it is. Its sums may be grouped differently from
   * {@link #gemm}'s.
   */
  void accumulateABt(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc);

  /**
   * C := op(A) * op(B), overwriting C, for the small products of attention: a [T_q, T_k] score
   * block {@code Q K^T}, {@code P V} and their gradients, one (batch, head) at a time, with T and k
   * from a dozen to a few hundred, read in place out of the [N, T, 3D] projection through offsets
   * and leading dimensions. {@link #gemm} packs both operands into register-tile panels for every
   * call, which costs more than the arithmetic at these sizes (T = 17, k = 24: 13-20 GFLOP/s
   * against 180 for a 256^3 product). The default is {@link #gemm}; the vector kernels override it.
   */
  default void smallGemm(boolean transA, boolean transB, int m, int n, int k, float[] a, int aOff, int lda,
      float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
    gemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, false);
  }
}

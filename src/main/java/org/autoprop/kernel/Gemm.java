package org.autoprop.kernel;

/**
 * Matrix multiplication for the layers: argument checks, then the selected {@link GemmKernels}
 * on disjoint tiles of C spread over the engine's threads ({@link Parallel}).
 *
 * <p>{@code C[m x n] := op(A)[m x k] * op(B)[k x n] (+ C when accumulate)}, row-major, where
 * {@code op(A)} is A or, when {@code transA}, the transpose of A stored {@code k x m} (likewise B,
 * stored {@code n x k} when {@code transB}). Each tile of C is computed by one thread with the
 * same arithmetic as a serial call, so the result does not depend on the thread count. Products
 * smaller than {@link #PARALLEL_THRESHOLD} multiply-adds, and calls from an engine thread, run
 * serially.
 */
public final class Gemm {
  /**
   * Below this many multiply-adds (m * n * k) a product runs on the calling thread. 64^3 takes
   * about 2.5 us at 200 GFLOP/s, less than handing work to the pool and waking a thread.
   */
  public static final long PARALLEL_THRESHOLD = 1L << 18;

  private Gemm() {}

  /**
   * C := op(A) * op(B) (+ C when accumulate), with the kernels of {@link KernelProvider#get()}.
   *
   * @throws IllegalArgumentException if a size is negative, a leading dimension is smaller than
   *     the row it strides over, or a matrix does not fit in its array at its offset
   */
  public static void multiply(boolean transA, boolean transB, int m, int n, int k,
      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc, boolean accumulate) {
    multiply(KernelProvider.get().gemm(), transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb,
        c, cOff, ldc, accumulate);
  }

  /**
   * C := op(A) * op(B) (+ C when accumulate) with the given kernels (tests pass the scalar or
   * the vector ones).
   *
   * @throws IllegalArgumentException as {@link #multiply(boolean, boolean, int, int, int, float[],
   *     int, int, float[], int, int, float[], int, int, boolean)}
   */
  public static void multiply(GemmKernels kernels, boolean transA, boolean transB, int m, int n, int k,
      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc, boolean accumulate) {
    if (m < 0 || n < 0 || k < 0) {
      throw new IllegalArgumentException(
          "GEMM sizes m=" + m + ", n=" + n + ", k=" + k + " (expected: all >= 0)");
    }
    checkMatrix("A", transA ? k : m, transA ? m : k, a, aOff, lda, transA);
    checkMatrix("B", transB ? n : k, transB ? k : n, b, bOff, ldb, transB);
    checkMatrix("C", m, n, c, cOff, ldc, false);
    if (m == 0 || n == 0) {
      return;
    }
    long work = (long) m * n * k;
    if (Parallel.THREADS == 1 || work < PARALLEL_THRESHOLD) {
      kernels.gemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
      return;
    }
    // One tile per thread along the longer side of C, cut at register-tile multiples. Each tile
    // packs its own share of one operand and all of the other; for GEMM-1024 the duplicated
    // packing is 0.1% of the arithmetic.
    boolean byRows = m >= n;
    int unit = byRows ? Math.max(1, kernels.microTileRows()) : Math.max(1, kernels.microTileCols());
    int extent = byRows ? m : n;
    int units = (extent + unit - 1) / unit;
    int tiles = Math.min(Parallel.THREADS, units);
    if (tiles < 2) {
      kernels.gemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
      return;
    }
    Parallel.forRange(tiles, t -> {
      int from = Math.min(extent, (int) ((long) units * t / tiles) * unit);
      int to = Math.min(extent, (int) ((long) units * (t + 1) / tiles) * unit);
      if (from >= to) {
        return;
      }
      if (byRows) {
        // Rows [from, to) of op(A) and of C.
        int aStart = aOff + (transA ? from : from * lda);
        kernels.gemm(transA, transB, to - from, n, k, a, aStart, lda, b, bOff, ldb,
            c, cOff + from * ldc, ldc, accumulate);
      } else {
        // Columns [from, to) of op(B) and of C.
        int bStart = bOff + (transB ? from * ldb : from);
        kernels.gemm(transA, transB, m, to - from, k, a, aOff, lda, b, bStart, ldb,
            c, cOff + from, ldc, accumulate);
      }
    });
  }

  /** Checks that a rows x cols matrix with row stride ld fits in array at off. */
  private static void checkMatrix(String name, int rows, int cols, float[] array, int off, int ld,
      boolean transposed) {
    String what = name + (transposed ? " (stored transposed)" : "");
    if (array == null) {
      throw new IllegalArgumentException("GEMM " + what + " is null");
    }
    if (ld < Math.max(1, cols)) {
      throw new IllegalArgumentException("GEMM " + what + ": leading dimension " + ld
          + " is smaller than its row length " + cols + " (expected: ld >= " + Math.max(1, cols) + ")");
    }
    if (off < 0) {
      throw new IllegalArgumentException("GEMM " + what + ": offset " + off + " (expected: >= 0)");
    }
    if (rows == 0 || cols == 0) {
      return;
    }
    long end = off + (long) (rows - 1) * ld + cols;
    if (end > array.length) {
      throw new IllegalArgumentException("GEMM " + what + ": " + rows + " x " + cols + " with leading dimension "
          + ld + " at offset " + off + " needs " + end + " floats, the array has " + array.length);
    }
  }
}

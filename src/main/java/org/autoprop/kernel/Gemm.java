package org.autoprop.kernel;

/**
 * The GEMM family's facade: argument checks, then the given (or selected) {@link GemmKernels},
 * on the calling thread or on disjoint tiles of C spread over the engine's threads
 * ({@link Parallel}). Every GEMM outside this package goes through here; the kernels assume valid
 * arguments.
 *
 * <p>{@code C[m x n] := op(A)[m x k] * op(B)[k x n] (+ C when accumulate)}, row-major, where
 * {@code op(A)} is A or, when {@code transA}, the transpose of A stored {@code k x m} (likewise B,
 * stored {@code n x k} when {@code transB}). Each tile of C is computed by one thread with the
 * same arithmetic as a serial call, so the result does not depend on the thread count. Products
 * below {@link ParallelPolicy#GEMM}'s work, and calls from inside a parallel loop, run serially.
 */
public final class Gemm {
  /** The tile job of the calling thread, reused so that a parallel product allocates nothing. */
  private static final ThreadLocal<Tiles> TILES = ThreadLocal.withInitial(Tiles::new);

  private Gemm() {}

  /**
   * C := op(A) * op(B) (+ C when accumulate), with the kernels of {@link KernelProvider#get()},
   * split over the engine threads when large.
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
   * C := op(A) * op(B) (+ C when accumulate) with the given kernels (a layer passes its own; tests
   * pass the scalar or the vector ones), split over the engine threads when large.
   *
   * @throws IllegalArgumentException as {@link #multiply(boolean, boolean, int, int, int, float[],
   *     int, int, float[], int, int, float[], int, int, boolean)}
   */
  public static void multiply(GemmKernels kernels, boolean transA, boolean transB, int m, int n, int k,
      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc, boolean accumulate) {
    check(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
    if (m == 0 || n == 0) {
      return;
    }
    // One tile per thread along the longer side of C, cut at register-tile multiples. Each tile
    // packs its own share of one operand and all of the other; for GEMM-1024 the duplicated
    // packing is 0.1% of the arithmetic.
    boolean byRows = m >= n;
    int unit = byRows ? Math.max(1, kernels.microTileRows()) : Math.max(1, kernels.microTileCols());
    int extent = byRows ? m : n;
    int units = (extent + unit - 1) / unit;
    int tiles = ParallelPolicy.GEMM.chunks((long) m * n * k, units);
    if (tiles < 2) {
      kernels.gemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
      return;
    }
    Tiles job = TILES.get();
    job.set(kernels, transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate,
        byRows, unit, extent, units, tiles);
    try {
      Parallel.forRange(tiles, job);
    } finally {
      job.clear();
    }
  }

  /**
   * C := op(A) * op(B) (+ C when accumulate) with the given kernels, on the calling thread: for a
   * caller that splits its own work over the engine threads (a layer's chunks of the batch).
   *
   * @throws IllegalArgumentException as {@link #multiply(boolean, boolean, int, int, int, float[],
   *     int, int, float[], int, int, float[], int, int, boolean)}
   */
  public static void multiplySerial(GemmKernels kernels, boolean transA, boolean transB, int m, int n, int k,
      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc, boolean accumulate) {
    check(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
    kernels.gemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
  }

  /**
   * {@code C[m x n] += A[m x k] B[n x k]^T} as dot products of contiguous rows, on the calling
   * thread ({@link GemmKernels#accumulateABt}): for short, wide operands such as a convolution's
   * weight gradient {@code dY x cols^T}.
   *
   * @throws IllegalArgumentException as {@link #multiply(boolean, boolean, int, int, int, float[],
   *     int, int, float[], int, int, float[], int, int, boolean)}
   */
  public static void accumulateABt(GemmKernels kernels, int m, int n, int k, float[] a, int aOff, int lda,
      float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
    check(false, true, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
    if (m == 0 || n == 0) {
      return;
    }
    kernels.accumulateABt(m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
  }

  /**
   * C := op(A) * op(B), overwriting C, on the calling thread with the small-product kernel
   * ({@link GemmKernels#smallGemm}): for the per-(batch, head) products of attention, which a
   * layer runs in its own parallel loop.
   *
   * @throws IllegalArgumentException as {@link #multiply(boolean, boolean, int, int, int, float[],
   *     int, int, float[], int, int, float[], int, int, boolean)}
   */
  public static void multiplySmall(GemmKernels kernels, boolean transA, boolean transB, int m, int n, int k,
      float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
    check(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
    if (m == 0 || n == 0) {
      return;
    }
    kernels.smallGemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
  }

  private static void check(boolean transA, boolean transB, int m, int n, int k,
      float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
    if (m < 0 || n < 0 || k < 0) {
      throw new IllegalArgumentException(
          "GEMM sizes m=" + m + ", n=" + n + ", k=" + k + " (expected: all >= 0)");
    }
    checkMatrix("A", transA ? k : m, transA ? m : k, a, aOff, lda, transA);
    checkMatrix("B", transB ? n : k, transB ? k : n, b, bOff, ldb, transB);
    checkMatrix("C", m, n, c, cOff, ldc, false);
  }

  /**
   * The arguments of one parallel product, held by the calling thread's reused job: tile {@code t}
   * is the range of rows (or columns) of C {@code [units t / tiles, units (t + 1) / tiles)} register
   * tiles long.
   */
  private static final class Tiles implements java.util.function.IntConsumer {
    private GemmKernels kernels;
    private boolean transA;
    private boolean transB;
    private int m;
    private int n;
    private int k;
    private float[] a;
    private int aOff;
    private int lda;
    private float[] b;
    private int bOff;
    private int ldb;
    private float[] c;
    private int cOff;
    private int ldc;
    private boolean accumulate;
    private boolean byRows;
    private int unit;
    private int extent;
    private int units;
    private int tiles;

    void set(GemmKernels kernels, boolean transA, boolean transB, int m, int n, int k,
        float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc,
        boolean accumulate, boolean byRows, int unit, int extent, int units, int tiles) {
      this.kernels = kernels;
      this.transA = transA;
      this.transB = transB;
      this.m = m;
      this.n = n;
      this.k = k;
      this.a = a;
      this.aOff = aOff;
      this.lda = lda;
      this.b = b;
      this.bOff = bOff;
      this.ldb = ldb;
      this.c = c;
      this.cOff = cOff;
      this.ldc = ldc;
      this.accumulate = accumulate;
      this.byRows = byRows;
      this.unit = unit;
      this.extent = extent;
      this.units = units;
      this.tiles = tiles;
    }

    /** Drops the references to the caller's arrays. */
    void clear() {
      kernels = null;
      a = null;
      b = null;
      c = null;
    }

    @Override
    public void accept(int t) {
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
    }
  }

  /** Checks that a rows x cols matrix with row stride ld fits in array at off. */
  private static void checkMatrix(String name, int rows, int cols, float[] array, int off, int ld,
      boolean transposed) {
    // The messages are built only on failure: the facade sits on layers' hot paths.
    if (array == null) {
      throw new IllegalArgumentException("GEMM " + describe(name, transposed) + " is null");
    }
    if (ld < Math.max(1, cols)) {
      throw new IllegalArgumentException("GEMM " + describe(name, transposed) + ": leading dimension " + ld
          + " is smaller than its row length " + cols + " (expected: ld >= " + Math.max(1, cols) + ")");
    }
    if (off < 0) {
      throw new IllegalArgumentException(
          "GEMM " + describe(name, transposed) + ": offset " + off + " (expected: >= 0)");
    }
    if (rows == 0 || cols == 0) {
      return;
    }
    long end = off + (long) (rows - 1) * ld + cols;
    if (end > array.length) {
      throw new IllegalArgumentException("GEMM " + describe(name, transposed) + ": " + rows + " x " + cols
          + " with leading dimension " + ld + " at offset " + off + " needs " + end + " floats, the array has "
          + array.length);
    }
  }

  private static String describe(String name, boolean transposed) {
    return name + (transposed ? " (stored transposed)" : "");
  }
}

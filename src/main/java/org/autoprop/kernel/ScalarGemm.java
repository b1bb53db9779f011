package org.autoprop.kernel;

import java.util.Arrays;

/**
 * Scalar twin of the GEMM: a blocked GEMM whose inner loops C2's auto-vectorizer (SuperWord)
 * turns into SIMD code, so that a JVM without {@code jdk.incubator.vector} still trains at a
 * usable speed.
 *
 * <p>Both operands are packed per block into thread-local buffers: a {@code KC x NC} block of
 * op(B) as contiguous rows and an {@code MC x KC} block of op(A) as contiguous rows. The packers
 * read plain matrices (either orientation) or the im2col of an image, so the convolutions need no
 * column matrix. The inner loop, {@code c[ci + j] += a0*b[b0 + j] + a1*b[b1 + j] + ...} over a
 * row of the packed B block, is a simple counted int loop over arrays with no calls or branches:
 * the shape SuperWord vectorizes. Four rows of B per pass of C keep one store of C per four
 * multiply-adds. The arithmetic of an element of C does not depend on how a caller splits C
 * across threads, only on its k (blocks of {@code KC}).
 */
final class ScalarGemm implements GemmKernels {
  /**
   * Block of the k dimension: rows of the packed B block. With {@link #NC} the block is 64 KB,
   * held in L2 while every row of the A block streams over it.
   */
  static final int KC = 128;

  /** Block of the n dimension: the row length of the packed B block and of the C segment in L1. */
  static final int NC = 128;

  /** Block of the m dimension: rows of the packed A block. */
  static final int MC = 64;

  /** Packed blocks and conv columns of one thread, grown on demand, never shrunk. */
  private static final class Scratch {
    float[] a = new float[MC * KC];
    float[] b = new float[KC * NC];
    float[] cols = new float[0];

    float[] cols(int size) {
      if (cols.length < size) {
        cols = new float[size];
      }
      return cols;
    }
  }

  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  // Operand sources: a plain row-major matrix, its transpose, or the im2col of an image.
  private static final int PLAIN = 0;
  private static final int TRANSPOSED = 1;
  private static final int IMAGE = 2;

  @Override
  public void gemm(boolean transA, boolean transB, int m, int n, int k,
      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc, boolean accumulate) {
    product(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
  }

  /** {@link #gemm} as a static method, for the other scalar kernels. */
  static void product(boolean transA, boolean transB, int m, int n, int k,
      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc, boolean accumulate) {
    run(m, n, k, transA ? TRANSPOSED : PLAIN, a, aOff, lda, null,
        transB ? TRANSPOSED : PLAIN, b, bOff, ldb, null, c, cOff, ldc, accumulate);
  }

  @Override
  public void convGemm(int m, ConvKernels.Geometry g, float[] a, int aOff, int lda, float[] x, int xOff,
      float[] c, int cOff, int ldc, boolean accumulate) {
    run(m, g.colCols(), g.colRows(), PLAIN, a, aOff, lda, null, IMAGE, x, xOff, 0, g, c, cOff, ldc, accumulate);
  }

  @Override
  public void convBackwardData(int n, ConvKernels.Geometry g, float[] w, int wOff, int ldw, float[] dy,
      int dyOff, int dyStride, float[] dx, int dxOff, int dxStride, int count) {
    int k = g.colRows();
    int p = g.colCols();
    int size = g.channels() * g.inH() * g.inW();
    for (int img = 0; img < count; img++) {
      // The column gradient W^T x dY, then its col2im; cols is taken after run() packed its blocks.
      float[] cols = SCRATCH.get().cols(k * p);
      run(k, p, n, TRANSPOSED, w, wOff, ldw, null, PLAIN, dy, dyOff + img * dyStride, p, null,
          cols, 0, p, false);
      int xBase = dxOff + img * dxStride;
      Arrays.fill(dx, xBase, xBase + size, 0f);
      ScalarConv.col2imRows(g, cols, 0, dx, xBase);
    }
  }

  @Override
  public void convGemmWeightGrad(int n, ConvKernels.Geometry g, float[] x, int xOff, float[] b, int bOff,
      int ldb, float[] c, int cOff, int ldc) {
    // C[K x n] += cols[K x P] * B^T: A is the im2col of the image, B is stored n x P.
    run(g.colRows(), n, g.colCols(), IMAGE, x, xOff, 0, g, TRANSPOSED, b, bOff, ldb, null, c, cOff, ldc, true);
  }

  /**
   * C[m x n] := A[m x k] * B[k x n] (+ C when accumulate), each operand read through its source:
   * PLAIN (row-major, row stride ld), TRANSPOSED (stored as the transpose, row stride ld) or
   * IMAGE (the im2col of the CHW image at off under g; ld unused).
   */
  private static void run(int m, int n, int k, int aSrc, float[] a, int aOff, int lda, ConvKernels.Geometry ag,
      int bSrc, float[] b, int bOff, int ldb, ConvKernels.Geometry bg, float[] c, int cOff, int ldc,
      boolean accumulate) {
    if (!accumulate) {
      for (int i = 0; i < m; i++) {
        Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
      }
    }
    if (k == 0) {
      return;
    }
    Scratch s = SCRATCH.get();
    float[] ap = s.a;
    float[] bp = s.b;
    for (int j0 = 0; j0 < n; j0 += NC) {
      int nc = Math.min(NC, n - j0);
      for (int p0 = 0; p0 < k; p0 += KC) {
        int kc = Math.min(KC, k - p0);
        // B block: kc rows of nc, row r at r * nc.
        switch (bSrc) {
          case PLAIN -> packRows(b, bOff + p0 * ldb + j0, ldb, kc, nc, bp);
          case TRANSPOSED -> packTransposed(b, bOff + j0 * ldb + p0, ldb, kc, nc, bp);
          default -> {
            for (int r = 0; r < kc; r++) {
              ScalarConv.colRow(bg, b, bOff, p0 + r, j0, nc, bp, r * nc);
            }
          }
        }
        for (int i0 = 0; i0 < m; i0 += MC) {
          int mc = Math.min(MC, m - i0);
          // A block: mc rows of kc, row r at r * kc.
          switch (aSrc) {
            case PLAIN -> packRows(a, aOff + i0 * lda + p0, lda, mc, kc, ap);
            case TRANSPOSED -> packTransposed(a, aOff + p0 * lda + i0, lda, mc, kc, ap);
            default -> {
              for (int r = 0; r < mc; r++) {
                ScalarConv.colRow(ag, a, aOff, i0 + r, p0, kc, ap, r * kc);
              }
            }
          }
          block(mc, nc, kc, ap, bp, c, cOff + i0 * ldc + j0, ldc);
        }
      }
    }
  }

  /** dst[r * cols + j] := src[off + r * ld + j]. */
  private static void packRows(float[] src, int off, int ld, int rows, int cols, float[] dst) {
    for (int r = 0; r < rows; r++) {
      System.arraycopy(src, off + r * ld, dst, r * cols, cols);
    }
  }

  /** dst[r * cols + j] := src[off + j * ld + r]: the transpose of a stored cols x rows block. */
  private static void packTransposed(float[] src, int off, int ld, int rows, int cols, float[] dst) {
    // Row by row of the source: reads contiguous, writes strided by cols.
    for (int j = 0; j < cols; j++) {
      int s = off + j * ld;
      for (int r = 0; r < rows; r++) {
        dst[r * cols + j] = src[s + r];
      }
    }
  }

  /** C[mc x nc] at cOff += A block [mc x kc] * B block [kc x nc], both packed. */
  private static void block(int mc, int nc, int kc, float[] ap, float[] bp, float[] c, int cOff, int ldc) {
    for (int i = 0; i < mc; i++) {
      int ci = cOff + i * ldc;
      int ai = i * kc;
      int p = 0;
      for (; p + 3 < kc; p += 4) {
        float a0 = ap[ai + p];
        float a1 = ap[ai + p + 1];
        float a2 = ap[ai + p + 2];
        float a3 = ap[ai + p + 3];
        int b0 = p * nc;
        int b1 = b0 + nc;
        int b2 = b1 + nc;
        int b3 = b2 + nc;
        for (int j = 0; j < nc; j++) {
          c[ci + j] += a0 * bp[b0 + j] + a1 * bp[b1 + j] + a2 * bp[b2 + j] + a3 * bp[b3 + j];
        }
      }
      for (; p < kc; p++) {
        float a0 = ap[ai + p];
        int b0 = p * nc;
        for (int j = 0; j < nc; j++) {
          c[ci + j] += a0 * bp[b0 + j];
        }
      }
    }
  }
}

package org.autoprop.kernel;

/**
 * General matrix multiplication on row-major {@code float[]} matrices.
 *
 * <p>{@code C[m x n] := op(A)[m x k] * op(B)[k x n] (+ C when accumulate)}, where {@code op(A)} is
 * A or its transpose (A then stored {@code k x m}) without materialising the transpose. Leading
 * dimensions ({@code lda}, {@code ldb}, {@code ldc}) are the row strides of the stored matrices.
 * Single-threaded; callers split disjoint C tiles across threads ({@link Gemm} does).
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
   * Convolution as a GEMM whose column matrix is never materialised:
   * {@code C[m x P] := A[m x K] * cols (+ C when accumulate)}, where {@code cols[K x P]} is the
   * im2col of one CHW image {@code x} at {@code xOff} under {@code g} ({@code K = g.colRows()},
   * {@code P = g.colCols()}, rows and columns as in {@link ConvKernels}). Implementations pack
   * the columns straight from the image.
   */
  void convGemm(int m, ConvKernels.Geometry g, float[] a, int aOff, int lda, float[] x, int xOff,
      float[] c, int cOff, int ldc, boolean accumulate);

  /**
   * {@link #convGemm} over {@code count} images of a batch, overwriting C: image {@code i} is read
   * at {@code xOff + i * xStride} and its product written at {@code cOff + i * cStride}, then
   * {@code bias[biasOff + r]} is added to row {@code r} when {@code bias} is not null. One call
   * per batch lets an implementation prepare A (the weights) once instead of once per image.
   */
  default void convGemmImages(int m, ConvKernels.Geometry g, float[] a, int aOff, int lda, float[] bias,
      int biasOff, float[] x, int xOff, int xStride, float[] c, int cOff, int cStride, int ldc, int count) {
    int p = g.colCols();
    for (int i = 0; i < count; i++) {
      int ci = cOff + i * cStride;
      convGemm(m, g, a, aOff, lda, x, xOff + i * xStride, c, ci, ldc, false);
      if (bias != null) {
        for (int r = 0; r < m; r++) {
          float b = bias[biasOff + r];
          for (int j = ci + r * ldc, end = j + p; j < end; j++) {
            c[j] += b;
          }
        }
      }
    }
  }

  /**
   * The data gradient of a convolution (a transposed convolution) for {@code count} images,
   * overwriting dx: {@code dx := col2im(W^T x dY)} under {@code g}, where {@code W} is the
   * {@code [n, K]} weight matrix ({@code K = g.colRows()}, row stride {@code ldw}) and {@code dY}
   * the {@code [n, P]} gradient of one image's output ({@code P = g.colCols()}, rows contiguous).
   * Image {@code i} reads dY at {@code dyOff + i * dyStride} and writes its {@code g.channels()}
   * planes of {@code inH x inW} at {@code dxOff + i * dxStride}. Neither the columns nor the
   * column gradient is materialised.
   */
  void convBackwardData(int n, ConvKernels.Geometry g, float[] w, int wOff, int ldw, float[] dy, int dyOff,
      int dyStride, float[] dx, int dxOff, int dxStride, int count);

  /**
   * The weight-gradient product with implicit columns: {@code C[K x n] += cols * B^T}, where
   * {@code cols[K x P]} is the im2col of the image {@code x} under {@code g} and {@code B} is
   * stored {@code n x P} (row stride {@code ldb}). With {@code B = dY} of one image this adds
   * the transposed weight gradient {@code (dY x cols^T)^T}.
   */
  void convGemmWeightGrad(int n, ConvKernels.Geometry g, float[] x, int xOff, float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc);
}

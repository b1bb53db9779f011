package org.autoprop.kernel;

/**
 * Convolution kernels on CHW images: the convolution as an implicit GEMM (forward, data and weight
 * gradients, no column matrix), direct depthwise convolution, and the explicit im2col and col2im
 * for the cases those do not cover.
 *
 * <p>Every method takes a {@link Geometry}; input pixel {@code (iy, ix)} seen by output pixel
 * {@code (oy, ox)} through kernel tap {@code (i, j)} is {@code iy = oy*strideH - padH + i*dilationH},
 * {@code ix = ox*strideW - padW + j*dilationW}; taps outside the input read zero. The column
 * matrix is {@code [channels*kh*kw, outH*outW]}, row {@code (c*kh + i)*kw + j}. Kernels assume
 * valid arguments (callers check shapes once per call) and never allocate.
 */
public interface ConvKernels {
  /**
   * The geometry of a 2-D convolution of one image: input extent, kernel, stride, padding,
   * dilation and the output extent it implies. Built once per input shape, outside hot loops.
   */
  record Geometry(int channels, int inH, int inW, int kernelH, int kernelW, int strideH,
      int strideW, int padH, int padW, int dilationH, int dilationW) {
    /** Validates that every extent is positive and the padding non-negative. */
    public Geometry {
      if (channels < 1 || inH < 1 || inW < 1 || kernelH < 1 || kernelW < 1 || strideH < 1
          || strideW < 1 || padH < 0 || padW < 0 || dilationH < 1 || dilationW < 1) {
        throw new IllegalArgumentException("Invalid conv geometry " + this);
      }
      if (outExtent(inH, kernelH, strideH, padH, dilationH) < 1
          || outExtent(inW, kernelW, strideW, padW, dilationW) < 1) {
        throw new IllegalArgumentException("Conv geometry " + this + " has an empty output");
      }
    }

    /** {@code floor((in + 2*pad - dilation*(k-1) - 1) / stride) + 1}, PyTorch's rule. */
    public static int outExtent(int in, int k, int stride, int pad, int dilation) {
      int span = in + 2 * pad - dilation * (k - 1) - 1;
      return span < 0 ? 0 : span / stride + 1;
    }

    /** The output height. */
    public int outH() {
      return outExtent(inH, kernelH, strideH, padH, dilationH);
    }

    /** The output width. */
    public int outW() {
      return outExtent(inW, kernelW, strideW, padW, dilationW);
    }

    /** Rows of the column matrix: {@code channels * kernelH * kernelW}. */
    public int colRows() {
      return channels * kernelH * kernelW;
    }

    /** Columns of the column matrix: {@code outH * outW}. */
    public int colCols() {
      return outH() * outW();
    }
  }

  /** cols[(c*kh + i)*kw + j, oy*outW + ox] := x[c, iy, ix] (0 outside the input); writes every element. */
  void im2col(Geometry g, float[] x, int xOff, float[] cols, int colsOff);

  /** x[c, iy, ix] += cols[(c*kh + i)*kw + j, oy*outW + ox] for every tap inside the input: the adjoint of im2col. */
  void col2im(Geometry g, float[] cols, int colsOff, float[] x, int xOff);

  /**
   * Depthwise convolution (one filter per channel): y[c, oy, ox] := bias[c] + sum_{i,j} w[c, i, j] * x[c, iy, ix].
   * {@code bias} may be null (no bias).
   */
  void depthwiseForward(Geometry g, float[] x, int xOff, float[] w, int wOff, float[] bias, int biasOff,
      float[] y, int yOff);

  /** Depthwise input gradient: gx[c, iy, ix] += sum of w[c, i, j] * gy[c, oy, ox] over the taps that read it. */
  void depthwiseBackwardData(Geometry g, float[] gy, int gyOff, float[] w, int wOff, float[] gx, int gxOff);

  /** Depthwise weight gradient: gw[c, i, j] += sum_{oy, ox} gy[c, oy, ox] * x[c, iy, ix]. */
  void depthwiseBackwardWeight(Geometry g, float[] x, int xOff, float[] gy, int gyOff, float[] gw, int gwOff);

  /**
   * The convolution of one image as a GEMM whose column matrix is never materialised:
   * {@code C[m x P] := A[m x K] * cols (+ C when accumulate)}, where {@code cols[K x P]} is the
   * im2col of the CHW image {@code x} at {@code xOff} under {@code g} ({@code K = g.colRows()},
   * {@code P = g.colCols()}) and A holds the {@code m} filters of {@code K} weights each (row
   * stride {@code lda}). Implementations read the columns straight from the image.
   */
  void forward(int m, Geometry g, float[] a, int aOff, int lda, float[] x, int xOff,
      float[] c, int cOff, int ldc, boolean accumulate);

  /**
   * {@link #forward} over {@code count} images of a batch, overwriting C: image {@code i} is read
   * at {@code xOff + i * xStride} and its product written at {@code cOff + i * cStride}, then
   * {@code bias[biasOff + r]} is added to row {@code r} when {@code bias} is not null. One call
   * per batch lets an implementation prepare A (the weights) once instead of once per image.
   */
  void forwardImages(int m, Geometry g, float[] a, int aOff, int lda, float[] bias, int biasOff,
      float[] x, int xOff, int xStride, float[] c, int cOff, int cStride, int ldc, int count);

  /**
   * The data gradient of a convolution (a transposed convolution) for {@code count} images,
   * overwriting dx: {@code dx := col2im(W^T x dY)} under {@code g}, where {@code W} is the
   * {@code [n, K]} weight matrix ({@code K = g.colRows()}, row stride {@code ldw}) and {@code dY}
   * the {@code [n, P]} gradient of one image's output ({@code P = g.colCols()}, rows contiguous).
   * Image {@code i} reads dY at {@code dyOff + i * dyStride} and writes its {@code g.channels()}
   * planes of {@code inH x inW} at {@code dxOff + i * dxStride}. Neither the columns nor the
   * column gradient is materialised.
   */
  void backwardData(int n, Geometry g, float[] w, int wOff, int ldw, float[] dy, int dyOff,
      int dyStride, float[] dx, int dxOff, int dxStride, int count);

  /**
   * The weight gradient of one image, transposed, with implicit columns: {@code C[K x n] += cols *
   * B^T}, where {@code cols[K x P]} is the im2col of the image {@code x} under {@code g} and
   * {@code B} is stored {@code n x P} (row stride {@code ldb}). With {@code B = dY} of one image this
   * adds {@code (dY x cols^T)^T}, the gradient of the {@code [n, K]} weight matrix in {@code [K, n]}
   * layout.
   */
  void backwardWeightTransposed(int n, Geometry g, float[] x, int xOff, float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc);
}

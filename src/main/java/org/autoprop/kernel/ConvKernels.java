package org.autoprop.kernel;

/**
 * Convolution helpers: im2col, col2im and direct (depthwise) convolution, on one image at a time
 * in CHW layout.
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

  /**
   * C[m x n] += A[m x k] B[n x k]^T: every element of C is the dot product of a row of A and a row
   * of B, both contiguous along k. The weight gradient {@code dY x cols^T} has this shape; a
   * GEMM would have to transpose the (large) column matrix while packing it, this reads it as is.
   */
  void accumulateABt(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc);

  /** Depthwise weight gradient: gw[c, i, j] += sum_{oy, ox} gy[c, oy, ox] * x[c, iy, ix]. */
  void depthwiseBackwardWeight(Geometry g, float[] x, int xOff, float[] gy, int gyOff, float[] gw, int gwOff);
}

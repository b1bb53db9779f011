package org.autoprop.kernel;

import java.util.Arrays;

/**
 * Scalar twin of the {@link ConvKernels}. The implicit GEMMs run on the blocked {@link ScalarGemm},
 * whose packers read the columns straight from the image ({@link #colRow}). im2col and col2im work
 * one output row at a time on the range of output columns whose taps fall inside the input,
 * computed once per row, so the inner loops are plain copies and adds without a bounds test per
 * tap. The depthwise loops are the textbook ones.
 */
final class ScalarConv implements ConvKernels {
  /**
   * The column matrix (backwardData) and the transposed product (backwardWeightTransposed) of one
   * thread, grown on demand.
   */
  private static final class Scratch {
    float[] cols = new float[0];
    float[] product = new float[0];
    float[] padded = new float[0];
    float[] wide = new float[0];

    float[] padded(int size) {
      if (padded.length < size) {
        padded = new float[size];
      }
      return padded;
    }

    float[] wide(int size) {
      if (wide.length < size) {
        wide = new float[size];
      }
      return wide;
    }

    float[] cols(int size) {
      if (cols.length < size) {
        cols = new float[size];
      }
      return cols;
    }

    float[] product(int size) {
      if (product.length < size) {
        product = new float[size];
      }
      return product;
    }
  }

  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  @Override
  public void forward(int m, Geometry g, float[] a, int aOff, int lda, float[] x, int xOff,
      float[] c, int cOff, int ldc, boolean accumulate) {
    if (g.strideH() == 1 && g.strideW() == 1) {
      forwardWide(m, g, a, aOff, lda, x, xOff, c, cOff, ldc, accumulate);
      return;
    }
    ScalarGemm.run(m, g.colCols(), g.colRows(), ScalarGemm.PLAIN, a, aOff, lda, null,
        ScalarGemm.IMAGE, x, xOff, 0, g, c, cOff, ldc, accumulate);
  }

  /**
   * forward at stride 1, wide: the image is copied once with its zero padding explicit
   * ({@code Hp x Wp} per channel) and every output row is computed {@code Wp} pixels wide, so that
   * each row of the column matrix is one contiguous run of the padded copy (tap (ch, i, j) starts
   * at {@link #wideTap}) and the GEMM packs it with one copy per block row instead of one per output
   * row. The {@code (kw - 1) dw} extra columns of each row are computed and dropped. Every kept
   * element sums the same products in the same order as the im2col GEMM (the zeros of the
   * padding included), so the results are the same bits. (FMNIST-NET's 32-channel 3 x 3 conv on
   * 28 x 28: im2col packing was a fifth of the scalar forward.)
   */
  private static void forwardWide(int m, Geometry g, float[] a, int aOff, int lda, float[] x, int xOff,
      float[] c, int cOff, int ldc, boolean accumulate) {
    int inH = g.inH();
    int inW = g.inW();
    int padH = g.padH();
    int padW = g.padW();
    int hp = inH + 2 * padH;
    int wp = inW + 2 * padW;
    int outH = g.outH();
    int outW = g.outW();
    int channels = g.channels();
    // The runs of the last taps reach (kw - 1) dw past the last plane (into dropped columns).
    int slack = (g.kernelW() - 1) * g.dilationW();
    Scratch s = SCRATCH.get();
    float[] pad = s.padded(channels * hp * wp + slack);
    // Zero padding: only the border needs clearing, but the buffer is shared by geometries.
    Arrays.fill(pad, 0, channels * hp * wp + slack, 0f);
    for (int ch = 0; ch < channels; ch++) {
      for (int iy = 0; iy < inH; iy++) {
        System.arraycopy(x, xOff + (ch * inH + iy) * inW, pad, (ch * hp + iy + padH) * wp + padW, inW);
      }
    }
    int pw = outH * wp;
    float[] wide = s.wide(m * pw);
    if (accumulate) {
      for (int r = 0; r < m; r++) {
        for (int oy = 0; oy < outH; oy++) {
          System.arraycopy(c, cOff + r * ldc + oy * outW, wide, r * pw + oy * wp, outW);
        }
      }
    }
    ScalarGemm.run(m, pw, g.colRows(), ScalarGemm.PLAIN, a, aOff, lda, null, ScalarGemm.WIDE, pad, 0, 0, g, wide,
        0, pw, accumulate);
    for (int r = 0; r < m; r++) {
      for (int oy = 0; oy < outH; oy++) {
        System.arraycopy(wide, r * pw + oy * wp, c, cOff + r * ldc + oy * outW, outW);
      }
    }
  }

  /** Where row kk = (ch, i, j) of the wide column matrix starts in the padded copy of forwardWide. */
  static int wideTap(Geometry g, int kk) {
    int kw = g.kernelW();
    int khw = g.kernelH() * kw;
    int wp = g.inW() + 2 * g.padW();
    int hp = g.inH() + 2 * g.padH();
    return (kk / khw * hp + kk % khw / kw * g.dilationH()) * wp + kk % kw * g.dilationW();
  }

  @Override
  public void forwardImages(int m, Geometry g, float[] a, int aOff, int lda, float[] bias, int biasOff,
      float[] x, int xOff, int xStride, float[] c, int cOff, int cStride, int ldc, int count) {
    int p = g.colCols();
    for (int i = 0; i < count; i++) {
      int ci = cOff + i * cStride;
      forward(m, g, a, aOff, lda, x, xOff + i * xStride, c, ci, ldc, false);
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

  @Override
  public void backwardData(int n, Geometry g, float[] w, int wOff, int ldw, float[] dy,
      int dyOff, int dyStride, float[] dx, int dxOff, int dxStride, int count) {
    int k = g.colRows();
    int p = g.colCols();
    int size = g.channels() * g.inH() * g.inW();
    float[] cols = SCRATCH.get().cols(k * p);
    for (int img = 0; img < count; img++) {
      // The column gradient W^T x dY, then its col2im.
      ScalarGemm.run(k, p, n, ScalarGemm.TRANSPOSED, w, wOff, ldw, null, ScalarGemm.PLAIN, dy,
          dyOff + img * dyStride, p, null, cols, 0, p, false);
      int xBase = dxOff + img * dxStride;
      Arrays.fill(dx, xBase, xBase + size, 0f);
      col2imRows(g, cols, 0, dx, xBase);
    }
  }

  @Override
  public void backwardWeightTransposed(int n, Geometry g, float[] x, int xOff, float[] b, int bOff,
      int ldb, float[] c, int cOff, int ldc) {
    // C[K x n] += cols * B^T, computed as its transpose D[n x K] = B * cols^T: the inner loops
    // then run along K (hundreds) instead of n (the output channels, a few dozen).
    int k = g.colRows();
    float[] d = SCRATCH.get().product(n * k);
    ScalarGemm.run(n, k, g.colCols(), ScalarGemm.PLAIN, b, bOff, ldb, null, ScalarGemm.IMAGE_TRANSPOSED,
        x, xOff, 0, g, d, 0, k, false);
    for (int r = 0; r < k; r++) {
      int row = cOff + r * ldc;
      for (int j = 0; j < n; j++) {
        c[row + j] += d[j * k + r];
      }
    }
  }

  @Override
  public void im2col(Geometry g, float[] x, int xOff, float[] cols, int colsOff) {
    int p = g.colCols();
    for (int kk = 0, rows = g.colRows(); kk < rows; kk++) {
      colRow(g, x, xOff, kk, 0, p, cols, colsOff + kk * p);
    }
  }

  @Override
  public void col2im(Geometry g, float[] cols, int colsOff, float[] x, int xOff) {
    col2imRows(g, cols, colsOff, x, xOff);
  }

  /** The first output column whose tap at input offset {@code off + ox*stride} is inside: ceil(-off / stride), at least 0. */
  private static int firstInside(int off, int stride) {
    return off >= 0 ? 0 : (-off + stride - 1) / stride;
  }

  /** One past the last output column whose tap {@code off + ox*stride} is below {@code in}. */
  private static int endInside(int off, int stride, int in) {
    return in - 1 - off < 0 ? 0 : (in - 1 - off) / stride + 1;
  }

  /**
   * dst[dOff + q] := cols[kk, pix0 + q] for q in [0, len): a stretch of one row of the column
   * matrix of the image at xOff, zeros in the padding. The packers of {@link ScalarGemm} read
   * blocks of the column matrix through it.
   */
  static void colRow(Geometry g, float[] x, int xOff, int kk, int pix0, int len, float[] dst, int dOff) {
    int kw = g.kernelW();
    int khw = g.kernelH() * kw;
    int ch = kk / khw;
    int ti = kk % khw / kw;
    int tj = kk % kw;
    int inH = g.inH();
    int inW = g.inW();
    int outW = g.outW();
    int sw = g.strideW();
    int offX = tj * g.dilationW() - g.padW();
    int lo0 = Math.min(firstInside(offX, sw), outW);
    int hi0 = Math.min(endInside(offX, sw, inW), outW);
    int plane = xOff + ch * inH * inW;
    int oy = pix0 / outW;
    int ox = pix0 % outW;
    int done = 0;
    while (done < len) {
      int run = Math.min(outW - ox, len - done);
      int end = ox + run;
      int d = dOff + done - ox;
      int iy = oy * g.strideH() - g.padH() + ti * g.dilationH();
      // Plain loops for the zeros: the padding is usually a float or two, too short for a call.
      if (iy < 0 || iy >= inH) {
        for (int q = ox; q < end; q++) {
          dst[d + q] = 0f;
        }
      } else {
        int lo = Math.min(Math.max(lo0, ox), end);
        int hi = Math.max(Math.min(hi0, end), lo);
        for (int q = ox; q < lo; q++) {
          dst[d + q] = 0f;
        }
        int src = plane + iy * inW + offX;
        if (sw == 1) {
          if (hi > lo) {
            // (arraycopy checks the source position even for length 0, and src + lo may be -1 then.)
            System.arraycopy(x, src + lo, dst, d + lo, hi - lo);
          }
        } else {
          for (int q = lo; q < hi; q++) {
            dst[d + q] = x[src + q * sw];
          }
        }
        for (int q = hi; q < end; q++) {
          dst[d + q] = 0f;
        }
      }
      done += run;
      ox = 0;
      oy++;
    }
  }

  /** x[c, iy, ix] += cols[(c*kh + i)*kw + j, oy*outW + ox] for every tap inside the input (col2im). */
  static void col2imRows(Geometry g, float[] cols, int colsOff, float[] x, int xOff) {
    int kw = g.kernelW();
    int khw = g.kernelH() * kw;
    int inH = g.inH();
    int inW = g.inW();
    int outH = g.outH();
    int outW = g.outW();
    int sw = g.strideW();
    for (int kk = 0, rows = g.colRows(); kk < rows; kk++) {
      int ch = kk / khw;
      int ti = kk % khw / kw;
      int tj = kk % kw;
      int offX = tj * g.dilationW() - g.padW();
      int lo = Math.min(firstInside(offX, sw), outW);
      int hi = Math.max(Math.min(endInside(offX, sw, inW), outW), lo);
      int plane = xOff + ch * inH * inW;
      for (int oy = 0; oy < outH; oy++) {
        int iy = oy * g.strideH() - g.padH() + ti * g.dilationH();
        if (iy < 0 || iy >= inH) {
          continue;
        }
        int src = colsOff + (kk * outH + oy) * outW;
        int dst = plane + iy * inW + offX;
        if (sw == 1) {
          for (int q = lo; q < hi; q++) {
            x[dst + q] += cols[src + q];
          }
        } else {
          for (int q = lo; q < hi; q++) {
            x[dst + q * sw] += cols[src + q];
          }
        }
      }
    }
  }

  @Override
  public void depthwiseForward(Geometry g, float[] x, int xOff, float[] wt, int wOff, float[] bias,
      int biasOff, float[] y, int yOff) {
    int h = g.inH();
    int w = g.inW();
    int kh = g.kernelH();
    int kw = g.kernelW();
    int outH = g.outH();
    int outW = g.outW();
    for (int c = 0; c < g.channels(); c++) {
      for (int oy = 0; oy < outH; oy++) {
        for (int ox = 0; ox < outW; ox++) {
          float s = bias == null ? 0f : bias[biasOff + c];
          for (int i = 0; i < kh; i++) {
            int iy = oy * g.strideH() - g.padH() + i * g.dilationH();
            for (int j = 0; j < kw; j++) {
              int ix = ox * g.strideW() - g.padW() + j * g.dilationW();
              if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                s += wt[wOff + (c * kh + i) * kw + j] * x[xOff + (c * h + iy) * w + ix];
              }
            }
          }
          y[yOff + (c * outH + oy) * outW + ox] = s;
        }
      }
    }
  }

  @Override
  public void depthwiseBackwardData(Geometry g, float[] gy, int gyOff, float[] wt, int wOff,
      float[] gx, int gxOff) {
    int h = g.inH();
    int w = g.inW();
    int kh = g.kernelH();
    int kw = g.kernelW();
    int outH = g.outH();
    int outW = g.outW();
    for (int c = 0; c < g.channels(); c++) {
      for (int oy = 0; oy < outH; oy++) {
        for (int ox = 0; ox < outW; ox++) {
          float d = gy[gyOff + (c * outH + oy) * outW + ox];
          for (int i = 0; i < kh; i++) {
            int iy = oy * g.strideH() - g.padH() + i * g.dilationH();
            for (int j = 0; j < kw; j++) {
              int ix = ox * g.strideW() - g.padW() + j * g.dilationW();
              if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                gx[gxOff + (c * h + iy) * w + ix] += wt[wOff + (c * kh + i) * kw + j] * d;
              }
            }
          }
        }
      }
    }
  }

  @Override
  public void depthwiseBackwardWeight(Geometry g, float[] x, int xOff, float[] gy, int gyOff,
      float[] gw, int gwOff) {
    int h = g.inH();
    int w = g.inW();
    int kh = g.kernelH();
    int kw = g.kernelW();
    int outH = g.outH();
    int outW = g.outW();
    for (int c = 0; c < g.channels(); c++) {
      for (int i = 0; i < kh; i++) {
        for (int j = 0; j < kw; j++) {
          float s = 0f;
          for (int oy = 0; oy < outH; oy++) {
            int iy = oy * g.strideH() - g.padH() + i * g.dilationH();
            for (int ox = 0; ox < outW; ox++) {
              int ix = ox * g.strideW() - g.padW() + j * g.dilationW();
              if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                s += gy[gyOff + (c * outH + oy) * outW + ox] * x[xOff + (c * h + iy) * w + ix];
              }
            }
          }
          gw[gwOff + (c * kh + i) * kw + j] += s;
        }
      }
    }
  }
}

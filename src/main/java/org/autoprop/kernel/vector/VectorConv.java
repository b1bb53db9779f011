package org.autoprop.kernel.vector;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.autoprop.kernel.ConvKernels;

/**
 * Vector API {@link ConvKernels}. The implicit GEMMs run on {@link WideConv}. For the depthwise
 * kernels, im2col and col2im, each output row is split once into the range of output columns
 * whose taps fall inside the input (no bounds test per element) and the padded rest; at stride 1
 * that range is contiguous in the input and runs as vector FMAs (or {@code System.arraycopy} for
 * im2col), at larger strides as a scalar strided loop (col2im then runs on {@link WideConv}).
 */
final class VectorConv implements ConvKernels {
  private static final VectorSpecies<Float> SPECIES = VectorKernelProvider.SPECIES;

  /** First output column whose tap {@code ix = ox*stride - pad + tap} is >= 0, capped at {@code out}. */
  private static int lo(int out, int stride, int pad, int tap) {
    int d = pad - tap;
    return d <= 0 ? 0 : Math.min(out, (d + stride - 1) / stride);
  }

  /** One past the last output column whose tap is below {@code in}, capped at {@code out}. */
  private static int hi(int in, int out, int stride, int pad, int tap) {
    int t = in - 1 + pad - tap;
    return t < 0 ? 0 : Math.min(out, t / stride + 1);
  }

  @Override
  public void im2col(Geometry g, float[] x, int xOff, float[] cols, int colsOff) {
    final int h = g.inH();
    final int w = g.inW();
    final int kh = g.kernelH();
    final int kw = g.kernelW();
    final int sh = g.strideH();
    final int sw = g.strideW();
    final int outH = g.outH();
    final int outW = g.outW();
    int p = colsOff;
    for (int c = 0; c < g.channels(); c++) {
      for (int i = 0; i < kh; i++) {
        for (int j = 0; j < kw; j++) {
          int tapW = j * g.dilationW();
          int lo = lo(outW, sw, g.padW(), tapW);
          int hi = Math.max(lo, hi(w, outW, sw, g.padW(), tapW));
          for (int oy = 0; oy < outH; oy++, p += outW) {
            int iy = oy * sh - g.padH() + i * g.dilationH();
            if (iy < 0 || iy >= h) {
              Arrays.fill(cols, p, p + outW, 0f);
              continue;
            }
            int xRow = xOff + (c * h + iy) * w - g.padW() + tapW;
            Arrays.fill(cols, p, p + lo, 0f);
            if (sw == 1) {
              if (hi > lo) { // arraycopy checks bounds even for length 0
                System.arraycopy(x, xRow + lo, cols, p + lo, hi - lo);
              }
            } else {
              for (int ox = lo; ox < hi; ox++) {
                cols[p + ox] = x[xRow + ox * sw];
              }
            }
            Arrays.fill(cols, p + hi, p + outW, 0f);
          }
        }
      }
    }
  }

  @Override
  public void col2im(Geometry g, float[] cols, int colsOff, float[] x, int xOff) {
    final int h = g.inH();
    final int w = g.inW();
    final int kh = g.kernelH();
    final int kw = g.kernelW();
    final int sh = g.strideH();
    final int sw = g.strideW();
    final int outH = g.outH();
    final int outW = g.outW();
    if (sh > 1 || sw > 1) {
      // Contiguous vector adds into a phase-split copy instead of a strided scalar scatter.
      WideConv.col2im(g, cols, colsOff, x, xOff);
      return;
    }
    int p = colsOff;
    for (int c = 0; c < g.channels(); c++) {
      for (int i = 0; i < kh; i++) {
        for (int j = 0; j < kw; j++) {
          int tapW = j * g.dilationW();
          int lo = lo(outW, sw, g.padW(), tapW);
          int hi = Math.max(lo, hi(w, outW, sw, g.padW(), tapW));
          for (int oy = 0; oy < outH; oy++, p += outW) {
            int iy = oy * sh - g.padH() + i * g.dilationH();
            if (iy < 0 || iy >= h) {
              continue;
            }
            int xRow = xOff + (c * h + iy) * w - g.padW() + tapW;
            if (sw == 1) {
              addInto(cols, p + lo, x, xRow + lo, hi - lo); // no access when empty
            } else {
              for (int ox = lo; ox < hi; ox++) {
                x[xRow + ox * sw] += cols[p + ox];
              }
            }
          }
        }
      }
    }
  }

  /** dst[dOff + k] += src[sOff + k] for k in [0, n). */
  private static void addInto(float[] src, int sOff, float[] dst, int dOff, int n) {
    int k = 0;
    for (int bound = SPECIES.loopBound(n); k < bound; k += SPECIES.length()) {
      FloatVector.fromArray(SPECIES, dst, dOff + k)
          .add(FloatVector.fromArray(SPECIES, src, sOff + k))
          .intoArray(dst, dOff + k);
    }
    for (; k < n; k++) {
      dst[dOff + k] += src[sOff + k];
    }
  }

  /** dst[dOff + k] += a * src[sOff + k] for k in [0, n). */
  private static void axpy(float a, float[] src, int sOff, float[] dst, int dOff, int n) {
    int k = 0;
    FloatVector av = FloatVector.broadcast(SPECIES, a);
    for (int bound = SPECIES.loopBound(n); k < bound; k += SPECIES.length()) {
      FloatVector.fromArray(SPECIES, src, sOff + k)
          .fma(av, FloatVector.fromArray(SPECIES, dst, dOff + k))
          .intoArray(dst, dOff + k);
    }
    for (; k < n; k++) {
      dst[dOff + k] += a * src[sOff + k];
    }
  }

  @Override
  public void depthwiseForward(Geometry g, float[] x, int xOff, float[] wt, int wOff, float[] bias,
      int biasOff, float[] y, int yOff) {
    final int h = g.inH();
    final int w = g.inW();
    final int kh = g.kernelH();
    final int kw = g.kernelW();
    final int sh = g.strideH();
    final int sw = g.strideW();
    final int outH = g.outH();
    final int outW = g.outW();
    for (int c = 0; c < g.channels(); c++) {
      float b = bias == null ? 0f : bias[biasOff + c];
      for (int oy = 0; oy < outH; oy++) {
        // The output row stays in L1 while every tap adds its shifted input row into it.
        int yRow = yOff + (c * outH + oy) * outW;
        Arrays.fill(y, yRow, yRow + outW, b);
        for (int i = 0; i < kh; i++) {
          int iy = oy * sh - g.padH() + i * g.dilationH();
          if (iy < 0 || iy >= h) {
            continue;
          }
          for (int j = 0; j < kw; j++) {
            int tapW = j * g.dilationW();
            int lo = lo(outW, sw, g.padW(), tapW);
            int hi = hi(w, outW, sw, g.padW(), tapW);
            float wv = wt[wOff + (c * kh + i) * kw + j];
            int xRow = xOff + (c * h + iy) * w - g.padW() + tapW;
            if (sw == 1) {
              if (hi > lo) {
                axpy(wv, x, xRow + lo, y, yRow + lo, hi - lo);
              }
            } else {
              for (int ox = lo; ox < hi; ox++) {
                y[yRow + ox] += wv * x[xRow + ox * sw];
              }
            }
          }
        }
      }
    }
  }

  @Override
  public void depthwiseBackwardData(Geometry g, float[] gy, int gyOff, float[] wt, int wOff,
      float[] gx, int gxOff) {
    final int h = g.inH();
    final int w = g.inW();
    final int kh = g.kernelH();
    final int kw = g.kernelW();
    final int sh = g.strideH();
    final int sw = g.strideW();
    final int outH = g.outH();
    final int outW = g.outW();
    for (int c = 0; c < g.channels(); c++) {
      for (int oy = 0; oy < outH; oy++) {
        int yRow = gyOff + (c * outH + oy) * outW;
        for (int i = 0; i < kh; i++) {
          int iy = oy * sh - g.padH() + i * g.dilationH();
          if (iy < 0 || iy >= h) {
            continue;
          }
          for (int j = 0; j < kw; j++) {
            int tapW = j * g.dilationW();
            int lo = lo(outW, sw, g.padW(), tapW);
            int hi = hi(w, outW, sw, g.padW(), tapW);
            float wv = wt[wOff + (c * kh + i) * kw + j];
            int xRow = gxOff + (c * h + iy) * w - g.padW() + tapW;
            if (sw == 1) {
              if (hi > lo) {
                axpy(wv, gy, yRow + lo, gx, xRow + lo, hi - lo);
              }
            } else {
              for (int ox = lo; ox < hi; ox++) {
                gx[xRow + ox * sw] += wv * gy[yRow + ox];
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
    final int h = g.inH();
    final int w = g.inW();
    final int kh = g.kernelH();
    final int kw = g.kernelW();
    final int sh = g.strideH();
    final int sw = g.strideW();
    final int outH = g.outH();
    final int outW = g.outW();
    for (int c = 0; c < g.channels(); c++) {
      for (int i = 0; i < kh; i++) {
        for (int j = 0; j < kw; j++) {
          int tapW = j * g.dilationW();
          int lo = lo(outW, sw, g.padW(), tapW);
          int hi = hi(w, outW, sw, g.padW(), tapW);
          // One vector accumulator across all rows; reduced once per tap, outside the loops.
          FloatVector acc = FloatVector.zero(SPECIES);
          float tail = 0f;
          for (int oy = 0; oy < outH && hi > lo; oy++) {
            int iy = oy * sh - g.padH() + i * g.dilationH();
            if (iy < 0 || iy >= h) {
              continue;
            }
            int yRow = gyOff + (c * outH + oy) * outW;
            int xRow = xOff + (c * h + iy) * w - g.padW() + tapW;
            if (sw == 1) {
              int n = hi - lo;
              int a = yRow + lo;
              int b = xRow + lo;
              int k = 0;
              for (int bound = SPECIES.loopBound(n); k < bound; k += SPECIES.length()) {
                acc = FloatVector.fromArray(SPECIES, gy, a + k)
                    .fma(FloatVector.fromArray(SPECIES, x, b + k), acc);
              }
              for (; k < n; k++) {
                tail += gy[a + k] * x[b + k];
              }
            } else {
              for (int ox = lo; ox < hi; ox++) {
                tail += gy[yRow + ox] * x[xRow + ox * sw];
              }
            }
          }
          gw[gwOff + (c * kh + i) * kw + j] += Lanes.sum(acc) + tail;
        }
      }
    }
  }

  /** The implicit GEMMs run on {@link WideConv}: no column matrix, no packing of the image. */
  @Override
  public void forward(int m, Geometry g, float[] a, int aOff, int lda, float[] x, int xOff,
      float[] c, int cOff, int ldc, boolean accumulate) {
    if (m == 0) {
      return;
    }
    WideConv.forward(m, g, a, aOff, lda, null, 0, x, xOff, 0, c, cOff, 0, ldc, 1, accumulate);
  }

  @Override
  public void forwardImages(int m, Geometry g, float[] a, int aOff, int lda, float[] bias, int biasOff,
      float[] x, int xOff, int xStride, float[] c, int cOff, int cStride, int ldc, int count) {
    if (m == 0 || count == 0) {
      return;
    }
    WideConv.forward(m, g, a, aOff, lda, bias, biasOff, x, xOff, xStride, c, cOff, cStride, ldc, count, false);
  }

  @Override
  public void backwardData(int n, Geometry g, float[] w, int wOff, int ldw, float[] dy, int dyOff,
      int dyStride, float[] dx, int dxOff, int dxStride, int count) {
    if (count == 0) {
      return;
    }
    WideConv.backwardData(n, g, w, wOff, ldw, dy, dyOff, dyStride, dx, dxOff, dxStride, count);
  }

  @Override
  public void backwardWeightTransposed(int n, Geometry g, float[] x, int xOff, float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc) {
    if (n == 0) {
      return;
    }
    WideConv.weightGrad(n, g, x, xOff, b, bOff, ldb, c, cOff, ldc);
  }
}

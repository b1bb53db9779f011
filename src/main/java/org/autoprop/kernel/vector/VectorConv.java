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

  /** A 3x3 kernel, stride 1, dilation 1, padding 1 (output the size of the input), rows of at least a vector plus 2. */
  private static boolean isSame3x3(Geometry g) {
    return g.kernelH() == 3 && g.kernelW() == 3 && g.strideH() == 1 && g.strideW() == 1 && g.dilationH() == 1
        && g.dilationW() == 1 && g.padH() == 1 && g.padW() == 1 && g.inW() >= SPECIES.length() + 2;
  }

  /**
   * {@code y[c] += 3x3 correlation of x[c]} with zero padding 1 (after setting {@code y[c]} to the
   * bias, or 0, when {@code set}): each output vector is loaded once, takes nine FMAs with the taps
   * in registers and is stored once. Columns 1..w-2 run as vectors, the last one overlapping its
   * neighbour: it is computed before the others from the same inputs, so the overlap is written
   * twice with the same value. Columns 0 and w-1 run scalar. {@code flip} reads the kernel rotated
   * by 180 degrees (the data gradient).
   */
  private static void same3x3(int channels, int h, int w, float[] x, int xOff, float[] wt, int wOff, boolean flip,
      boolean set, float[] bias, int biasOff, float[] y, int yOff) {
    final int lanes = SPECIES.length();
    final int last = w - 1 - lanes;
    for (int c = 0; c < channels; c++) {
      int k = wOff + c * 9;
      float w00 = tap(wt, k, 0, flip), w01 = tap(wt, k, 1, flip), w02 = tap(wt, k, 2, flip);
      float w10 = tap(wt, k, 3, flip), w11 = tap(wt, k, 4, flip), w12 = tap(wt, k, 5, flip);
      float w20 = tap(wt, k, 6, flip), w21 = tap(wt, k, 7, flip), w22 = tap(wt, k, 8, flip);
      FloatVector m0 = FloatVector.broadcast(SPECIES, w10);
      FloatVector m1 = FloatVector.broadcast(SPECIES, w11);
      FloatVector m2 = FloatVector.broadcast(SPECIES, w12);
      int plane = xOff + c * h * w;
      for (int oy = 0; oy < h; oy++) {
        int mid = plane + oy * w;
        int yRow = yOff + (c * h + oy) * w;
        if (set) {
          Arrays.fill(y, yRow, yRow + w, bias == null ? 0f : bias[biasOff + c]);
        }
        // A missing row (the padding) reads the middle row with zero weights: scalars chosen, then
        // broadcast, so no vector value depends on a branch.
        boolean hasUp = oy > 0;
        boolean hasDown = oy < h - 1;
        int up = hasUp ? mid - w : mid;
        int down = hasDown ? mid + w : mid;
        float a0 = hasUp ? w00 : 0f, a1 = hasUp ? w01 : 0f, a2 = hasUp ? w02 : 0f;
        float b0 = hasDown ? w20 : 0f, b1 = hasDown ? w21 : 0f, b2 = hasDown ? w22 : 0f;
        FloatVector u0 = FloatVector.broadcast(SPECIES, a0);
        FloatVector u1 = FloatVector.broadcast(SPECIES, a1);
        FloatVector u2 = FloatVector.broadcast(SPECIES, a2);
        FloatVector d0 = FloatVector.broadcast(SPECIES, b0);
        FloatVector d1 = FloatVector.broadcast(SPECIES, b1);
        FloatVector d2 = FloatVector.broadcast(SPECIES, b2);
        FloatVector tail = rowVector(x, up, mid, down, last, u0, u1, u2, m0, m1, m2, d0, d1, d2,
            FloatVector.fromArray(SPECIES, y, yRow + last));
        for (int ox = 1; ox < last; ox += lanes) {
          rowVector(x, up, mid, down, ox, u0, u1, u2, m0, m1, m2, d0, d1, d2, FloatVector.fromArray(SPECIES, y, yRow + ox))
              .intoArray(y, yRow + ox);
        }
        tail.intoArray(y, yRow + last);
        y[yRow] += a1 * x[up] + a2 * x[up + 1] + w11 * x[mid] + w12 * x[mid + 1] + b1 * x[down] + b2 * x[down + 1];
        y[yRow + w - 1] += a0 * x[up + w - 2] + a1 * x[up + w - 1] + w10 * x[mid + w - 2] + w11 * x[mid + w - 1]
            + b0 * x[down + w - 2] + b1 * x[down + w - 1];
      }
    }
  }

  private static float tap(float[] wt, int k, int t, boolean flip) {
    return wt[k + (flip ? 8 - t : t)];
  }

  /** The nine FMAs of output columns {@code ox..ox+lanes-1} on top of {@code acc}. */
  private static FloatVector rowVector(float[] x, int up, int mid, int down, int ox, FloatVector u0, FloatVector u1,
      FloatVector u2, FloatVector m0, FloatVector m1, FloatVector m2, FloatVector d0, FloatVector d1, FloatVector d2,
      FloatVector acc) {
    acc = FloatVector.fromArray(SPECIES, x, up + ox - 1).fma(u0, acc);
    acc = FloatVector.fromArray(SPECIES, x, up + ox).fma(u1, acc);
    acc = FloatVector.fromArray(SPECIES, x, up + ox + 1).fma(u2, acc);
    acc = FloatVector.fromArray(SPECIES, x, mid + ox - 1).fma(m0, acc);
    acc = FloatVector.fromArray(SPECIES, x, mid + ox).fma(m1, acc);
    acc = FloatVector.fromArray(SPECIES, x, mid + ox + 1).fma(m2, acc);
    acc = FloatVector.fromArray(SPECIES, x, down + ox - 1).fma(d0, acc);
    acc = FloatVector.fromArray(SPECIES, x, down + ox).fma(d1, acc);
    return FloatVector.fromArray(SPECIES, x, down + ox + 1).fma(d2, acc);
  }

  @Override
  public void depthwiseForward(Geometry g, float[] x, int xOff, float[] wt, int wOff, float[] bias,
      int biasOff, float[] y, int yOff) {
    if (isSame3x3(g)) {
      same3x3(g.channels(), g.inH(), g.inW(), x, xOff, wt, wOff, false, true, bias, biasOff, y, yOff);
      return;
    }
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
    if (isSame3x3(g)) {
      // At stride 1 with padding 1 the data gradient is the same convolution of gy, kernel flipped.
      same3x3(g.channels(), g.inH(), g.inW(), gy, gyOff, wt, wOff, true, false, null, 0, gx, gxOff);
      return;
    }
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
              int lanes = SPECIES.length();
              int k = 0;
              for (int bound = SPECIES.loopBound(n); k < bound; k += lanes) {
                acc = FloatVector.fromArray(SPECIES, gy, a + k)
                    .fma(FloatVector.fromArray(SPECIES, x, b + k), acc);
              }
              if (n >= lanes && 2 * (n - k) > lanes) {
                // A long remainder: one more vector ending at n, minus the products it counts twice.
                int s = n - lanes;
                acc = FloatVector.fromArray(SPECIES, gy, a + s).fma(FloatVector.fromArray(SPECIES, x, b + s), acc);
                for (int t = s; t < k; t++) {
                  tail -= gy[a + t] * x[b + t];
                }
              } else {
                for (; k < n; k++) {
                  tail += gy[a + k] * x[b + k];
                }
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

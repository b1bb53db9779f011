package org.autoprop.kernel.vector;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.autoprop.kernel.ConvKernels;

/**
 * Vector API {@link ConvKernels}. Each output row is split once into the range of output columns
 * whose taps fall inside the input (no bounds test per element) and the padded rest; at stride 1
 * that range is contiguous in the input and runs as vector FMAs (or {@code System.arraycopy} for
 * im2col), at larger strides as a scalar strided loop.
 */
final class VectorConv implements ConvKernels {
  private static final VectorSpecies<Float> SPECIES = VectorKernelProvider.SPECIES;
  /** Per-thread scratch for the sixteen accumulators of {@link #tile4x4}, summed from memory (see there). */
  private static final ThreadLocal<float[]> TILE_SUMS = ThreadLocal.withInitial(() -> new float[16 * SPECIES.length()]);

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

  @Override
  public void accumulateABt(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc) {
    int m4 = m & ~3;
    int n4 = n & ~3;
    float[] sums = TILE_SUMS.get();
    // B row blocks outside: four rows of B (the columns, the large operand) stay in L1 while
    // every row block of A streams past them.
    for (int j = 0; j < n4; j += 4) {
      for (int i = 0; i < m4; i += 4) {
        tile4x4(k, a, aOff + i * lda, lda, b, bOff + j * ldb, ldb, c, cOff + i * ldc + j, ldc, sums);
      }
      for (int i = m4; i < m; i++) {
        for (int jj = j; jj < j + 4; jj++) {
          c[cOff + i * ldc + jj] += dot(k, a, aOff + i * lda, b, bOff + jj * ldb);
        }
      }
    }
    for (int j = n4; j < n; j++) {
      for (int i = 0; i < m; i++) {
        c[cOff + i * ldc + j] += dot(k, a, aOff + i * lda, b, bOff + j * ldb);
      }
    }
  }

  /** The dot product of a[aOff, aOff + k) and b[bOff, bOff + k). */
  private static float dot(int k, float[] a, int aOff, float[] b, int bOff) {
    FloatVector acc = FloatVector.zero(SPECIES);
    int p = 0;
    for (int bound = SPECIES.loopBound(k); p < bound; p += SPECIES.length()) {
      acc = FloatVector.fromArray(SPECIES, a, aOff + p).fma(FloatVector.fromArray(SPECIES, b, bOff + p), acc);
    }
    float t = 0f;
    for (; p < k; p++) {
      t += a[aOff + p] * b[bOff + p];
    }
    return Lanes.sum(acc) + t;
  }

  /**
   * C[4 x 4] += A[4 x k] B[4 x k]^T with sixteen named vector accumulators (8 loads per 16 FMAs),
   * reduced once at the end: stored to {@code sums} and added there in {@link Lanes}' fixed order
   * (sixteen in-register lane sums made the method too large for C2, which then boxed the vectors).
   */
  private static void tile4x4(int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc, float[] sums) {
    final int L = SPECIES.length();
    int a0Off = aOff + 0 * lda;
    int a1Off = aOff + 1 * lda;
    int a2Off = aOff + 2 * lda;
    int a3Off = aOff + 3 * lda;
    int b0Off = bOff + 0 * ldb;
    int b1Off = bOff + 1 * ldb;
    int b2Off = bOff + 2 * ldb;
    int b3Off = bOff + 3 * ldb;
    FloatVector s00 = FloatVector.zero(SPECIES);
    FloatVector s01 = FloatVector.zero(SPECIES);
    FloatVector s02 = FloatVector.zero(SPECIES);
    FloatVector s03 = FloatVector.zero(SPECIES);
    FloatVector s10 = FloatVector.zero(SPECIES);
    FloatVector s11 = FloatVector.zero(SPECIES);
    FloatVector s12 = FloatVector.zero(SPECIES);
    FloatVector s13 = FloatVector.zero(SPECIES);
    FloatVector s20 = FloatVector.zero(SPECIES);
    FloatVector s21 = FloatVector.zero(SPECIES);
    FloatVector s22 = FloatVector.zero(SPECIES);
    FloatVector s23 = FloatVector.zero(SPECIES);
    FloatVector s30 = FloatVector.zero(SPECIES);
    FloatVector s31 = FloatVector.zero(SPECIES);
    FloatVector s32 = FloatVector.zero(SPECIES);
    FloatVector s33 = FloatVector.zero(SPECIES);
    int p = 0;
    for (int bound = SPECIES.loopBound(k); p < bound; p += SPECIES.length()) {
      FloatVector a0 = FloatVector.fromArray(SPECIES, a, a0Off + p);
      FloatVector a1 = FloatVector.fromArray(SPECIES, a, a1Off + p);
      FloatVector a2 = FloatVector.fromArray(SPECIES, a, a2Off + p);
      FloatVector a3 = FloatVector.fromArray(SPECIES, a, a3Off + p);
      FloatVector b0 = FloatVector.fromArray(SPECIES, b, b0Off + p);
      s00 = a0.fma(b0, s00);
      s10 = a1.fma(b0, s10);
      s20 = a2.fma(b0, s20);
      s30 = a3.fma(b0, s30);
      FloatVector b1 = FloatVector.fromArray(SPECIES, b, b1Off + p);
      s01 = a0.fma(b1, s01);
      s11 = a1.fma(b1, s11);
      s21 = a2.fma(b1, s21);
      s31 = a3.fma(b1, s31);
      FloatVector b2 = FloatVector.fromArray(SPECIES, b, b2Off + p);
      s02 = a0.fma(b2, s02);
      s12 = a1.fma(b2, s12);
      s22 = a2.fma(b2, s22);
      s32 = a3.fma(b2, s32);
      FloatVector b3 = FloatVector.fromArray(SPECIES, b, b3Off + p);
      s03 = a0.fma(b3, s03);
      s13 = a1.fma(b3, s13);
      s23 = a2.fma(b3, s23);
      s33 = a3.fma(b3, s33);
    }
    float t00 = 0f;
    float t01 = 0f;
    float t02 = 0f;
    float t03 = 0f;
    float t10 = 0f;
    float t11 = 0f;
    float t12 = 0f;
    float t13 = 0f;
    float t20 = 0f;
    float t21 = 0f;
    float t22 = 0f;
    float t23 = 0f;
    float t30 = 0f;
    float t31 = 0f;
    float t32 = 0f;
    float t33 = 0f;
    for (; p < k; p++) {
      t00 += a[a0Off + p] * b[b0Off + p];
      t01 += a[a0Off + p] * b[b1Off + p];
      t02 += a[a0Off + p] * b[b2Off + p];
      t03 += a[a0Off + p] * b[b3Off + p];
      t10 += a[a1Off + p] * b[b0Off + p];
      t11 += a[a1Off + p] * b[b1Off + p];
      t12 += a[a1Off + p] * b[b2Off + p];
      t13 += a[a1Off + p] * b[b3Off + p];
      t20 += a[a2Off + p] * b[b0Off + p];
      t21 += a[a2Off + p] * b[b1Off + p];
      t22 += a[a2Off + p] * b[b2Off + p];
      t23 += a[a2Off + p] * b[b3Off + p];
      t30 += a[a3Off + p] * b[b0Off + p];
      t31 += a[a3Off + p] * b[b1Off + p];
      t32 += a[a3Off + p] * b[b2Off + p];
      t33 += a[a3Off + p] * b[b3Off + p];
    }
    s00.intoArray(sums, 0 * L);
    s01.intoArray(sums, 1 * L);
    s02.intoArray(sums, 2 * L);
    s03.intoArray(sums, 3 * L);
    s10.intoArray(sums, 4 * L);
    s11.intoArray(sums, 5 * L);
    s12.intoArray(sums, 6 * L);
    s13.intoArray(sums, 7 * L);
    s20.intoArray(sums, 8 * L);
    s21.intoArray(sums, 9 * L);
    s22.intoArray(sums, 10 * L);
    s23.intoArray(sums, 11 * L);
    s30.intoArray(sums, 12 * L);
    s31.intoArray(sums, 13 * L);
    s32.intoArray(sums, 14 * L);
    s33.intoArray(sums, 15 * L);
    c[cOff + 0 * ldc + 0] += Lanes.sum(sums, 0 * L) + t00;
    c[cOff + 0 * ldc + 1] += Lanes.sum(sums, 1 * L) + t01;
    c[cOff + 0 * ldc + 2] += Lanes.sum(sums, 2 * L) + t02;
    c[cOff + 0 * ldc + 3] += Lanes.sum(sums, 3 * L) + t03;
    c[cOff + 1 * ldc + 0] += Lanes.sum(sums, 4 * L) + t10;
    c[cOff + 1 * ldc + 1] += Lanes.sum(sums, 5 * L) + t11;
    c[cOff + 1 * ldc + 2] += Lanes.sum(sums, 6 * L) + t12;
    c[cOff + 1 * ldc + 3] += Lanes.sum(sums, 7 * L) + t13;
    c[cOff + 2 * ldc + 0] += Lanes.sum(sums, 8 * L) + t20;
    c[cOff + 2 * ldc + 1] += Lanes.sum(sums, 9 * L) + t21;
    c[cOff + 2 * ldc + 2] += Lanes.sum(sums, 10 * L) + t22;
    c[cOff + 2 * ldc + 3] += Lanes.sum(sums, 11 * L) + t23;
    c[cOff + 3 * ldc + 0] += Lanes.sum(sums, 12 * L) + t30;
    c[cOff + 3 * ldc + 1] += Lanes.sum(sums, 13 * L) + t31;
    c[cOff + 3 * ldc + 2] += Lanes.sum(sums, 14 * L) + t32;
    c[cOff + 3 * ldc + 3] += Lanes.sum(sums, 15 * L) + t33;
  }
}

package org.autoprop.kernel;

import java.util.Arrays;

/**
 * Scalar twin of the GEMM: a blocked GEMM whose inner loops C2's auto-vectorizer (SuperWord)
 * turns into SIMD code, so that a JVM without {@code jdk.incubator.vector} still trains at a
 * usable speed.
 *
 * <p>Per block, op(B) is packed into {@code KC} row arrays of {@code NC} floats and op(A) into an
 * {@code MC x KC} array, in thread-local buffers; the packers read plain matrices (either
 * orientation) or the im2col of an image, so {@link ScalarConv}'s implicit GEMMs need no column
 * matrix. Two row segments of C are accumulated in their own arrays: the inner loop
 * {@code acc[j] = fma(a3, b3[j], ... fma(a0, b0[j], acc[j]))}, and the same for {@code acc1} with
 * the next row of A, indexes every array by the bare loop variable. JDK 17's SuperWord vectorizes
 * only when it can prove the accesses of the loop independent, which it cannot for one array read
 * at two different offsets ({@code c[ci + j] += a * b[bi + j]} runs scalar: 4 vs 20 GFLOP/s
 * measured); arrays indexed by {@code j} alone it can. See {@link #pairs} for the register
 * blocking.
 *
 * <p>The arithmetic of an element of C does not depend on how a caller splits C across threads,
 * only on k (blocks of {@code KC}).
 */
final class ScalarGemm implements GemmKernels {
  /** Block of the k dimension: rows of the packed B block (with {@link #NC}, 128 KB, held in L2). */
  static final int KC = 128;

  /** Block of the n dimension: the row length of the packed B block and of the accumulator. */
  static final int NC = 256;

  /** Block of the m dimension: rows of the packed A block. */
  static final int MC = 64;

  /** Packed blocks of one thread. */
  private static final class Scratch {
    final float[] a = new float[MC * KC];
    final float[][] b = new float[KC][NC];
    final float[] acc = new float[NC];
    final float[] acc1 = new float[NC];
    final float[] line = new float[8 * KC];
  }

  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  // Operand sources: a plain row-major matrix, its transpose, the im2col of an image, or the
  // transpose of that im2col (the last two for ScalarConv's implicit GEMMs).
  static final int PLAIN = 0;
  static final int TRANSPOSED = 1;
  static final int IMAGE = 2;
  static final int IMAGE_TRANSPOSED = 3;
  /** The wide column matrix of {@link ScalarConv}'s stride-1 forward: row kk at {@code ScalarConv.wideTap}. */
  static final int WIDE = 4;

  @Override
  public void gemm(boolean transA, boolean transB, int m, int n, int k,
      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc, boolean accumulate) {
    run(m, n, k, transA ? TRANSPOSED : PLAIN, a, aOff, lda, null,
        transB ? TRANSPOSED : PLAIN, b, bOff, ldb, null, c, cOff, ldc, accumulate);
  }

  /** The blocked product of A and B^T, as {@link #gemm}: only the vector kernels have a dot-product form. */
  @Override
  public void accumulateABt(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc) {
    run(m, n, k, PLAIN, a, aOff, lda, null, TRANSPOSED, b, bOff, ldb, null, c, cOff, ldc, true);
  }

  /**
   * C[m x n] := A[m x k] * B[k x n] (+ C when accumulate), each operand read through its source:
   * PLAIN (row-major, row stride ld), TRANSPOSED (stored as the transpose, row stride ld), IMAGE
   * (the im2col of the CHW image at off under g; ld unused), IMAGE_TRANSPOSED (its transpose) or WIDE
   * (the wide column matrix of a padded image, B only).
   */
  static void run(int m, int n, int k, int aSrc, float[] a, int aOff, int lda, ConvKernels.Geometry ag,
      int bSrc, float[] b, int bOff, int ldb, ConvKernels.Geometry bg, float[] c, int cOff, int ldc,
      boolean accumulate) {
    if (m == 0 || n == 0) {
      return;
    }
    if (k == 0) {
      if (!accumulate) {
        for (int i = 0; i < m; i++) {
          Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
        }
      }
      return;
    }
    Scratch s = SCRATCH.get();
    float[] ap = s.a;
    float[][] bp = s.b;
    // Column blocks of equal width (784 = 4 x 196, not 3 x 256 + 16: a narrow block runs slowly).
    int width = (n + (n + NC - 1) / NC - 1) / ((n + NC - 1) / NC);
    for (int j0 = 0; j0 < n; j0 += width) {
      int nc = Math.min(width, n - j0);
      for (int p0 = 0; p0 < k; p0 += KC) {
        int kc = Math.min(KC, k - p0);
        // B block: kc row arrays of nc.
        switch (bSrc) {
          case PLAIN -> {
            for (int r = 0; r < kc; r++) {
              System.arraycopy(b, bOff + (p0 + r) * ldb + j0, bp[r], 0, nc);
            }
          }
          case TRANSPOSED -> {
            for (int j = 0; j < nc; j++) {
              int src = bOff + (j0 + j) * ldb + p0;
              for (int r = 0; r < kc; r++) {
                bp[r][j] = b[src + r];
              }
            }
          }
          case IMAGE -> {
            for (int r = 0; r < kc; r++) {
              ScalarConv.colRow(bg, b, bOff, p0 + r, j0, nc, bp[r], 0);
            }
          }
          case WIDE -> {
            for (int r = 0; r < kc; r++) {
              System.arraycopy(b, bOff + ScalarConv.wideTap(bg, p0 + r) + j0, bp[r], 0, nc);
            }
          }
          default -> {
            // Eight rows of the column matrix at a time, then written as eight consecutive
            // floats of each packed row (one row at a time: 29 -> 31 GFLOP/s for the weight
            // gradient of a 32 x 32 x 3 x 3 conv on 28 x 28).
            float[] line = s.line;
            int j = 0;
            for (; j + 7 < nc; j += 8) {
              for (int t = 0; t < 8; t++) {
                ScalarConv.colRow(bg, b, bOff, j0 + j + t, p0, kc, line, t * KC);
              }
              for (int r = 0; r < kc; r++) {
                float[] row = bp[r];
                row[j] = line[r];
                row[j + 1] = line[KC + r];
                row[j + 2] = line[2 * KC + r];
                row[j + 3] = line[3 * KC + r];
                row[j + 4] = line[4 * KC + r];
                row[j + 5] = line[5 * KC + r];
                row[j + 6] = line[6 * KC + r];
                row[j + 7] = line[7 * KC + r];
              }
            }
            for (; j < nc; j++) {
              ScalarConv.colRow(bg, b, bOff, j0 + j, p0, kc, line, 0);
              for (int r = 0; r < kc; r++) {
                bp[r][j] = line[r];
              }
            }
          }
        }
        for (int i0 = 0; i0 < m; i0 += MC) {
          int mc = Math.min(MC, m - i0);
          // A block: mc rows of kc, row r at r * kc.
          switch (aSrc) {
            case PLAIN -> {
              for (int r = 0; r < mc; r++) {
                System.arraycopy(a, aOff + (i0 + r) * lda + p0, ap, r * kc, kc);
              }
            }
            case TRANSPOSED -> {
              for (int p = 0; p < kc; p++) {
                int src = aOff + (p0 + p) * lda + i0;
                for (int r = 0; r < mc; r++) {
                  ap[r * kc + p] = a[src + r];
                }
              }
            }
            default -> {
              for (int r = 0; r < mc; r++) {
                ScalarConv.colRow(ag, a, aOff, i0 + r, p0, kc, ap, r * kc);
              }
            }
          }
          block(mc, nc, kc, ap, bp, s.acc, s.acc1, c, cOff + i0 * ldc + j0, ldc, p0 == 0 && !accumulate);
        }
      }
    }
  }

  /**
   * C[mc x nc] at cOff += A block [mc x kc] * B block [kc x nc], both packed. When fresh, C is
   * overwritten instead (the first k block of a product that does not accumulate).
   *
   * <p>Every element of C is the chain {@code fma(a[p], b[p][j], ...)} over p in order, whichever
   * of {@link #pairs} and {@link #rest} computes it: the results do not depend on the row pairing.
   */
  private static void block(int mc, int nc, int kc, float[] ap, float[][] bp, float[] acc, float[] acc1, float[] c,
      int cOff, int ldc, boolean fresh) {
    if (fresh) {
      for (int i = 0; i < mc; i++) {
        Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + nc, 0f);
      }
    }
    int mp = mc & ~1;
    int kc4 = kc & ~3;
    pairs(mp, nc, kc, kc4, ap, bp, acc, acc1, c, cOff, ldc);
    if (mp < mc || kc4 < kc) {
      rest(mc, mp, nc, kc, kc4, ap, bp, acc, c, cOff, ldc);
    }
  }

  /**
   * Rows [0, mp) of C (mp even) += their A rows times B, over p in [0, kc4) (kc4 a multiple of 4):
   * the micro-kernel. Two rows of C per pass share each load of B, and Math.fma halves the
   * arithmetic: 50 vs 36 GFLOP/s for a 64 x 196 x 128 block (JDK 17 and 25, AVX-512, CPU time).
   * The shape is fragile: with separate multiply and add, three or four rows of C, six rows of B,
   * or any further loop or branch in this method (a k remainder, an odd row, a zeroing pass), C2's
   * SuperWord leaves the loop scalar on JDK 17 (11-14 GFLOP/s); those live in {@link #block} and
   * {@link #rest}.
   */
  private static void pairs(int mp, int nc, int kc, int kc4, float[] ap, float[][] bp, float[] acc, float[] acc1,
      float[] c, int cOff, int ldc) {
    for (int i = 0; i < mp; i += 2) {
      int ci = cOff + i * ldc;
      int ai = i * kc;
      int ei = ai + kc;
      System.arraycopy(c, ci, acc, 0, nc);
      System.arraycopy(c, ci + ldc, acc1, 0, nc);
      for (int p = 0; p < kc4; p += 4) {
        float a0 = ap[ai + p];
        float a1 = ap[ai + p + 1];
        float a2 = ap[ai + p + 2];
        float a3 = ap[ai + p + 3];
        float e0 = ap[ei + p];
        float e1 = ap[ei + p + 1];
        float e2 = ap[ei + p + 2];
        float e3 = ap[ei + p + 3];
        float[] b0 = bp[p];
        float[] b1 = bp[p + 1];
        float[] b2 = bp[p + 2];
        float[] b3 = bp[p + 3];
        for (int j = 0; j < nc; j++) {
          float x0 = b0[j];
          float x1 = b1[j];
          float x2 = b2[j];
          float x3 = b3[j];
          acc[j] = Math.fma(a3, x3, Math.fma(a2, x2, Math.fma(a1, x1, Math.fma(a0, x0, acc[j]))));
          acc1[j] = Math.fma(e3, x3, Math.fma(e2, x2, Math.fma(e1, x1, Math.fma(e0, x0, acc1[j]))));
        }
      }
      System.arraycopy(acc, 0, c, ci, nc);
      System.arraycopy(acc1, 0, c, ci + ldc, nc);
    }
  }

  /**
   * What {@link #pairs} leaves: the k remainder [kc4, kc) of rows [0, mp) and all of kc for the
   * odd last row, one product per pass (the same fma chain, so the same bits).
   */
  private static void rest(int mc, int mp, int nc, int kc, int kc4, float[] ap, float[][] bp, float[] acc,
      float[] c, int cOff, int ldc) {
    for (int i = 0; i < mc; i++) {
      int p0 = i < mp ? kc4 : 0;
      if (p0 == kc) {
        continue;
      }
      int ci = cOff + i * ldc;
      int ai = i * kc;
      System.arraycopy(c, ci, acc, 0, nc);
      for (int p = p0; p < kc; p++) {
        float a0 = ap[ai + p];
        float[] b0 = bp[p];
        for (int j = 0; j < nc; j++) {
          acc[j] = Math.fma(a0, b0[j], acc[j]);
        }
      }
      System.arraycopy(acc, 0, c, ci, nc);
    }
  }
}

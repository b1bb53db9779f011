package org.autoprop.kernel.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.autoprop.kernel.GemmKernels;

/**
 * Vector API GEMM, packed and register-blocked (the BLIS/GotoBLAS loop nest).
 *
 * <p>{@code C[m x n] := op(A) op(B) (+ C)}. Loops, outermost first: N in blocks of {@link #NC},
 * K in blocks of {@link #KC} (pack that block of op(B) into k-major panels {@link #NR} wide,
 * zero-padded), M in blocks of {@link #MC} (pack that block of op(A) into k-major panels
 * {@link #MR} tall, zero-padded), then {@link #MR} x {@link #NR} micro-tiles. The micro-kernel
 * broadcasts one element of A per row and FMAs it along two vectors of B into twelve named
 * accumulators; thanks to the padding its inner loop has neither mask nor tail. Transposes are
 * absorbed by the packing routines, never materialised. Edge tiles are computed in full into a
 * scratch tile and only their valid part is written back.
 *
 * <p>{@link #accumulateABt} is a separate kernel: 4 x 4 tiles of dot products along k, reading
 * both operands unpacked.
 *
 * <p>Packing buffers belong to the calling thread (a {@link ThreadLocal}), grow to the blocking
 * sizes once and are reused: no allocation per call in steady state.
 */
final class VectorGemm implements GemmKernels {
  private static final VectorSpecies<Float> S = VectorKernelProvider.SPECIES;
  private static final int L = S.length();

  /** Rows of the micro-tile: 6 x 2 vectors = 12 accumulators + 2 B vectors + 1 broadcast. */
  static final int MR = 6;
  /** Columns of the micro-tile: two vectors. */
  static final int NR = 2 * L;
  /**
   * Largest K block. Zen 5, GEMM-1024, 1 thread (best of 300 calls, noisy shared machine): KC 256
   * 222, 512 231, 1024 245 GFLOP/s; 768 (which splits 1024 into 768 + 256) 221. A 1024-deep B
   * micro-panel (128 KiB) and A block (384 KiB) both stay in the 1 MiB L2. K is split into
   * equal blocks no larger than this.
   */
  static final int KC = 1024;
  /** Largest M block, a multiple of {@link #MR}: 48 241, 96 245, 192 237 GFLOP/s (KC 1024). */
  static final int MC = 96;
  /** Largest N block, a multiple of {@link #NR}: bounds the packed B (KC x NC floats, 8 MiB). */
  static final int NC = 2048 / NR * NR;

  /**
   * Widest C for which the micro-kernel reads a row-major A in place instead of packing it. Packing
   * copies M x K floats once against M x N x K / 32 cycles of FMAs (two 16-lane FMAs a cycle), so it
   * costs about 32 / N of the multiply with a copy of a cycle per float: a quarter at N = 128, where
   * the layers of a transformer (D = 96..512) live. In place, the six rows are six sequential streams;
   * the results are bit for bit the packed ones (the same FMAs in the same order).
   */
  static final int DIRECT_A_MAX_N = 512;

  /** Per-thread packing buffers, grown on demand up to the blocking sizes. */
  private static final class Workspace {
    float[] packA = new float[0];
    float[] packB = new float[0];
    final float[] tile = new float[MR * NR];
  }

  private static final ThreadLocal<Workspace> WORKSPACE = ThreadLocal.withInitial(Workspace::new);
  /** Per-thread scratch for the sixteen accumulators of {@link #tile4x4}, summed from memory (see there). */
  private static final ThreadLocal<float[]> TILE_SUMS = ThreadLocal.withInitial(() -> new float[16 * L]);

  @Override
  public void gemm(boolean transA, boolean transB, int m, int n, int k,
      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc, boolean accumulate) {
    if (m == 0 || n == 0) {
      return;
    }
    if (k == 0) {
      if (!accumulate) {
        for (int i = 0; i < m; i++) {
          java.util.Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
        }
      }
      return;
    }
    // Equal blocks no larger than the maxima, so that no block is a sliver (1025 = 513 + 512).
    int kb = blockSize(k, KC, 1);
    int mb = blockSize(m, MC, MR);
    int nb = blockSize(n, NC, NR);
    Workspace ws = WORKSPACE.get();
    if (ws.packB.length < kb * roundUp(nb, NR)) {
      ws.packB = new float[Math.min(k, KC) * Math.min(roundUp(n, NR), NC)];
    }
    if (ws.packA.length < kb * roundUp(mb, MR)) {
      ws.packA = new float[Math.min(k, KC) * Math.min(roundUp(m, MR), MC)];
    }
    float[] pa = ws.packA;
    float[] pb = ws.packB;
    boolean direct = !transA && n <= DIRECT_A_MAX_N;
    for (int jc = 0; jc < n; jc += nb) {
      int nc = Math.min(nb, n - jc);
      for (int pc = 0; pc < k; pc += kb) {
        int kc = Math.min(kb, k - pc);
        packB(transB, b, bOff, ldb, pc, jc, kc, nc, pb);
        boolean overwrite = pc == 0 && !accumulate;
        for (int ic = 0; ic < m; ic += mb) {
          int mc = Math.min(mb, m - ic);
          if (direct) {
            int full = mc / MR * MR;
            if (full < mc) { // the last, partial strip: packed, zero-padded to MR rows
              packA(false, a, aOff, lda, ic + full, pc, mc - full, kc, pa);
            }
            macroKernelDirect(a, aOff + ic * lda + pc, lda, full, pa, pb, mc, nc, kc, c, cOff + ic * ldc + jc, ldc,
                overwrite, ws.tile);
          } else {
            packA(transA, a, aOff, lda, ic, pc, mc, kc, pa);
            macroKernel(pa, 0, pb, mc, nc, kc, c, cOff + ic * ldc + jc, ldc, overwrite, ws.tile);
          }
        }
      }
    }
  }

  /** Unpacked ({@link VectorSmallGemm}) unless {@link VectorSmallGemm#packed} says otherwise. */
  @Override
  public void smallGemm(boolean transA, boolean transB, int m, int n, int k, float[] a, int aOff, int lda,
      float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
    if (VectorSmallGemm.packed(transB, m, n)) {
      gemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, false);
    } else {
      VectorSmallGemm.gemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
    }
  }

  @Override
  public int microTileRows() {
    return MR;
  }

  @Override
  public int microTileCols() {
    return NR;
  }

  /** The size of ceil(total / max) equal blocks, rounded up to a multiple of unit. */
  private static int blockSize(int total, int max, int unit) {
    int blocks = (total + max - 1) / max;
    return roundUp((total + blocks - 1) / blocks, unit);
  }

  private static int roundUp(int x, int to) {
    return (x + to - 1) / to * to;
  }

  /** Packs op(B)[pc..pc+kc)[jc..jc+nc) into NR-wide k-major panels, zero-padding the last. */
  private static void packB(boolean transB, float[] b, int bOff, int ldb, int pc, int jc, int kc, int nc,
      float[] pb) {
    for (int j0 = 0; j0 < nc; j0 += NR) {
      int cols = Math.min(NR, nc - j0);
      int base = j0 * kc;
      if (!transB) {
        int src = bOff + pc * ldb + jc + j0;
        if (cols == NR) {
          for (int p = 0; p < kc; p++, src += ldb) {
            int dst = base + p * NR;
            FloatVector.fromArray(S, b, src).intoArray(pb, dst);
            FloatVector.fromArray(S, b, src + L).intoArray(pb, dst + L);
          }
        } else {
          for (int p = 0; p < kc; p++, src += ldb) {
            int dst = base + p * NR;
            int j = 0;
            for (; j < cols; j++) {
              pb[dst + j] = b[src + j];
            }
            for (; j < NR; j++) {
              pb[dst + j] = 0f;
            }
          }
        }
      } else {
        // op(B)[p][j] = B[j][p]: each stored row j is contiguous in p.
        for (int j = 0; j < cols; j++) {
          int src = bOff + (jc + j0 + j) * ldb + pc;
          for (int p = 0; p < kc; p++) {
            pb[base + p * NR + j] = b[src + p];
          }
        }
        for (int j = cols; j < NR; j++) {
          for (int p = 0; p < kc; p++) {
            pb[base + p * NR + j] = 0f;
          }
        }
      }
    }
  }

  /** Packs op(A)[ic..ic+mc)[pc..pc+kc) into MR-tall k-major panels, zero-padding the last. */
  private static void packA(boolean transA, float[] a, int aOff, int lda, int ic, int pc, int mc, int kc,
      float[] pa) {
    if (transA) {
      packTransposedA(a, aOff, lda, ic, pc, mc, kc, pa);
      return;
    }
    for (int i0 = 0; i0 < mc; i0 += MR) {
      int rows = Math.min(MR, mc - i0);
      int base = i0 * kc;
      for (int r = 0; r < rows; r++) {
        int src = aOff + (ic + i0 + r) * lda + pc;
        for (int p = 0; p < kc; p++) {
          pa[base + p * MR + r] = a[src + p];
        }
      }
      for (int r = rows; r < MR; r++) {
        for (int p = 0; p < kc; p++) {
          pa[base + p * MR + r] = 0f;
        }
      }
    }
  }

  /**
   * op(A)[i][p] = A[p][i]: stored row p holds column p of every MR-row strip. Rows outside, so that
   * each stored row is read once, front to back; strips outside would read MR floats from each of kc
   * rows per strip, a cache line each, and did (ATTN-128 weight gradients: packing took 70% of the
   * multiply's time).
   */
  private static void packTransposedA(float[] a, int aOff, int lda, int ic, int pc, int mc, int kc,
      float[] pa) {
    int full = mc / MR * MR;
    int rows = mc - full;
    for (int p = 0; p < kc; p++) {
      int src = aOff + (pc + p) * lda + ic;
      int dst = p * MR;
      for (int i0 = 0; i0 < full; i0 += MR, dst += MR * kc) {
        int s = src + i0;
        pa[dst] = a[s];
        pa[dst + 1] = a[s + 1];
        pa[dst + 2] = a[s + 2];
        pa[dst + 3] = a[s + 3];
        pa[dst + 4] = a[s + 4];
        pa[dst + 5] = a[s + 5];
      }
      if (rows > 0) {
        int s = src + full;
        int r = 0;
        for (; r < rows; r++) {
          pa[dst + r] = a[s + r];
        }
        for (; r < MR; r++) {
          pa[dst + r] = 0f;
        }
      }
    }
  }

  /**
   * All micro-tiles of one packed block. The B micro-panel is the outer loop, so it is reused
   * across every A micro-panel of the block (measured 245 vs 205 GFLOP/s the other way round).
   */
  private static void macroKernel(float[] pa, int paOff, float[] pb, int mc, int nc, int kc,
      float[] c, int cBase, int ldc, boolean overwrite, float[] tile) {
    for (int j0 = 0; j0 < nc; j0 += NR) {
      int cols = Math.min(NR, nc - j0);
      for (int i0 = 0; i0 < mc; i0 += MR) {
        int rows = Math.min(MR, mc - i0);
        int cIdx = cBase + i0 * ldc + j0;
        if (overwrite && rows == MR && cols == NR) {
          micro(pa, paOff + i0 * kc, pb, j0 * kc, kc, c, cIdx, ldc);
        } else {
          // Accumulating or edge tile: the micro-kernel writes a scratch tile, added or copied to
          // C here, so that the micro-kernel keeps one plain store path: a load-add-store path
          // inlined there too takes C2 past its inlining node limit, the vectors are boxed and
          // accumulating GEMMs run at 86 instead of 234 GFLOP/s (1024, JDK 17).
          micro(pa, paOff + i0 * kc, pb, j0 * kc, kc, tile, 0, NR);
          storeTile(tile, c, cIdx, ldc, rows, cols, overwrite);
        }
      }
    }
  }

  /**
   * {@link #macroKernel} with A read in place: rows {@code [0, direct)} of the block from
   * {@code a[aBase + i * lda + p]}, the rest (under MR rows) from the packed strip {@code pa}. A
   * method of its own, so that each macro-kernel inlines one micro-kernel (see there).
   */
  private static void macroKernelDirect(float[] a, int aBase, int lda, int direct, float[] pa, float[] pb, int mc,
      int nc, int kc, float[] c, int cBase, int ldc, boolean overwrite, float[] tile) {
    for (int j0 = 0; j0 < nc; j0 += NR) {
      int cols = Math.min(NR, nc - j0);
      for (int i0 = 0; i0 < mc; i0 += MR) {
        int rows = Math.min(MR, mc - i0);
        int cIdx = cBase + i0 * ldc + j0;
        if (i0 >= direct) {
          micro(pa, 0, pb, j0 * kc, kc, tile, 0, NR);
          storeTile(tile, c, cIdx, ldc, rows, cols, overwrite);
        } else if (overwrite && cols == NR) {
          microDirect(a, aBase + i0 * lda, lda, pb, j0 * kc, kc, c, cIdx, ldc);
        } else {
          microDirect(a, aBase + i0 * lda, lda, pb, j0 * kc, kc, tile, 0, NR);
          storeTile(tile, c, cIdx, ldc, rows, cols, overwrite);
        }
      }
    }
  }

  /** C[rows x cols tile] := tile (overwrite) or += tile. */
  private static void storeTile(float[] tile, float[] c, int cIdx, int ldc, int rows, int cols, boolean overwrite) {
    if (rows == MR && cols == NR && !overwrite) {
      addTile(tile, c, cIdx, ldc);
      return;
    }
    for (int r = 0; r < rows; r++) {
      int row = cIdx + r * ldc;
      int e = r * NR;
      if (overwrite) {
        System.arraycopy(tile, e, c, row, cols);
      } else {
        for (int j = 0; j < cols; j++) {
          c[row + j] += tile[e + j];
        }
      }
    }
  }

  /** C[full tile] += tile. */
  private static void addTile(float[] tile, float[] c, int cIdx, int ldc) {
    for (int r = 0; r < MR; r++) {
      int row = cIdx + r * ldc;
      for (int j = 0; j < NR; j += L) {
        FloatVector.fromArray(S, tile, r * NR + j).add(FloatVector.fromArray(S, c, row + j)).intoArray(c, row + j);
      }
    }
  }

  /**
   * One MR x NR tile: out[tile] := Apanel * Bpanel over kc steps. The loop body is 2 vector
   * loads, 6 broadcasts and 12 FMAs, with no mask and no tail.
   */
  private static void micro(float[] pa, int aBase, float[] pb, int bBase, int kc,
      float[] out, int outIdx, int ldo) {
    FloatVector c00 = FloatVector.zero(S);
    FloatVector c01 = FloatVector.zero(S);
    FloatVector c10 = FloatVector.zero(S);
    FloatVector c11 = FloatVector.zero(S);
    FloatVector c20 = FloatVector.zero(S);
    FloatVector c21 = FloatVector.zero(S);
    FloatVector c30 = FloatVector.zero(S);
    FloatVector c31 = FloatVector.zero(S);
    FloatVector c40 = FloatVector.zero(S);
    FloatVector c41 = FloatVector.zero(S);
    FloatVector c50 = FloatVector.zero(S);
    FloatVector c51 = FloatVector.zero(S);
    int ai = aBase;
    int bi = bBase;
    for (int p = 0; p < kc; p++, ai += 6, bi += NR) {
      FloatVector b0 = FloatVector.fromArray(S, pb, bi);
      FloatVector b1 = FloatVector.fromArray(S, pb, bi + L);
      FloatVector av = FloatVector.broadcast(S, pa[ai]);
      c00 = av.fma(b0, c00);
      c01 = av.fma(b1, c01);
      av = FloatVector.broadcast(S, pa[ai + 1]);
      c10 = av.fma(b0, c10);
      c11 = av.fma(b1, c11);
      av = FloatVector.broadcast(S, pa[ai + 2]);
      c20 = av.fma(b0, c20);
      c21 = av.fma(b1, c21);
      av = FloatVector.broadcast(S, pa[ai + 3]);
      c30 = av.fma(b0, c30);
      c31 = av.fma(b1, c31);
      av = FloatVector.broadcast(S, pa[ai + 4]);
      c40 = av.fma(b0, c40);
      c41 = av.fma(b1, c41);
      av = FloatVector.broadcast(S, pa[ai + 5]);
      c50 = av.fma(b0, c50);
      c51 = av.fma(b1, c51);
    }
    c00.intoArray(out, outIdx);
    c01.intoArray(out, outIdx + L);
    c10.intoArray(out, outIdx + ldo);
    c11.intoArray(out, outIdx + ldo + L);
    c20.intoArray(out, outIdx + 2 * ldo);
    c21.intoArray(out, outIdx + 2 * ldo + L);
    c30.intoArray(out, outIdx + 3 * ldo);
    c31.intoArray(out, outIdx + 3 * ldo + L);
    c40.intoArray(out, outIdx + 4 * ldo);
    c41.intoArray(out, outIdx + 4 * ldo + L);
    c50.intoArray(out, outIdx + 5 * ldo);
    c51.intoArray(out, outIdx + 5 * ldo + L);
  }

  /** {@link #micro} reading six rows of a row-major A in place: a[row0 + r * lda + p]. */
  private static void microDirect(float[] a, int row0, int lda, float[] pb, int bBase, int kc,
      float[] out, int outIdx, int ldo) {
    FloatVector c00 = FloatVector.zero(S);
    FloatVector c01 = FloatVector.zero(S);
    FloatVector c10 = FloatVector.zero(S);
    FloatVector c11 = FloatVector.zero(S);
    FloatVector c20 = FloatVector.zero(S);
    FloatVector c21 = FloatVector.zero(S);
    FloatVector c30 = FloatVector.zero(S);
    FloatVector c31 = FloatVector.zero(S);
    FloatVector c40 = FloatVector.zero(S);
    FloatVector c41 = FloatVector.zero(S);
    FloatVector c50 = FloatVector.zero(S);
    FloatVector c51 = FloatVector.zero(S);
    int a0 = row0;
    int a1 = a0 + lda;
    int a2 = a1 + lda;
    int a3 = a2 + lda;
    int a4 = a3 + lda;
    int a5 = a4 + lda;
    int bi = bBase;
    for (int p = 0; p < kc; p++, bi += NR) {
      FloatVector b0 = FloatVector.fromArray(S, pb, bi);
      FloatVector b1 = FloatVector.fromArray(S, pb, bi + L);
      FloatVector av = FloatVector.broadcast(S, a[a0 + p]);
      c00 = av.fma(b0, c00);
      c01 = av.fma(b1, c01);
      av = FloatVector.broadcast(S, a[a1 + p]);
      c10 = av.fma(b0, c10);
      c11 = av.fma(b1, c11);
      av = FloatVector.broadcast(S, a[a2 + p]);
      c20 = av.fma(b0, c20);
      c21 = av.fma(b1, c21);
      av = FloatVector.broadcast(S, a[a3 + p]);
      c30 = av.fma(b0, c30);
      c31 = av.fma(b1, c31);
      av = FloatVector.broadcast(S, a[a4 + p]);
      c40 = av.fma(b0, c40);
      c41 = av.fma(b1, c41);
      av = FloatVector.broadcast(S, a[a5 + p]);
      c50 = av.fma(b0, c50);
      c51 = av.fma(b1, c51);
    }
    c00.intoArray(out, outIdx);
    c01.intoArray(out, outIdx + L);
    c10.intoArray(out, outIdx + ldo);
    c11.intoArray(out, outIdx + ldo + L);
    c20.intoArray(out, outIdx + 2 * ldo);
    c21.intoArray(out, outIdx + 2 * ldo + L);
    c30.intoArray(out, outIdx + 3 * ldo);
    c31.intoArray(out, outIdx + 3 * ldo + L);
    c40.intoArray(out, outIdx + 4 * ldo);
    c41.intoArray(out, outIdx + 4 * ldo + L);
    c50.intoArray(out, outIdx + 5 * ldo);
    c51.intoArray(out, outIdx + 5 * ldo + L);
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
    FloatVector acc = FloatVector.zero(S);
    int p = 0;
    for (int bound = S.loopBound(k); p < bound; p += S.length()) {
      acc = FloatVector.fromArray(S, a, aOff + p).fma(FloatVector.fromArray(S, b, bOff + p), acc);
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
    int a0Off = aOff + 0 * lda;
    int a1Off = aOff + 1 * lda;
    int a2Off = aOff + 2 * lda;
    int a3Off = aOff + 3 * lda;
    int b0Off = bOff + 0 * ldb;
    int b1Off = bOff + 1 * ldb;
    int b2Off = bOff + 2 * ldb;
    int b3Off = bOff + 3 * ldb;
    FloatVector s00 = FloatVector.zero(S);
    FloatVector s01 = FloatVector.zero(S);
    FloatVector s02 = FloatVector.zero(S);
    FloatVector s03 = FloatVector.zero(S);
    FloatVector s10 = FloatVector.zero(S);
    FloatVector s11 = FloatVector.zero(S);
    FloatVector s12 = FloatVector.zero(S);
    FloatVector s13 = FloatVector.zero(S);
    FloatVector s20 = FloatVector.zero(S);
    FloatVector s21 = FloatVector.zero(S);
    FloatVector s22 = FloatVector.zero(S);
    FloatVector s23 = FloatVector.zero(S);
    FloatVector s30 = FloatVector.zero(S);
    FloatVector s31 = FloatVector.zero(S);
    FloatVector s32 = FloatVector.zero(S);
    FloatVector s33 = FloatVector.zero(S);
    int p = 0;
    for (int bound = S.loopBound(k); p < bound; p += S.length()) {
      FloatVector a0 = FloatVector.fromArray(S, a, a0Off + p);
      FloatVector a1 = FloatVector.fromArray(S, a, a1Off + p);
      FloatVector a2 = FloatVector.fromArray(S, a, a2Off + p);
      FloatVector a3 = FloatVector.fromArray(S, a, a3Off + p);
      FloatVector b0 = FloatVector.fromArray(S, b, b0Off + p);
      s00 = a0.fma(b0, s00);
      s10 = a1.fma(b0, s10);
      s20 = a2.fma(b0, s20);
      s30 = a3.fma(b0, s30);
      FloatVector b1 = FloatVector.fromArray(S, b, b1Off + p);
      s01 = a0.fma(b1, s01);
      s11 = a1.fma(b1, s11);
      s21 = a2.fma(b1, s21);
      s31 = a3.fma(b1, s31);
      FloatVector b2 = FloatVector.fromArray(S, b, b2Off + p);
      s02 = a0.fma(b2, s02);
      s12 = a1.fma(b2, s12);
      s22 = a2.fma(b2, s22);
      s32 = a3.fma(b2, s32);
      FloatVector b3 = FloatVector.fromArray(S, b, b3Off + p);
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

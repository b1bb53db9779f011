package org.autoprop.kernel.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.autoprop.kernel.ConvKernels.Geometry;
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

  /** Per-thread packing buffers, grown on demand up to the blocking sizes. */
  private static final class Workspace {
    float[] packA = new float[0];
    float[] packB = new float[0];
    float[] padded = new float[0];
    final float[] tile = new float[MR * NR];
  }

  private static final ThreadLocal<Workspace> WORKSPACE = ThreadLocal.withInitial(Workspace::new);

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
    for (int jc = 0; jc < n; jc += nb) {
      int nc = Math.min(nb, n - jc);
      for (int pc = 0; pc < k; pc += kb) {
        int kc = Math.min(kb, k - pc);
        packB(transB, b, bOff, ldb, pc, jc, kc, nc, pb);
        boolean overwrite = pc == 0 && !accumulate;
        for (int ic = 0; ic < m; ic += mb) {
          int mc = Math.min(mb, m - ic);
          packA(transA, a, aOff, lda, ic, pc, mc, kc, pa);
          macroKernel(pa, 0, pb, mc, nc, kc, c, cOff + ic * ldc + jc, ldc, overwrite, ws.tile);
        }
      }
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

  /**
   * Floats of packed columns per N block of a convolution: with the packed weights, the block
   * stays in L2 while every row block of A passes over it.
   */
  static final int CONV_B_BLOCK = 64 * 1024;
  static final boolean WIDE = Boolean.parseBoolean(System.getProperty("autoprop.wide", "true"));

  @Override
  public void convGemm(int m, Geometry g, float[] a, int aOff, int lda, float[] x, int xOff,
      float[] c, int cOff, int ldc, boolean accumulate) {
    int k = g.colRows();
    int n = g.colCols();
    if (m == 0) {
      return;
    }
    if (WIDE) {
      WideConv.forward(m, g, a, aOff, lda, null, 0, x, xOff, 0, c, cOff, 0, ldc, 1, accumulate);
      return;
    }
    Workspace ws = WORKSPACE.get();
    int wp = g.inW() + 2 * g.padW();
    int plane = (g.inH() + 2 * g.padH()) * wp;
    float[] xp = x;
    int xpOff = xOff;
    if (g.padH() != 0 || g.padW() != 0) {
      xp = pad(ws, g, x, xOff);
      xpOff = 0;
    }
    int kb = blockSize(k, KC, 1);
    int mp = roundUp(m, MR);
    int nb = Math.min(roundUp(n, NR), Math.max(NR, CONV_B_BLOCK / kb / NR * NR));
    if (ws.packA.length < kb * mp) {
      ws.packA = new float[kb * mp];
    }
    if (ws.packB.length < kb * nb) {
      ws.packB = new float[kb * nb];
    }
    float[] pa = ws.packA;
    float[] pb = ws.packB;
    for (int pc = 0; pc < k; pc += kb) {
      int kc = Math.min(kb, k - pc);
      // All of A (the weights, small) once per K block; the columns block by block.
      packA(false, a, aOff, lda, 0, pc, m, kc, pa);
      boolean overwrite = pc == 0 && !accumulate;
      for (int jc = 0; jc < n; jc += nb) {
        int nc = Math.min(nb, n - jc);
        packColumns(g, xp, xpOff, wp, plane, pc, jc, kc, nc, pb);
        for (int ic = 0; ic < m; ic += MC) {
          int mc = Math.min(MC, m - ic);
          macroKernel(pa, ic * kc, pb, mc, nc, kc, c, cOff + ic * ldc + jc, ldc, overwrite, ws.tile);
        }
      }
    }
  }

  @Override
  public void convGemmImages(int m, Geometry g, float[] a, int aOff, int lda, float[] bias, int biasOff,
      float[] x, int xOff, int xStride, float[] c, int cOff, int cStride, int ldc, int count) {
    if (m == 0 || count == 0) {
      return;
    }
    WideConv.forward(m, g, a, aOff, lda, bias, biasOff, x, xOff, xStride, c, cOff, cStride, ldc, count, false);
  }

  @Override
  public void convGemmWeightGrad(int n, Geometry g, float[] x, int xOff, float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc) {
    int m = g.colRows();
    int k = g.colCols();
    if (n == 0) {
      return;
    }
    if (WIDE) {
      WideConv.weightGrad(n, g, x, xOff, b, bOff, ldb, c, cOff, ldc);
      return;
    }
    Workspace ws = WORKSPACE.get();
    int wp = g.inW() + 2 * g.padW();
    int plane = (g.inH() + 2 * g.padH()) * wp;
    float[] xp = x;
    int xpOff = xOff;
    if (g.padH() != 0 || g.padW() != 0) {
      xp = pad(ws, g, x, xOff);
      xpOff = 0;
    }
    int kb = blockSize(k, KC, 1);
    int nb = blockSize(n, NC, NR);
    if (ws.packB.length < kb * roundUp(nb, NR)) {
      ws.packB = new float[kb * roundUp(nb, NR)];
    }
    float[] pb = ws.packB;
    float[] tile = ws.tile;
    int khw = g.kernelH() * g.kernelW();
    int kw = g.kernelW();
    int tapRow = g.dilationH() * wp;
    int tapCol = g.dilationW();
    int outW = g.outW();
    int rowStep = g.strideH() * wp;
    for (int jc = 0; jc < n; jc += nb) {
      int nc = Math.min(nb, n - jc);
      for (int pc = 0; pc < k; pc += kb) {
        int kc = Math.min(kb, k - pc);
        packB(true, b, bOff, ldb, pc, jc, kc, nc, pb);
        int pixel0 = xpOff + pc / outW * rowStep;
        for (int j0 = 0; j0 < nc; j0 += NR) {
          int cols = Math.min(NR, nc - j0);
          for (int i0 = 0; i0 < m; i0 += MR) {
            int rows = Math.min(MR, m - i0);
            // The A operand is read from the image where it lies: row r of the tile is column
            // row i0 + r, i.e. the padded image shifted by that row's tap. Rows past m repeat
            // the last one and are dropped when the tile is added.
            int t0 = tap(i0, m, khw, kw, plane, tapRow, tapCol) + pixel0;
            int t1 = tap(i0 + 1, m, khw, kw, plane, tapRow, tapCol) + pixel0;
            int t2 = tap(i0 + 2, m, khw, kw, plane, tapRow, tapCol) + pixel0;
            int t3 = tap(i0 + 3, m, khw, kw, plane, tapRow, tapCol) + pixel0;
            int t4 = tap(i0 + 4, m, khw, kw, plane, tapRow, tapCol) + pixel0;
            int t5 = tap(i0 + 5, m, khw, kw, plane, tapRow, tapCol) + pixel0;
            microImage(xp, t0, t1, t2, t3, t4, t5, pc % outW, outW, g.strideW(), rowStep, kc, pb, j0 * kc, tile);
            int cIdx = cOff + i0 * ldc + jc + j0;
            if (rows == MR && cols == NR) {
              addTile(tile, c, cIdx, ldc);
            } else {
              for (int r = 0; r < rows; r++) {
                int row = cIdx + r * ldc;
                int e = r * NR;
                for (int j = 0; j < cols; j++) {
                  c[row + j] += tile[e + j];
                }
              }
            }
          }
        }
      }
    }
  }

  /** Offset in the padded image of column row min(kk, m-1): its channel plane plus its tap shift. */
  private static int tap(int kk, int m, int khw, int kw, int plane, int tapRow, int tapCol) {
    int r = Math.min(kk, m - 1);
    return r / khw * plane + r % khw / kw * tapRow + r % kw * tapCol;
  }

  /**
   * tile[MR x NR] := A * Bpanel over kc output pixels, where A[r][p] = xp[t_r + offset of pixel p]:
   * pixels run along output rows (starting at column ox0), {@code sw} apart within a row and
   * {@code rowStep} from row to row. The inner loop is the packed micro-kernel's with the six
   * broadcasts read from the image instead of a packed A panel.
   */
  private static void microImage(float[] xp, int t0, int t1, int t2, int t3, int t4, int t5,
      int ox0, int outW, int sw, int rowStep, int kc, float[] pb, int bBase, float[] out) {
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
    int bi = bBase;
    int row = 0; // offset of the current output row's first pixel, relative to the taps
    int ox = ox0;
    int a = ox0 * sw;
    for (int p = 0; p < kc; p++, bi += NR) {
      FloatVector b0 = FloatVector.fromArray(S, pb, bi);
      FloatVector b1 = FloatVector.fromArray(S, pb, bi + L);
      FloatVector av = FloatVector.broadcast(S, xp[t0 + a]);
      c00 = av.fma(b0, c00);
      c01 = av.fma(b1, c01);
      av = FloatVector.broadcast(S, xp[t1 + a]);
      c10 = av.fma(b0, c10);
      c11 = av.fma(b1, c11);
      av = FloatVector.broadcast(S, xp[t2 + a]);
      c20 = av.fma(b0, c20);
      c21 = av.fma(b1, c21);
      av = FloatVector.broadcast(S, xp[t3 + a]);
      c30 = av.fma(b0, c30);
      c31 = av.fma(b1, c31);
      av = FloatVector.broadcast(S, xp[t4 + a]);
      c40 = av.fma(b0, c40);
      c41 = av.fma(b1, c41);
      av = FloatVector.broadcast(S, xp[t5 + a]);
      c50 = av.fma(b0, c50);
      c51 = av.fma(b1, c51);
      a += sw;
      if (++ox == outW) {
        ox = 0;
        row += rowStep;
        a = row;
      }
    }
    c00.intoArray(out, 0);
    c01.intoArray(out, L);
    c10.intoArray(out, NR);
    c11.intoArray(out, NR + L);
    c20.intoArray(out, 2 * NR);
    c21.intoArray(out, 2 * NR + L);
    c30.intoArray(out, 3 * NR);
    c31.intoArray(out, 3 * NR + L);
    c40.intoArray(out, 4 * NR);
    c41.intoArray(out, 4 * NR + L);
    c50.intoArray(out, 5 * NR);
    c51.intoArray(out, 5 * NR + L);
  }

  /**
   * Copies the image into the workspace with its zero padding made explicit, so that every tap
   * of every output pixel is an unconditional read: [channels, inH + 2 padH, inW + 2 padW].
   */
  private static float[] pad(Workspace ws, Geometry g, float[] x, int xOff) {
    int h = g.inH();
    int w = g.inW();
    int ph = g.padH();
    int pw = g.padW();
    int wp = w + 2 * pw;
    int hp = h + 2 * ph;
    int size = g.channels() * hp * wp;
    if (ws.padded.length < size) {
      ws.padded = new float[size];
    }
    float[] xp = ws.padded;
    int d = 0;
    for (int ch = 0; ch < g.channels(); ch++) {
      java.util.Arrays.fill(xp, d, d + ph * wp, 0f);
      d += ph * wp;
      int src = xOff + ch * h * w;
      for (int y = 0; y < h; y++, src += w, d += wp) {
        java.util.Arrays.fill(xp, d, d + pw, 0f);
        System.arraycopy(x, src, xp, d + pw, w);
        java.util.Arrays.fill(xp, d + pw + w, d + wp, 0f);
      }
      java.util.Arrays.fill(xp, d, d + ph * wp, 0f);
      d += ph * wp;
    }
    return xp;
  }

  /**
   * Packs columns rows [pc, pc+kc) x output pixels [jc, jc+nc) of the padded image into NR-wide
   * k-major panels, zero-padding the last: what packB would make of the materialised im2col.
   */
  private static void packColumns(Geometry g, float[] xp, int xpOff, int wp, int plane, int pc, int jc,
      int kc, int nc, float[] pb) {
    final int kh = g.kernelH();
    final int kw = g.kernelW();
    final int sh = g.strideH();
    final int sw = g.strideW();
    final int dh = g.dilationH();
    final int dw = g.dilationW();
    final int outW = g.outW();
    final int khw = kh * kw;
    for (int j0 = 0; j0 < nc; j0 += NR) {
      int cols = Math.min(NR, nc - j0);
      int base = j0 * kc;
      int n0 = jc + j0;
      int oy0 = n0 / outW;
      int ox0 = n0 % outW;
      // A full panel inside one output row at stride 1 is one contiguous run of the padded image.
      boolean run = sw == 1 && cols == NR && ox0 + NR <= outW;
      int pixel0 = xpOff + oy0 * sh * wp + ox0 * sw;
      int ch = pc / khw;
      int ky = pc % khw / kw;
      int kx = pc % kw;
      for (int p = 0; p < kc; p++) {
        int dst = base + p * NR;
        int tap = ch * plane + ky * dh * wp + kx * dw;
        if (run) {
          int src = pixel0 + tap;
          FloatVector.fromArray(S, xp, src).intoArray(pb, dst);
          FloatVector.fromArray(S, xp, src + L).intoArray(pb, dst + L);
        } else {
          int oy = oy0;
          int ox = ox0;
          int j = 0;
          while (j < cols) {
            int seg = Math.min(cols - j, outW - ox);
            int src = xpOff + tap + oy * sh * wp + ox * sw;
            if (sw == 1) {
              for (int t = 0; t < seg; t++) {
                pb[dst + j + t] = xp[src + t];
              }
            } else {
              for (int t = 0; t < seg; t++) {
                pb[dst + j + t] = xp[src + t * sw];
              }
            }
            j += seg;
            ox = 0;
            oy++;
          }
          for (; j < NR; j++) {
            pb[dst + j] = 0f;
          }
        }
        if (++kx == kw) {
          kx = 0;
          if (++ky == kh) {
            ky = 0;
            ch++;
          }
        }
      }
    }
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
    for (int i0 = 0; i0 < mc; i0 += MR) {
      int rows = Math.min(MR, mc - i0);
      int base = i0 * kc;
      if (!transA) {
        for (int r = 0; r < rows; r++) {
          int src = aOff + (ic + i0 + r) * lda + pc;
          for (int p = 0; p < kc; p++) {
            pa[base + p * MR + r] = a[src + p];
          }
        }
      } else {
        // op(A)[i][p] = A[p][i]: each stored row p holds the MR values of one packed step.
        for (int p = 0; p < kc; p++) {
          int src = aOff + (pc + p) * lda + ic + i0;
          int dst = base + p * MR;
          for (int r = 0; r < rows; r++) {
            pa[dst + r] = a[src + r];
          }
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
          // C here. Keeping one plain store path in the micro-kernel matters: with a
          // load-add-store path inlined there too, C2 hit its inlining node limit, the vectors
          // were boxed, and accumulating GEMMs ran at 86 instead of 234 GFLOP/s (1024, JDK 17).
          micro(pa, paOff + i0 * kc, pb, j0 * kc, kc, tile, 0, NR);
          if (rows == MR && cols == NR) {
            addTile(tile, c, cIdx, ldc);
          } else {
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
}

package org.autoprop.kernel.vector;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;
import org.autoprop.kernel.KernelProvider;
import org.autoprop.kernel.PoolKernels;

/**
 * Vector API {@link PoolKernels}.
 *
 * <p>With a horizontal stride of 1 the windows of neighbouring outputs are neighbouring input
 * columns, so each kernel tap becomes a contiguous row operation over the output columns it is
 * valid for (every lane sees the taps in the scalar order, so results match bit for bit). Other
 * strides would need gathers, which are slower than the scalar loops on current CPUs; they use the
 * scalar twin, as do the scatter of max-pool backward and adaptive windows other than global.
 *
 * <p>Max pooling 2x2 with stride 2 and no padding, the common case, needs no rearrange: loads at
 * column offsets 0 and 1 of both input rows hold each window's four taps in one even lane, and the
 * even lanes are copied out. Other windows with a horizontal stride of 2 (3x3 stride 2 pad 1, average
 * pooling), where rearranges are cheap (JDK 25), take each tap as the even or odd lanes of two
 * consecutive input vectors, de-interleaved with a two-vector rearrange; all taps of a window stay
 * in registers and each lane sees them in the scalar order (bit-exact, same first-max rule). Backward of non-overlapping 2-wide windows duplicates each output lane into two input
 * lanes, so it writes the input gradient in one pass without clearing it first. These paths use at
 * most 256-bit vectors: 8 lanes let 28-wide inputs (14 outputs) vectorize, which 16 lanes cannot.
 */
final class VectorPool implements PoolKernels {
  private static final VectorSpecies<Float> S = VectorKernelProvider.SPECIES;
  private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, S.vectorShape());
  private static final int L = S.length();
  private static final PoolKernels SCALAR = KernelProvider.scalar().pool();

  /**
   * One-pass max backward only where it beats the scatter: on JDK 17 its int rearranges and mask
   * casts make 2x2/2 backward 10-30% slower, on JDK 25 15-30% faster, and only for rows of at least
   * {@code PL} windows: shorter ones all go through its scalar tail, whose selects on the argmax
   * are mispredicted branches (JDK 25, [128, 64, 14, 14]: 4.0 ms, scatter 0.35).
   */
  private static final boolean EXPAND_MAX = Runtime.version().feature() >= 25;

  /**
   * Whether the stride-2 paths (rearranges, blends, mask casts) are used. JDK 17 does not
   * intrinsify them: every vector is boxed on the heap (66 MB per training step of a 2x2 max pool
   * over [128, 32, 28, 28]), so there scalar code runs instead: allocation-free but slower. 2x2/2
   * max pooling does without them ({@link #max2x2}) on every JDK.
   */
  private static final boolean SHUFFLES = Runtime.version().feature() >= 25;

  /** Species of the stride-2 paths: at most 256 bits, so that 14 output columns still fit. */
  private static final VectorSpecies<Float> P = S.vectorBitSize() > 256 ? FloatVector.SPECIES_256 : S;
  private static final VectorSpecies<Integer> PI = VectorSpecies.of(int.class, P.vectorShape());
  private static final int PL = P.length();
  /** Even lanes of the pair (a, b): out-of-range indices select from b. */
  private static final VectorShuffle<Float> EVEN = VectorShuffle.fromOp(P, i -> 2 * i % PL);
  private static final VectorMask<Float> HIGH = VectorMask.fromLong(P, -1L << (PL / 2));
  /** Each lane of the low (high) half twice: [0, 0, 1, 1, ...]. */
  private static final VectorShuffle<Float> DUP_LO = VectorShuffle.fromOp(P, i -> i / 2);
  private static final VectorShuffle<Float> DUP_HI = VectorShuffle.fromOp(P, i -> PL / 2 + i / 2);
  private static final VectorShuffle<Integer> IDUP_LO = VectorShuffle.fromOp(PI, i -> i / 2);
  private static final VectorShuffle<Integer> IDUP_HI = VectorShuffle.fromOp(PI, i -> PL / 2 + i / 2);

  /**
   * Whether {@link #maxForward} runs the scalar twin: a horizontal stride other than 1 with no
   * stride-2 path (not 2x2/2, and stride 2 only where rearranges are cheap).
   */
  static boolean scalarMaxForward(Window win) {
    return win.sw() != 1 && !(win.kh() == 2 && disjointPairs(win)) && !(win.sw() == 2 && SHUFFLES);
  }

  /** Whether {@link #maxBackward} runs the scalar twin (the scatter): all but the one-pass expansion. */
  static boolean scalarMaxBackward(Window win) {
    return !(EXPAND_MAX && disjointPairs(win) && win.ow() >= PL);
  }

  /** Whether {@link #avgForward} runs the scalar twin: a horizontal stride other than 1 with no stride-2 path. */
  static boolean scalarAvgForward(Window win) {
    return win.sw() != 1 && !(win.sw() == 2 && SHUFFLES);
  }

  /**
   * Whether {@link #avgBackward} runs the scalar twin: a horizontal stride other than 1, except
   * the one-pass expansion.
   */
  static boolean scalarAvgBackward(Window win) {
    return win.sw() != 1 && !(SHUFFLES && disjointPairs(win));
  }

  /** Whether the adaptive kernels run the scalar twin: every output but 1 x 1. */
  static boolean scalarAdaptive(int oh, int ow) {
    return oh != 1 || ow != 1;
  }

  @Override
  public void maxForward(float[] x, int xOff, int p0, int p1, Window win, float[] y, int yOff, int[] argmax, int aOff) {
    if (scalarMaxForward(win)) {
      SCALAR.maxForward(x, xOff, p0, p1, win, y, yOff, argmax, aOff);
      return;
    }
    if (win.kh() == 2 && disjointPairs(win)) {
      max2x2(x, xOff, p0, p1, win, y, yOff, argmax, aOff);
      return;
    }
    if (win.sw() == 2 && SHUFFLES) {
      maxStride2(x, xOff, p0, p1, win, y, yOff, argmax, aOff);
      return;
    }
    int h = win.h();
    int w = win.w();
    int ow = win.ow();
    IntVector iota = IntVector.zero(I).addIndex(1);
    for (int p = p0; p < p1; p++) {
      int in = xOff + p * win.inPlane();
      for (int oy = 0; oy < win.oh(); oy++) {
        int y0 = oy * win.sh() - win.ph();
        int ya = Math.max(y0, 0);
        int yb = Math.min(y0 + win.kh(), h);
        // y and argmax rows are the running maximum and its index.
        int out = p * win.outPlane() + oy * ow;
        Arrays.fill(y, yOff + out, yOff + out + ow, Float.NEGATIVE_INFINITY);
        for (int ox = 0; ox < ow; ox++) {
          argmax[aOff + out + ox] = ya * w + Math.max(ox - win.pw(), 0);
        }
        for (int iy = ya; iy < yb; iy++) {
          for (int kx = 0; kx < win.kw(); kx++) {
            int shift = kx - win.pw(); // input column = ox + shift
            int oxa = Math.max(0, -shift);
            int oxb = Math.min(ow, w - shift);
            int row = iy * w + shift;
            int ox = oxa;
            for (int bound = oxa + S.loopBound(Math.max(oxb - oxa, 0)); ox < bound; ox += L) {
              FloatVector v = FloatVector.fromArray(S, x, in + row + ox);
              FloatVector best = FloatVector.fromArray(S, y, yOff + out + ox);
              VectorMask<Float> take = v.compare(VectorOperators.GT, best).or(v.test(VectorOperators.IS_NAN));
              best.blend(v, take).intoArray(y, yOff + out + ox);
              IntVector arg = IntVector.fromArray(I, argmax, aOff + out + ox);
              arg.blend(iota.add(row + ox), take.cast(I)).intoArray(argmax, aOff + out + ox);
            }
            for (; ox < oxb; ox++) {
              float v = x[in + row + ox];
              if (v > y[yOff + out + ox] || Float.isNaN(v)) {
                y[yOff + out + ox] = v;
                argmax[aOff + out + ox] = row + ox;
              }
            }
          }
        }
      }
    }
  }

  @Override
  public void maxBackward(float[] gy, int gyOff, int[] argmax, int aOff, int p0, int p1, Window win, float[] gx, int gxOff) {
    if (scalarMaxBackward(win)) {
      SCALAR.maxBackward(gy, gyOff, argmax, aOff, p0, p1, win, gx, gxOff);
      return;
    }
    expandBackward(true, gy, gyOff, argmax, aOff, p0, p1, win, gx, gxOff);
  }

  @Override
  public void avgForward(float[] x, int xOff, int p0, int p1, Window win, float[] y, int yOff) {
    if (scalarAvgForward(win)) {
      SCALAR.avgForward(x, xOff, p0, p1, win, y, yOff);
      return;
    }
    if (win.sw() == 2 && SHUFFLES) {
      avgStride2(x, xOff, p0, p1, win, y, yOff);
      return;
    }
    int h = win.h();
    int w = win.w();
    int ow = win.ow();
    float inv = 1f / (win.kh() * win.kw());
    for (int p = p0; p < p1; p++) {
      int in = xOff + p * win.inPlane();
      for (int oy = 0; oy < win.oh(); oy++) {
        int y0 = oy * win.sh() - win.ph();
        int ya = Math.max(y0, 0);
        int yb = Math.min(y0 + win.kh(), h);
        int out = yOff + p * win.outPlane() + oy * ow;
        Arrays.fill(y, out, out + ow, 0f);
        for (int iy = ya; iy < yb; iy++) {
          for (int kx = 0; kx < win.kw(); kx++) {
            int shift = kx - win.pw();
            int oxa = Math.max(0, -shift);
            int oxb = Math.min(ow, w - shift);
            int src = in + iy * w + shift;
            int ox = oxa;
            for (int bound = oxa + S.loopBound(Math.max(oxb - oxa, 0)); ox < bound; ox += L) {
              FloatVector.fromArray(S, y, out + ox).add(FloatVector.fromArray(S, x, src + ox)).intoArray(y, out + ox);
            }
            for (; ox < oxb; ox++) {
              y[out + ox] += x[src + ox];
            }
          }
        }
        int ox = 0;
        for (int bound = S.loopBound(ow); ox < bound; ox += L) {
          FloatVector.fromArray(S, y, out + ox).mul(inv).intoArray(y, out + ox);
        }
        for (; ox < ow; ox++) {
          y[out + ox] *= inv;
        }
      }
    }
  }

  @Override
  public void avgBackward(float[] gy, int gyOff, int p0, int p1, Window win, float[] gx, int gxOff) {
    if (scalarAvgBackward(win)) {
      SCALAR.avgBackward(gy, gyOff, p0, p1, win, gx, gxOff);
      return;
    }
    if (SHUFFLES && disjointPairs(win)) {
      expandBackward(false, gy, gyOff, null, 0, p0, p1, win, gx, gxOff);
      return;
    }
    int h = win.h();
    int w = win.w();
    int ow = win.ow();
    float inv = 1f / (win.kh() * win.kw());
    Arrays.fill(gx, gxOff + p0 * win.inPlane(), gxOff + p1 * win.inPlane(), 0f);
    for (int p = p0; p < p1; p++) {
      int in = gxOff + p * win.inPlane();
      for (int oy = 0; oy < win.oh(); oy++) {
        int y0 = oy * win.sh() - win.ph();
        int ya = Math.max(y0, 0);
        int yb = Math.min(y0 + win.kh(), h);
        int out = gyOff + p * win.outPlane() + oy * ow;
        for (int iy = ya; iy < yb; iy++) {
          for (int kx = 0; kx < win.kw(); kx++) {
            int shift = kx - win.pw();
            int oxa = Math.max(0, -shift);
            int oxb = Math.min(ow, w - shift);
            int dst = in + iy * w + shift;
            int ox = oxa;
            for (int bound = oxa + S.loopBound(Math.max(oxb - oxa, 0)); ox < bound; ox += L) {
              FloatVector.fromArray(S, gy, out + ox).mul(inv)
                  .add(FloatVector.fromArray(S, gx, dst + ox)).intoArray(gx, dst + ox);
            }
            for (; ox < oxb; ox++) {
              gx[dst + ox] += gy[out + ox] * inv;
            }
          }
        }
      }
    }
  }

  @Override
  public void adaptiveAvgForward(float[] x, int xOff, int p0, int p1, int h, int w, int oh, int ow, float[] y, int yOff) {
    if (scalarAdaptive(oh, ow)) {
      SCALAR.adaptiveAvgForward(x, xOff, p0, p1, h, w, oh, ow, y, yOff);
      return;
    }
    int n = h * w;
    for (int p = p0; p < p1; p++) {
      y[yOff + p] = (float) (planeSum(x, xOff + p * n, n) / n);
    }
  }

  /** The sum of {@code x[in, in + n)}; a small method of its own so that the JIT inlines the vector ops (else they box). */
  private static double planeSum(float[] x, int in, int n) {
    FloatVector acc = FloatVector.zero(S);
    int i = 0;
    for (int bound = S.loopBound(n); i < bound; i += L) {
      acc = acc.add(FloatVector.fromArray(S, x, in + i));
    }
    double s = Lanes.sum(acc);
    for (; i < n; i++) {
      s += x[in + i];
    }
    return s;
  }

  @Override
  public void adaptiveAvgBackward(float[] gy, int gyOff, int p0, int p1, int h, int w, int oh, int ow, float[] gx, int gxOff) {
    if (scalarAdaptive(oh, ow)) {
      SCALAR.adaptiveAvgBackward(gy, gyOff, p0, p1, h, w, oh, ow, gx, gxOff);
      return;
    }
    // A fill: the JIT's fill stub is vectorized and, unlike a broadcast, can never box.
    int n = h * w;
    for (int p = p0; p < p1; p++) {
      int in = gxOff + p * n;
      Arrays.fill(gx, in, in + n, gy[gyOff + p] / n);
    }
  }

  /**
   * The first output column whose taps all load whole vector pairs inside the row (a tap at input
   * column c loads [c, c + 2 PL) and keeps the even lanes), or -1 when no
   * vector fits; {@link #vectorLast} is the last such start.
   */
  private static int vectorFirst(Window win) {
    int first = (win.pw() + 1) / 2; // the first tap's column 2 ox - pw >= 0
    return first <= vectorLast(win) ? first : -1;
  }

  private static int vectorLast(Window win) {
    int lastShift = win.kw() - 1 - win.pw();
    int byRow = Math.floorDiv(win.w() - 2 * PL - Math.max(lastShift, 0), 2);
    return Math.min(byRow, win.ow() - PL);
  }

  /** Horizontal stride 2: taps de-interleaved from vector pairs, windows kept in registers. */
  private static void maxStride2(float[] x, int xOff, int p0, int p1, Window win, float[] y, int yOff, int[] argmax, int aOff) {
    int w = win.w();
    int ow = win.ow();
    int kw = win.kw();
    int pw = win.pw();
    int first = vectorFirst(win);
    int last = vectorLast(win);
    IntVector iota2 = IntVector.zero(PI).addIndex(2);
    FloatVector minusInf = FloatVector.broadcast(P, Float.NEGATIVE_INFINITY);
    for (int p = p0; p < p1; p++) {
      int in = xOff + p * win.inPlane();
      for (int oy = 0; oy < win.oh(); oy++) {
        int y0 = oy * win.sh() - win.ph();
        int ya = Math.max(y0, 0);
        int yb = Math.min(y0 + win.kh(), win.h());
        int out = p * win.outPlane() + oy * ow;
        int ox = 0;
        if (first >= 0) {
          for (; ox < first; ox++) {
            maxOne(x, in, win, oy, ox, y, yOff + out + ox, argmax, aOff + out + ox);
          }
          // The last vector may overlap the previous one: rewriting a column is harmless.
          for (; ox < last + PL; ox = Math.min(ox + PL, last)) {
            FloatVector best = minusInf;
            IntVector arg = IntVector.broadcast(PI, ya * w + 2 * ox - pw).add(iota2);
            for (int iy = ya; iy < yb; iy++) {
              for (int kx = 0; kx < kw; kx++) {
                int shift = kx - pw;
                int col = iy * w + 2 * ox + shift;
                FloatVector a = FloatVector.fromArray(P, x, in + col);
                FloatVector b = FloatVector.fromArray(P, x, in + col + PL);
                FloatVector v = a.rearrange(EVEN).blend(b.rearrange(EVEN), HIGH);
                VectorMask<Float> take = v.compare(VectorOperators.GT, best).or(v.compare(VectorOperators.NE, v));
                best = best.blend(v, take);
                arg = arg.blend(iota2.add(col), take.cast(PI));
              }
            }
            best.intoArray(y, yOff + out + ox);
            arg.intoArray(argmax, aOff + out + ox);
            if (ox == last) {
              ox += PL;
              break;
            }
          }
        }
        for (; ox < ow; ox++) {
          maxOne(x, in, win, oy, ox, y, yOff + out + ox, argmax, aOff + out + ox);
        }
      }
    }
  }

  /** Per-thread spill of one vector of maxima and one of tap offsets (pool chunks run on several threads). */
  private static final ThreadLocal<float[]> SPILL = ThreadLocal.withInitial(() -> new float[2 * L]);

  /**
   * 2x2 windows with stride 2 and no padding, on every JDK: row pairs through
   * {@link #max2x2Vectors} where at least half its lanes are windows and its loads stay inside
   * {@code x}, the rest through {@link #max2x2Scalar}. A path of its own because the general ones
   * are slow on the commonest pool: the scalar loop's float selects are branches that random data
   * mispredicts half the time, and {@link #maxStride2} leaves rows of fewer than PL windows scalar.
   * One thread, random input, [128, 32, 28, 28] and [128, 64, 14, 14]: 1.5 and 0.9 ms against
   * 14.1 and 7.2 for the scalar loop (JDK 17), 1.2 and 0.9 ms against 2.0 and 7.7 for maxStride2
   * (JDK 25).
   */
  private static void max2x2(float[] x, int xOff, int p0, int p1, Window win, float[] y, int yOff, int[] argmax, int aOff) {
    int w = win.w();
    int oh = win.oh();
    int ow = win.ow();
    float[] spill = 4 * ow >= L ? SPILL.get() : null;
    // The loads of a row pair at x[at] reach column max(2 ow, L) of the lower row: past the row end
    // (into dropped lanes), which is harmless anywhere inside x.
    int reach = w + Math.max(2 * ow, L);
    for (int p = p0; p < p1; p++) {
      int in = xOff + p * win.inPlane();
      for (int oy = 0; oy < oh; oy++) {
        int out = p * win.outPlane() + oy * ow;
        int row = 2 * oy * w;
        int done = spill != null && in + row + reach < x.length
            ? max2x2Vectors(x, in + row, row, w, ow, y, yOff + out, argmax, aOff + out, spill) : 0;
        max2x2Scalar(x, in + row, row, w, done, ow, y, yOff + out, argmax, aOff + out);
      }
    }
  }

  /**
   * All {@code ow} windows of the row pair at {@code x[at]} (at offset {@code row} in its plane),
   * outputs to {@code y[yAt + ox]}, {@code argmax[aAt + ox]}; returns {@code ow}. Loads at columns j
   * and j + 1 of both rows put the four taps of window (j + k) / 2 in lane k for every even k; they
   * are compared lane-wise in the scalar order (first max, NaN taken), the winning tap's offset (0,
   * 1, w, w + 1) rides along as int bits in blends of loop-invariant float vectors, and the even
   * lanes are copied out of the spill.
   *
   * <p>JDK 17 boxes vectors wherever C2 cannot pin an op to one vector class, hence: no rearrange
   * or mask cast; no {@code add(scalar)} (it dispatches inside the Vector API on a type profile that
   * other kernels share); and the preferred species {@link #S} like every other JDK 17 kernel: a
   * second species (256 bits on AVX-512) in {@code intoArray} made that shared profile bimorphic,
   * and GEMM boxed its stores (19 GB per FMNIST-NET step). Its own method, so that C2 compiles it
   * as one unit.
   */
  private static int max2x2Vectors(float[] x, int at, int row, int w, int ow, float[] y, int yAt, int[] argmax, int aAt,
      float[] spill) {
    FloatVector right = FloatVector.broadcast(S, Float.intBitsToFloat(1));
    FloatVector below = FloatVector.broadcast(S, Float.intBitsToFloat(w));
    FloatVector diagonal = FloatVector.broadcast(S, Float.intBitsToFloat(w + 1));
    FloatVector first = FloatVector.zero(S);
    // The last vector may overlap the previous one (rewriting a window is harmless) or, in rows of
    // fewer than L / 2 windows, reach past the row (those lanes are not copied).
    int last = Math.max(2 * ow - L, 0);
    for (int j = 0; ; j = Math.min(j + L, last)) {
      int i = at + j;
      FloatVector best = FloatVector.fromArray(S, x, i);
      FloatVector v = FloatVector.fromArray(S, x, i + 1);
      VectorMask<Float> take = v.compare(VectorOperators.GT, best).or(v.compare(VectorOperators.NE, v));
      best = best.blend(v, take);
      FloatVector tap = first.blend(right, take);
      v = FloatVector.fromArray(S, x, i + w);
      take = v.compare(VectorOperators.GT, best).or(v.compare(VectorOperators.NE, v));
      best = best.blend(v, take);
      tap = tap.blend(below, take);
      v = FloatVector.fromArray(S, x, i + w + 1);
      take = v.compare(VectorOperators.GT, best).or(v.compare(VectorOperators.NE, v));
      best = best.blend(v, take);
      tap = tap.blend(diagonal, take);
      best.intoArray(spill, 0);
      tap.intoArray(spill, L);
      int yo = yAt + j / 2;
      int ao = aAt + j / 2;
      int base = row + j;
      if (j / 2 + L / 2 <= ow) {
        // The same copy with a constant trip count, which C2 unrolls (a quarter faster at 28 wide).
        for (int m = 0; m < L / 2; m++) {
          y[yo + m] = spill[2 * m];
          argmax[ao + m] = base + 2 * m + Float.floatToRawIntBits(spill[L + 2 * m]);
        }
      } else {
        for (int m = 0; m < ow - j / 2; m++) {
          y[yo + m] = spill[2 * m];
          argmax[ao + m] = base + 2 * m + Float.floatToRawIntBits(spill[L + 2 * m]);
        }
      }
      if (j == last) {
        return ow;
      }
    }
  }

  /**
   * Windows [ox0, ow) of the row pair at {@code x[at]}, as {@link #max2x2Vectors}, without branches
   * on the data: only the winning tap's offset is selected (int selects compile to conditional
   * moves, float selects to branches that random data mispredicts half the time) and the current
   * maximum is reloaded from it: 4.7x faster than float selects on random data (JDK 17,
   * [128, 32, 28, 28], alone); here it only takes what the vectors leave.
   */
  private static void max2x2Scalar(float[] x, int at, int row, int w, int ox0, int ow, float[] y, int yAt, int[] argmax,
      int aAt) {
    for (int ox = ox0; ox < ow; ox++) {
      int i = at + 2 * ox;
      float b = x[i + 1];
      float c = x[i + w];
      float d = x[i + w + 1];
      int k = b > x[i] | b != b ? 1 : 0;
      k = c > x[i + k] | c != c ? w : k;
      k = d > x[i + k] | d != d ? w + 1 : k;
      y[yAt + ox] = x[i + k];
      argmax[aAt + ox] = row + 2 * ox + k;
    }
  }

  /** One max-pool output, exactly as the scalar twin. */
  private static void maxOne(float[] x, int in, Window win, int oy, int ox, float[] y, int yAt, int[] argmax, int aAt) {
    int w = win.w();
    int y0 = oy * win.sh() - win.ph();
    int ya = Math.max(y0, 0);
    int yb = Math.min(y0 + win.kh(), win.h());
    int x0 = ox * win.sw() - win.pw();
    int xa = Math.max(x0, 0);
    int xb = Math.min(x0 + win.kw(), w);
    int best = ya * w + xa;
    float bestV = Float.NEGATIVE_INFINITY;
    for (int iy = ya; iy < yb; iy++) {
      for (int ix = xa; ix < xb; ix++) {
        float v = x[in + iy * w + ix];
        if (v > bestV || Float.isNaN(v)) {
          bestV = v;
          best = iy * w + ix;
        }
      }
    }
    y[yAt] = bestV;
    argmax[aAt] = best;
  }

  /** Average pooling with horizontal stride 2, as {@link #maxStride2} (sums in the scalar order). */
  private static void avgStride2(float[] x, int xOff, int p0, int p1, Window win, float[] y, int yOff) {
    int w = win.w();
    int ow = win.ow();
    int kw = win.kw();
    int pw = win.pw();
    int first = vectorFirst(win);
    int last = vectorLast(win);
    float inv = 1f / (win.kh() * win.kw());
    for (int p = p0; p < p1; p++) {
      int in = xOff + p * win.inPlane();
      for (int oy = 0; oy < win.oh(); oy++) {
        int y0 = oy * win.sh() - win.ph();
        int ya = Math.max(y0, 0);
        int yb = Math.min(y0 + win.kh(), win.h());
        int out = yOff + p * win.outPlane() + oy * ow;
        int ox = 0;
        if (first >= 0) {
          for (; ox < first; ox++) {
            y[out + ox] = avgOne(x, in, win, oy, ox) * inv;
          }
          for (; ox < last + PL; ox = Math.min(ox + PL, last)) {
            FloatVector s = FloatVector.zero(P);
            for (int iy = ya; iy < yb; iy++) {
              for (int kx = 0; kx < kw; kx++) {
                int shift = kx - pw;
                int start = in + iy * w + 2 * ox + shift;
                FloatVector a = FloatVector.fromArray(P, x, start);
                FloatVector b = FloatVector.fromArray(P, x, start + PL);
                s = s.add(a.rearrange(EVEN).blend(b.rearrange(EVEN), HIGH));
              }
            }
            s.mul(inv).intoArray(y, out + ox);
            if (ox == last) {
              ox += PL;
              break;
            }
          }
        }
        for (; ox < ow; ox++) {
          y[out + ox] = avgOne(x, in, win, oy, ox) * inv;
        }
      }
    }
  }

  /** The window sum of one average-pool output, in the scalar order. */
  private static float avgOne(float[] x, int in, Window win, int oy, int ox) {
    int w = win.w();
    int y0 = oy * win.sh() - win.ph();
    int ya = Math.max(y0, 0);
    int yb = Math.min(y0 + win.kh(), win.h());
    int x0 = ox * win.sw() - win.pw();
    int xa = Math.max(x0, 0);
    int xb = Math.min(x0 + win.kw(), w);
    float s = 0;
    for (int iy = ya; iy < yb; iy++) {
      for (int ix = xa; ix < xb; ix++) {
        s += x[in + iy * w + ix];
      }
    }
    return s;
  }

  /** Windows 2 wide with stride 2, kh = sh, no padding: every input element in at most one window. */
  private static boolean disjointPairs(Window win) {
    // Every window inside the input: ceil mode (Pool1D, Pool3D) may add a last window that hangs
    // past the end, which these paths would read as the next row's or plane's taps.
    return win.kw() == 2 && win.sw() == 2 && win.pw() == 0 && win.kh() == win.sh() && win.ph() == 0
        && 2 * win.ow() <= win.w() && win.oh() * win.sh() <= win.h();
  }

  /**
   * Backward of {@link #disjointPairs} windows in one pass: each input element receives its
   * window's gradient (max: only where it is the argmax; avg: times 1 / (kh kw)) or zero. Adding
   * +0 first turns -0 into +0, as the scalar 0 + g does.
   */
  private static void expandBackward(boolean max, float[] gy, int gyOff, int[] argmax, int aOff, int p0, int p1, Window win, float[] gx, int gxOff) {
    int w = win.w();
    int h = win.h();
    int ow = win.ow();
    int kh = win.kh();
    int covered = win.oh() * kh;
    float scale = max ? 1f : 1f / (kh * 2);
    int last = ow - PL;
    IntVector iota = IntVector.zero(PI).addIndex(1);
    FloatVector zero = FloatVector.zero(P);
    for (int p = p0; p < p1; p++) {
      int in = gxOff + p * win.inPlane();
      int out = p * win.outPlane();
      for (int oy = 0; oy < win.oh(); oy++) {
        int o = out + oy * ow;
        int ox = 0;
        if (last >= 0) {
          for (; ox < last + PL; ox = Math.min(ox + PL, last)) {
            FloatVector g = FloatVector.fromArray(P, gy, gyOff + o + ox).mul(scale).add(0f);
            FloatVector gLo = g.rearrange(DUP_LO);
            FloatVector gHi = g.rearrange(DUP_HI);
            if (max) {
              IntVector a = IntVector.fromArray(PI, argmax, aOff + o + ox);
              IntVector aLo = a.rearrange(IDUP_LO);
              IntVector aHi = a.rearrange(IDUP_HI);
              for (int r = 0; r < kh; r++) {
                int col = (oy * kh + r) * w + 2 * ox;
                IntVector idx = iota.add(col);
                zero.blend(gLo, aLo.compare(VectorOperators.EQ, idx).cast(P)).intoArray(gx, in + col);
                zero.blend(gHi, aHi.compare(VectorOperators.EQ, idx.add(PL)).cast(P)).intoArray(gx, in + col + PL);
              }
            } else {
              for (int r = 0; r < kh; r++) {
                int col = (oy * kh + r) * w + 2 * ox;
                gLo.intoArray(gx, in + col);
                gHi.intoArray(gx, in + col + PL);
              }
            }
            if (ox == last) {
              ox += PL;
              break;
            }
          }
        }
        for (; ox < ow; ox++) {
          float g = gy[gyOff + o + ox] * scale;
          for (int r = 0; r < kh; r++) {
            int col = (oy * kh + r) * w + 2 * ox;
            gx[in + col] = !max || argmax[aOff + o + ox] == col ? 0f + g : 0f;
            gx[in + col + 1] = !max || argmax[aOff + o + ox] == col + 1 ? 0f + g : 0f;
          }
        }
        if (2 * ow < w) { // odd width: the last column is in no window
          for (int r = 0; r < kh; r++) {
            gx[in + (oy * kh + r) * w + w - 1] = 0f;
          }
        }
      }
      Arrays.fill(gx, in + covered * w, in + h * w, 0f);
    }
  }
}

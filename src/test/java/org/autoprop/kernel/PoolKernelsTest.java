package org.autoprop.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.autoprop.kernel.PoolKernels.Window;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The vector pool kernels against their scalar twins, on awkward widths, strides and paddings. */
class PoolKernelsTest {
  static final PoolKernels SCALAR = KernelProvider.scalar().pool();
  static final PoolKernels VECTOR = KernelProvider.vector().pool();

  /** h, w, kernel, stride, padding (widths hit every tail of the stride-1 vector path). */
  static Stream<Arguments> windows() {
    int[][] cases = {
      {1, 1, 1, 1, 0}, {5, 7, 3, 1, 1}, {4, 15, 2, 1, 1}, {3, 16, 3, 1, 0}, {6, 17, 2, 1, 0},
      {2, 31, 3, 1, 1}, {3, 33, 2, 2, 1}, {4, 100, 3, 1, 1}, {2, 1021, 3, 1, 1}, {7, 7, 3, 2, 1},
      {6, 6, 2, 2, 0}, {9, 40, 5, 1, 2}, {5, 19, 4, 3, 2}, {1, 64, 1, 1, 0},
    };
    return Stream.of(cases).map(c -> Arguments.of(c[0], c[1], c[2], c[3], c[4]));
  }

  static Window window(int h, int w, int k, int s, int p) {
    return new Window(h, w, k, k, s, s, p, p, (h + 2 * p - k) / s + 1, (w + 2 * p - k) / s + 1);
  }

  static float[] distinct(SplittableRandom r, int n) {
    // A shuffled permutation: no ties, so the argmax is unique.
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (i - n / 2) * 0.01f;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      float t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  static void assertClose(float[] expected, float[] actual, float tol, String what) {
    assertEquals(expected.length, actual.length, what);
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], tol * (1 + Math.abs(expected[i])), what + " at " + i);
    }
  }

  @ParameterizedTest(name = "h={0} w={1} k={2} s={3} p={4}")
  @MethodSource("windows")
  void maxMatchesScalar(int h, int w, int k, int s, int p) {
    Window win = window(h, w, k, s, p);
    SplittableRandom r = new SplittableRandom(h * 1000L + w);
    int planes = 3;
    float[] x = distinct(r, 2 + planes * h * w);
    int out = planes * win.outPlane();
    float[] ys = new float[out + 1];
    float[] yv = new float[out + 1];
    int[] as = new int[out + 1];
    int[] av = new int[out + 1];
    // Planes [1, 3) only, with odd offsets.
    SCALAR.maxForward(x, 2, 1, 3, win, ys, 1, as, 1);
    VECTOR.maxForward(x, 2, 1, 3, win, yv, 1, av, 1);
    assertArrayEquals(ys, yv, "max forward");
    assertArrayEquals(as, av, "argmax");
    // The scalar result is the window maximum (checked directly on one cell).
    int oy = win.oh() - 1;
    int ox = win.ow() - 1;
    float best = Float.NEGATIVE_INFINITY;
    for (int iy = Math.max(0, oy * s - p); iy < Math.min(h, oy * s - p + k); iy++) {
      for (int ix = Math.max(0, ox * s - p); ix < Math.min(w, ox * s - p + k); ix++) {
        best = Math.max(best, x[2 + h * w + iy * w + ix]);
      }
    }
    assertEquals(best, ys[1 + win.outPlane() + oy * win.ow() + ox]);
    float[] gy = distinct(r, 1 + out);
    float[] gs = new float[3 + planes * h * w];
    float[] gv = new float[3 + planes * h * w];
    java.util.Arrays.fill(gs, 9f); // the kernel must clear its planes
    java.util.Arrays.fill(gv, 9f);
    SCALAR.maxBackward(gy, 1, as, 1, 1, 3, win, gs, 3);
    VECTOR.maxBackward(gy, 1, av, 1, 1, 3, win, gv, 3);
    assertArrayEquals(gs, gv, "max backward");
    assertEquals(9f, gs[3 + h * w - 1], "plane 0 untouched");
  }

  @ParameterizedTest(name = "h={0} w={1} k={2} s={3} p={4}")
  @MethodSource("windows")
  void avgMatchesScalar(int h, int w, int k, int s, int p) {
    Window win = window(h, w, k, s, p);
    SplittableRandom r = new SplittableRandom(h * 1000L + w + 1);
    int planes = 2;
    float[] x = distinct(r, 1 + planes * h * w);
    int out = planes * win.outPlane();
    float[] ys = new float[out + 2];
    float[] yv = new float[out + 2];
    SCALAR.avgForward(x, 1, 0, planes, win, ys, 2);
    VECTOR.avgForward(x, 1, 0, planes, win, yv, 2);
    assertClose(ys, yv, 1e-6f, "avg forward");
    float[] gy = distinct(r, 2 + out);
    float[] gs = new float[1 + planes * h * w];
    float[] gv = new float[1 + planes * h * w];
    java.util.Arrays.fill(gv, 5f);
    java.util.Arrays.fill(gs, 5f);
    SCALAR.avgBackward(gy, 2, 0, planes, win, gs, 1);
    VECTOR.avgBackward(gy, 2, 0, planes, win, gv, 1);
    assertClose(gs, gv, 1e-6f, "avg backward");
    assertEquals(5f, gs[0], "before the offset untouched");
  }

  static Stream<Arguments> adaptive() {
    int[][] cases = {
      {1, 1, 1, 1}, {7, 7, 1, 1}, {4, 4, 1, 1}, {5, 16, 1, 1}, {17, 1, 1, 1}, {33, 31, 1, 1},
      {10, 103, 1, 1}, {7, 5, 3, 2}, {5, 7, 5, 7}, {6, 9, 4, 4}, {3, 3, 5, 5},
    };
    return Stream.of(cases).map(c -> Arguments.of(c[0], c[1], c[2], c[3]));
  }

  @ParameterizedTest(name = "h={0} w={1} -> {2}x{3}")
  @MethodSource("adaptive")
  void adaptiveMatchesScalar(int h, int w, int oh, int ow) {
    SplittableRandom r = new SplittableRandom(h * 100L + w * 10L + oh);
    int planes = 3;
    float[] x = distinct(r, 1 + planes * h * w);
    int out = planes * oh * ow;
    float[] ys = new float[out];
    float[] yv = new float[out];
    SCALAR.adaptiveAvgForward(x, 1, 0, planes, h, w, oh, ow, ys, 0);
    VECTOR.adaptiveAvgForward(x, 1, 0, planes, h, w, oh, ow, yv, 0);
    assertClose(ys, yv, 1e-5f, "adaptive forward");
    float[] gy = distinct(r, out);
    float[] gs = new float[1 + planes * h * w];
    float[] gv = new float[1 + planes * h * w];
    SCALAR.adaptiveAvgBackward(gy, 0, 0, planes, h, w, oh, ow, gs, 1);
    VECTOR.adaptiveAvgBackward(gy, 0, 0, planes, h, w, oh, ow, gv, 1);
    assertClose(gs, gv, 1e-6f, "adaptive backward");
  }

  @Test
  void adaptiveWindowsFollowPyTorch() {
    // 5 -> 3: [0, 2), [1, 4), [3, 5)
    assertEquals(0, PoolKernels.adaptiveStart(0, 5, 3));
    assertEquals(2, PoolKernels.adaptiveEnd(0, 5, 3));
    assertEquals(1, PoolKernels.adaptiveStart(1, 5, 3));
    assertEquals(4, PoolKernels.adaptiveEnd(1, 5, 3));
    assertEquals(3, PoolKernels.adaptiveStart(2, 5, 3));
    assertEquals(5, PoolKernels.adaptiveEnd(2, 5, 3));
    // 3 -> 5 (upsampling): each output has one input
    assertEquals(1, PoolKernels.adaptiveStart(2, 3, 5));
    assertEquals(2, PoolKernels.adaptiveEnd(2, 3, 5));
  }

  @Test
  void maxTiesGoToFirstInWindowOrderAndPaddingIsMinusInfinity() {
    // All equal negative values: padding (-inf) never wins; the first real element does.
    Window small = window(3, 3, 3, 1, 1);
    float[] x = new float[9];
    java.util.Arrays.fill(x, -2f);
    for (PoolKernels k : new PoolKernels[] {SCALAR, VECTOR}) {
      float[] y = new float[9];
      int[] a = new int[9];
      k.maxForward(x, 0, 0, 1, small, y, 0, a, 0);
      assertArrayEquals(new int[] {0, 0, 1, 0, 0, 1, 3, 3, 4}, a, k.getClass().getSimpleName());
      for (float v : y) {
        assertEquals(-2f, v);
      }
    }
    // Wide rows, so that the vector loop sees the ties too.
    for (int[] c : new int[][] {{4, 37, 3, 1, 1}, {3, 64, 2, 1, 0}, {5, 100, 5, 1, 2}}) {
      Window win = window(c[0], c[1], c[2], c[3], c[4]);
      float[] flat = new float[c[0] * c[1]];
      java.util.Arrays.fill(flat, 0.5f);
      for (PoolKernels k : new PoolKernels[] {SCALAR, VECTOR}) {
        float[] y = new float[win.outPlane()];
        int[] a = new int[win.outPlane()];
        k.maxForward(flat, 0, 0, 1, win, y, 0, a, 0);
        for (int oy = 0; oy < win.oh(); oy++) {
          for (int ox = 0; ox < win.ow(); ox++) {
            int first = Math.max(oy - win.ph(), 0) * win.w() + Math.max(ox - win.pw(), 0);
            assertEquals(first, a[oy * win.ow() + ox], k.getClass().getSimpleName() + " " + win + " at " + oy + "," + ox);
          }
        }
      }
    }
  }

  static final int[] AWKWARD = {1, 2, 3, 7, 15, 16, 17, 31, 33, 100};

  /** The stride-2 fast paths (kh, kw, sh, sw, ph, pw) crossed with every awkward width. */
  static Stream<Arguments> stride2() {
    int[][] wins = {{2, 2, 2, 2, 0, 0}, {3, 3, 2, 2, 1, 1}, {3, 2, 3, 2, 0, 0}, {1, 3, 1, 2, 0, 1}};
    return Stream.of(wins).flatMap(k -> java.util.stream.IntStream.of(AWKWARD).mapToObj(w -> Arguments.of(k, w)));
  }

  /** Values from a set of 3 (many ties), with -inf and optionally NaN sprinkled in. */
  static float[] tied(SplittableRandom r, int n, boolean nan) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      int u = r.nextInt(40);
      a[i] = u == 0 ? Float.NEGATIVE_INFINITY : nan && u == 1 ? Float.NaN : u % 3 - 1f;
    }
    return a;
  }

  @ParameterizedTest(name = "k={0} w={1}")
  @MethodSource("stride2")
  void stride2MatchesScalarWithTies(int[] k, int w) {
    for (int h : AWKWARD) {
      if (h + 2 * k[4] < k[0] || w + 2 * k[5] < k[1]) {
        continue;
      }
      int oh = (h + 2 * k[4] - k[0]) / k[2] + 1;
      int ow = (w + 2 * k[5] - k[1]) / k[3] + 1;
      Window win = new Window(h, w, k[0], k[1], k[2], k[3], k[4], k[5], oh, ow);
      String what = win.toString();
      SplittableRandom r = new SplittableRandom(h * 1000L + w);
      int planes = 3;
      for (boolean nan : new boolean[] {false, true}) {
        float[] x = tied(r, 2 + planes * h * w, nan);
        int out = planes * win.outPlane();
        float[] ys = new float[out + 1];
        float[] yv = new float[out + 1];
        int[] as = new int[out + 1];
        int[] av = new int[out + 1];
        SCALAR.maxForward(x, 2, 1, 3, win, ys, 1, as, 1);
        VECTOR.maxForward(x, 2, 1, 3, win, yv, 1, av, 1);
        assertArrayEquals(ys, yv, "max forward " + what);
        assertArrayEquals(as, av, "argmax " + what);
        if (!nan) {
          assertFirstMax(x, 2, win, 1, 3, yv, 1, av, 1);
        }
        float[] gy = distinct(r, 1 + out);
        gy[1 + out / 2] = -0f; // the scalar's 0 + g turns it into +0
        float[] gs = new float[3 + planes * h * w];
        float[] gv = new float[3 + planes * h * w];
        java.util.Arrays.fill(gs, 9f);
        java.util.Arrays.fill(gv, 9f);
        SCALAR.maxBackward(gy, 1, as, 1, 1, 3, win, gs, 3);
        VECTOR.maxBackward(gy, 1, av, 1, 1, 3, win, gv, 3);
        assertArrayEquals(gs, gv, "max backward " + what);
        assertEquals(9f, gv[3 + h * w - 1], "plane 0 untouched " + what);
        float[] xa = distinct(r, 2 + planes * h * w);
        SCALAR.avgForward(xa, 2, 1, 3, win, ys, 1);
        VECTOR.avgForward(xa, 2, 1, 3, win, yv, 1);
        assertArrayEquals(ys, yv, "avg forward " + what);
        SCALAR.avgBackward(gy, 1, 1, 3, win, gs, 3);
        VECTOR.avgBackward(gy, 1, 1, 3, win, gv, 3);
        assertArrayEquals(gs, gv, "avg backward " + what);
        assertEquals(9f, gv[3 + h * w - 1], "plane 0 untouched " + what);
      }
    }
  }

  /**
   * 2x2 stride 2 (rows read as column pairs, with loads past the row end): bit-identical maxima,
   * including -0/+0 ties and NaN payloads, and the same argmax, on widths either side of every
   * vector length, with x ending right after the last plane (loads past the row end would leave the
   * array) or followed by NaN slack (which must never leak in).
   */
  @Test
  void max2x2MatchesScalarBitForBit() {
    float[] values = {-0f, 0f, 1f, -1f, Float.NEGATIVE_INFINITY, Float.intBitsToFloat(0x7fc00001),
        Float.intBitsToFloat(0xffc00002), Float.intBitsToFloat(0x7f800003)};
    SplittableRandom r = new SplittableRandom(22);
    for (int h : new int[] {2, 3, 4, 5, 8}) {
      for (int w : new int[] {2, 3, 4, 5, 7, 8, 9, 14, 15, 16, 17, 28, 31, 32, 33, 34, 35, 64, 100}) {
        Window win = window(h, w, 2, 2, 0);
        for (int slack : new int[] {0, 40}) {
          int planes = 3;
          float[] x = new float[1 + planes * h * w + slack];
          for (int i = 0; i < x.length; i++) {
            // Mostly zeros of both signs (ties), some NaNs; the slack is NaN only.
            x[i] = i > planes * h * w ? Float.NaN : values[r.nextInt(16) < 12 ? r.nextInt(2) : r.nextInt(values.length)];
          }
          for (int p0 : new int[] {0, 1}) {
            int out = planes * win.outPlane();
            float[] ys = new float[out + 1];
            float[] yv = new float[out + 1];
            int[] as = new int[out + 1];
            int[] av = new int[out + 1];
            SCALAR.maxForward(x, 1, p0, planes, win, ys, 1, as, 1);
            VECTOR.maxForward(x, 1, p0, planes, win, yv, 1, av, 1);
            String what = win + " slack " + slack + " planes " + p0 + ".." + planes;
            assertArrayEquals(as, av, "argmax " + what);
            for (int i = 0; i < ys.length; i++) {
              assertEquals(Float.floatToRawIntBits(ys[i]), Float.floatToRawIntBits(yv[i]), "bits of y[" + i + "] " + what);
            }
          }
        }
      }
    }
  }

  /** Independent of both twins: y is the window maximum and argmax its first occurrence in window order. */
  static void assertFirstMax(float[] x, int xOff, Window win, int p0, int p1, float[] y, int yOff, int[] argmax, int aOff) {
    for (int p = p0; p < p1; p++) {
      int in = xOff + p * win.inPlane();
      for (int oy = 0; oy < win.oh(); oy++) {
        for (int ox = 0; ox < win.ow(); ox++) {
          int o = p * win.outPlane() + oy * win.ow() + ox;
          float best = Float.NEGATIVE_INFINITY;
          int first = -1;
          for (int ky = 0; ky < win.kh(); ky++) {
            for (int kx = 0; kx < win.kw(); kx++) {
              int iy = oy * win.sh() - win.ph() + ky;
              int ix = ox * win.sw() - win.pw() + kx;
              if (iy >= 0 && iy < win.h() && ix >= 0 && ix < win.w()) {
                float v = x[in + iy * win.w() + ix];
                if (first < 0 || v > best) {
                  best = v;
                  first = iy * win.w() + ix;
                }
              }
            }
          }
          assertEquals(best, y[yOff + o], "max of " + win + " at " + p + "," + oy + "," + ox);
          assertEquals(first, argmax[aOff + o], "first argmax of " + win + " at " + p + "," + oy + "," + ox);
        }
      }
    }
  }
}

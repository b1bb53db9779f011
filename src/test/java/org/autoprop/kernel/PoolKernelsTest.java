package org.autoprop.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.autoprop.kernel.PoolKernels.Window;
import org.autoprop.kernel.vector.VectorKernelProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The vector pool kernels against their scalar twins, on every tail width and awkward strides and
 * paddings. Where the vector provider runs the scalar code itself (see {@link VectorKernelProvider}),
 * the twin comparisons are skipped by the name of its predicate.
 */
class PoolKernelsTest extends KernelTwinTest<PoolKernels> {
  PoolKernelsTest() {
    super(KernelProvider::pool);
  }

  /** h, w, kernel, stride, padding: awkward cases, then every tail width at strides 1 and 2. */
  static Stream<Arguments> windows() {
    int[][] cases = {
      {1, 1, 1, 1, 0}, {5, 7, 3, 1, 1}, {4, 15, 2, 1, 1}, {3, 16, 3, 1, 0}, {6, 17, 2, 1, 0},
      {2, 31, 3, 1, 1}, {3, 33, 2, 2, 1}, {4, 100, 3, 1, 1}, {2, 1021, 3, 1, 1}, {7, 7, 3, 2, 1},
      {6, 6, 2, 2, 0}, {9, 40, 5, 1, 2}, {5, 19, 4, 3, 2}, {1, 64, 1, 1, 0},
    };
    Stream<int[]> widths = nonEmptyTailSizes().filter(w -> w >= 2 && w <= 129).boxed().flatMap(w -> Stream.of(
        new int[] {3, w, 3, 1, 1}, new int[] {4, w, 2, 2, 0}, new int[] {5, w, 3, 2, 1}));
    return Stream.concat(Stream.of(cases), widths).map(c -> Arguments.of(c[0], c[1], c[2], c[3], c[4]));
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

  static void assumeVector(boolean scalarPath, String predicate, Window win) {
    assumeVectorPath(scalarPath, predicate, win);
  }

  /** Max forward of planes [1, 3) of three, with odd offsets: the scalar result, checked on one cell. */
  static final class MaxCase {
    final Window win;
    final float[] x;
    final float[] y;
    final int[] argmax;
    final float[] gy;

    MaxCase(PoolKernels k, int h, int w, int size, int s, int p) {
      win = window(h, w, size, s, p);
      SplittableRandom r = new SplittableRandom(h * 1000L + w);
      int planes = 3;
      x = distinct(r, 2 + planes * h * w);
      int out = planes * win.outPlane();
      y = new float[out + 1];
      argmax = new int[out + 1];
      k.maxForward(x, 2, 1, 3, win, y, 1, argmax, 1);
      gy = distinct(r, 1 + out);
    }

    float[] backward(PoolKernels k) {
      float[] gx = new float[3 + 3 * win.inPlane()];
      java.util.Arrays.fill(gx, 9f); // the kernel must clear its planes
      k.maxBackward(gy, 1, argmax, 1, 1, 3, win, gx, 3);
      assertEquals(9f, gx[3 + win.inPlane() - 1], "plane 0 untouched");
      return gx;
    }
  }

  @ParameterizedTest(name = "h={0} w={1} k={2} s={3} p={4}")
  @MethodSource("windows")
  void maxForwardMatchesScalar(int h, int w, int k, int s, int p) {
    MaxCase expected = new MaxCase(scalar, h, w, k, s, p);
    Window win = expected.win;
    // The scalar result is the window maximum (checked directly on one cell).
    int oy = win.oh() - 1;
    int ox = win.ow() - 1;
    float best = Float.NEGATIVE_INFINITY;
    for (int iy = Math.max(0, oy * s - p); iy < Math.min(h, oy * s - p + k); iy++) {
      for (int ix = Math.max(0, ox * s - p); ix < Math.min(w, ox * s - p + k); ix++) {
        best = Math.max(best, expected.x[2 + h * w + iy * w + ix]);
      }
    }
    assertEquals(best, expected.y[1 + win.outPlane() + oy * win.ow() + ox]);
    assumeVector(VectorKernelProvider.scalarMaxPoolForward(win), "scalarMaxPoolForward", win);
    MaxCase actual = new MaxCase(vector, h, w, k, s, p);
    assertArrayEquals(expected.y, actual.y, "max forward");
    assertArrayEquals(expected.argmax, actual.argmax, "argmax");
  }

  @ParameterizedTest(name = "h={0} w={1} k={2} s={3} p={4}")
  @MethodSource("windows")
  void maxBackwardMatchesScalar(int h, int w, int k, int s, int p) {
    MaxCase cs = new MaxCase(scalar, h, w, k, s, p);
    assumeVector(VectorKernelProvider.scalarMaxPoolBackward(cs.win), "scalarMaxPoolBackward", cs.win);
    assertArrayEquals(cs.backward(scalar), cs.backward(vector), "max backward");
  }

  @ParameterizedTest(name = "h={0} w={1} k={2} s={3} p={4}")
  @MethodSource("windows")
  void avgForwardMatchesScalar(int h, int w, int k, int s, int p) {
    Window win = window(h, w, k, s, p);
    assumeVector(VectorKernelProvider.scalarAvgPoolForward(win), "scalarAvgPoolForward", win);
    SplittableRandom r = new SplittableRandom(h * 1000L + w + 1);
    int planes = 2;
    float[] x = distinct(r, 1 + planes * h * w);
    int out = planes * win.outPlane();
    float[] ys = new float[out + 2];
    float[] yv = new float[out + 2];
    scalar.avgForward(x, 1, 0, planes, win, ys, 2);
    vector.avgForward(x, 1, 0, planes, win, yv, 2);
    assertClose("avg forward", ys, yv, 1e-6);
  }

  @ParameterizedTest(name = "h={0} w={1} k={2} s={3} p={4}")
  @MethodSource("windows")
  void avgBackwardMatchesScalar(int h, int w, int k, int s, int p) {
    Window win = window(h, w, k, s, p);
    assumeVector(VectorKernelProvider.scalarAvgPoolBackward(win), "scalarAvgPoolBackward", win);
    SplittableRandom r = new SplittableRandom(h * 1000L + w + 2);
    int planes = 2;
    float[] gy = distinct(r, 2 + planes * win.outPlane());
    float[] gs = new float[1 + planes * h * w];
    float[] gv = new float[1 + planes * h * w];
    java.util.Arrays.fill(gv, 5f);
    java.util.Arrays.fill(gs, 5f);
    scalar.avgBackward(gy, 2, 0, planes, win, gs, 1);
    vector.avgBackward(gy, 2, 0, planes, win, gv, 1);
    assertClose("avg backward", gs, gv, 1e-6);
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
    assumeVectorPath(VectorKernelProvider.scalarAdaptivePool(oh, ow), "scalarAdaptivePool", h + "x" + w + " -> " + oh + "x" + ow);
    SplittableRandom r = new SplittableRandom(h * 100L + w * 10L + oh);
    int planes = 3;
    float[] x = distinct(r, 1 + planes * h * w);
    int out = planes * oh * ow;
    float[] ys = new float[out];
    float[] yv = new float[out];
    scalar.adaptiveAvgForward(x, 1, 0, planes, h, w, oh, ow, ys, 0);
    vector.adaptiveAvgForward(x, 1, 0, planes, h, w, oh, ow, yv, 0);
    assertClose("adaptive forward", ys, yv, 1e-5);
    float[] gy = distinct(r, out);
    float[] gs = new float[1 + planes * h * w];
    float[] gv = new float[1 + planes * h * w];
    scalar.adaptiveAvgBackward(gy, 0, 0, planes, h, w, oh, ow, gs, 1);
    vector.adaptiveAvgBackward(gy, 0, 0, planes, h, w, oh, ow, gv, 1);
    assertClose("adaptive backward", gs, gv, 1e-6);
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
    for (PoolKernels k : new PoolKernels[] {scalar, vector}) {
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
      for (PoolKernels k : new PoolKernels[] {scalar, vector}) {
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

  /** The stride-2 fast paths (kh, kw, sh, sw, ph, pw) crossed with every awkward width a window fits. */
  static Stream<Arguments> stride2() {
    int[][] wins = {{2, 2, 2, 2, 0, 0}, {3, 3, 2, 2, 1, 1}, {3, 2, 3, 2, 0, 0}, {1, 3, 1, 2, 0, 1}};
    return Stream.of(wins).flatMap(k -> java.util.stream.IntStream.of(AWKWARD)
        .filter(w -> w + 2 * k[5] >= k[1]).mapToObj(w -> Arguments.of(k, w)));
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

  /** The windows of one stride-2 case at every awkward height. */
  static Stream<Window> stride2Windows(int[] k, int w) {
    return java.util.stream.IntStream.of(AWKWARD).filter(h -> h + 2 * k[4] >= k[0] && w + 2 * k[5] >= k[1])
        .mapToObj(h -> new Window(h, w, k[0], k[1], k[2], k[3], k[4], k[5], (h + 2 * k[4] - k[0]) / k[2] + 1,
            (w + 2 * k[5] - k[1]) / k[3] + 1));
  }

  @ParameterizedTest(name = "k={0} w={1}")
  @MethodSource("stride2")
  void stride2MaxForwardMatchesScalarWithTies(int[] k, int w) {
    List<Window> windows = stride2Windows(k, w).toList();
    for (boolean compare : new boolean[] {false, true}) {
      if (compare) {
        // Every window of the case takes the same path: the predicate does not look at the height.
        assumeVector(VectorKernelProvider.scalarMaxPoolForward(windows.get(0)), "scalarMaxPoolForward", windows.get(0));
      }
      for (Window win : windows) {
        for (boolean nan : new boolean[] {false, true}) {
          float[] x = tied(new SplittableRandom(win.h() * 1000L + w + (nan ? 1 : 0)), 2 + 3 * win.inPlane(), nan);
          int out = 3 * win.outPlane();
          float[] ys = new float[out + 1];
          int[] as = new int[out + 1];
          scalar.maxForward(x, 2, 1, 3, win, ys, 1, as, 1);
          if (!compare) {
            if (!nan) {
              assertFirstMax(x, 2, win, 1, 3, ys, 1, as, 1);
            }
            continue;
          }
          float[] yv = new float[out + 1];
          int[] av = new int[out + 1];
          vector.maxForward(x, 2, 1, 3, win, yv, 1, av, 1);
          assertArrayEquals(ys, yv, "max forward " + win);
          assertArrayEquals(as, av, "argmax " + win);
        }
      }
    }
  }

  /** The gradients of 3 planes (plane 0 and the rest of the array must stay 9) with a -0 among them. */
  static float[] stride2Gradients(Window win) {
    float[] gy = distinct(new SplittableRandom(win.h() * 31L + win.w()), 1 + 3 * win.outPlane());
    gy[1 + 3 * win.outPlane() / 2] = -0f; // the scalar's 0 + g turns it into +0
    return gy;
  }

  @ParameterizedTest(name = "k={0} w={1}")
  @MethodSource("stride2")
  void stride2MaxBackwardMatchesScalarWithTies(int[] k, int w) {
    stride2Windows(k, w).forEach(win -> {
      assumeVector(VectorKernelProvider.scalarMaxPoolBackward(win), "scalarMaxPoolBackward", win);
      float[] x = tied(new SplittableRandom(win.h() * 1000L + w), 2 + 3 * win.inPlane(), true);
      int out = 3 * win.outPlane();
      float[] y = new float[out + 1];
      int[] argmax = new int[out + 1];
      scalar.maxForward(x, 2, 1, 3, win, y, 1, argmax, 1);
      float[] gy = stride2Gradients(win);
      float[] gs = new float[3 + 3 * win.inPlane()];
      float[] gv = new float[3 + 3 * win.inPlane()];
      java.util.Arrays.fill(gs, 9f);
      java.util.Arrays.fill(gv, 9f);
      scalar.maxBackward(gy, 1, argmax, 1, 1, 3, win, gs, 3);
      vector.maxBackward(gy, 1, argmax, 1, 1, 3, win, gv, 3);
      assertArrayEquals(gs, gv, "max backward " + win);
      assertEquals(9f, gv[3 + win.inPlane() - 1], "plane 0 untouched " + win);
    });
  }

  @ParameterizedTest(name = "k={0} w={1}")
  @MethodSource("stride2")
  void stride2AvgForwardMatchesScalar(int[] k, int w) {
    stride2Windows(k, w).forEach(win -> {
      assumeVector(VectorKernelProvider.scalarAvgPoolForward(win), "scalarAvgPoolForward", win);
      float[] x = distinct(new SplittableRandom(win.h() * 1000L + w + 2), 2 + 3 * win.inPlane());
      int out = 3 * win.outPlane();
      float[] ys = new float[out + 1];
      float[] yv = new float[out + 1];
      scalar.avgForward(x, 2, 1, 3, win, ys, 1);
      vector.avgForward(x, 2, 1, 3, win, yv, 1);
      assertArrayEquals(ys, yv, "avg forward " + win);
    });
  }

  @ParameterizedTest(name = "k={0} w={1}")
  @MethodSource("stride2")
  void stride2AvgBackwardMatchesScalar(int[] k, int w) {
    stride2Windows(k, w).forEach(win -> {
      assumeVector(VectorKernelProvider.scalarAvgPoolBackward(win), "scalarAvgPoolBackward", win);
      float[] gy = stride2Gradients(win);
      float[] gs = new float[3 + 3 * win.inPlane()];
      float[] gv = new float[3 + 3 * win.inPlane()];
      java.util.Arrays.fill(gs, 9f);
      java.util.Arrays.fill(gv, 9f);
      scalar.avgBackward(gy, 1, 1, 3, win, gs, 3);
      vector.avgBackward(gy, 1, 1, 3, win, gv, 3);
      assertArrayEquals(gs, gv, "avg backward " + win);
      assertEquals(9f, gv[3 + win.inPlane() - 1], "plane 0 untouched " + win);
    });
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
            scalar.maxForward(x, 1, p0, planes, win, ys, 1, as, 1);
            vector.maxForward(x, 1, p0, planes, win, yv, 1, av, 1);
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

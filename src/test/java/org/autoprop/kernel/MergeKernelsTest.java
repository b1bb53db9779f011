package org.autoprop.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The vector merge kernels against their scalar twins, on sizes hitting every tail, with ties. */
class MergeKernelsTest extends KernelTwinTest<MergeKernels> {
  MergeKernelsTest() {
    super(KernelProvider::merge);
  }

  /** Values from a small set, so that about a third of the pairs are exactly equal (ties). */
  static float[] tiedValues(SplittableRandom r, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = r.nextInt(3) * 0.5f - 0.5f;
    }
    return a;
  }

  @ParameterizedTest(name = "n={0}")
  @MethodSource("org.autoprop.kernel.KernelTwinTest#tailSizes")
  void countTiesMatchesScalar(int n) {
    SplittableRandom r = new SplittableRandom(n);
    float[] x = tiedValues(r, n + 3);
    float[] y = tiedValues(r, n + 1);
    float[] expected = tiedValues(r, n + 2);
    float[] actual = expected.clone();
    scalar.countTies(x, 3, y, 1, expected, 2, n);
    vector.countTies(x, 3, y, 1, actual, 2, n);
    for (int i = 0; i < n + 2; i++) {
      assertEquals(expected[i], actual[i], 0f, "countTies n=" + n + " at " + i);
    }
  }

  @ParameterizedTest(name = "n={0}")
  @MethodSource("org.autoprop.kernel.KernelTwinTest#tailSizes")
  void tieGradientMatchesScalar(int n) {
    SplittableRandom r = new SplittableRandom(n + 1000);
    float[] x = tiedValues(r, n + 1);
    float[] y = tiedValues(r, n + 2);
    float[] g = new float[n + 5];
    float[] cnt = new float[n + 4];
    for (int i = 0; i < g.length; i++) {
      g[i] = (float) r.nextDouble(-1, 1);
    }
    for (int i = 0; i < cnt.length; i++) {
      cnt[i] = 1 + r.nextInt(3);
    }
    float[] expected = new float[n + 3];
    for (int i = 0; i < expected.length; i++) {
      expected[i] = 99f; // untouched outside [3, 3 + n)
    }
    float[] actual = expected.clone();
    scalar.tieGradient(x, 1, y, 2, g, 5, cnt, 4, expected, 3, n);
    vector.tieGradient(x, 1, y, 2, g, 5, cnt, 4, actual, 3, n);
    for (int i = 0; i < n + 3; i++) {
      assertEquals(expected[i], actual[i], 1e-7f * Math.abs(expected[i]), "tieGradient n=" + n + " at " + i);
    }
  }

  /** The three-input forward kernels, on tied values (exact: the same operations in the same order). */
  @ParameterizedTest(name = "n={0}")
  @MethodSource("org.autoprop.kernel.KernelTwinTest#tailSizes")
  void threeInputForwardsMatchScalar(int n) {
    SplittableRandom r = new SplittableRandom(n + 2000);
    float[] a = tiedValues(r, n + 1);
    float[] b = tiedValues(r, n + 2);
    float[] c = tiedValues(r, n + 3);
    for (int i = 0; i < n; i++) {
      a[i] += (float) r.nextDouble(-0.1, 0.1) * r.nextInt(2); // some non-tied, non-round values
    }
    for (String what : new String[] {"sum", "avg", "sub", "mul", "max", "min"}) {
      float[] expected = new float[n + 4];
      java.util.Arrays.fill(expected, 99f); // untouched outside [4, 4 + n)
      float[] actual = expected.clone();
      forward3(scalar, what, a, b, c, expected, n);
      forward3(vector, what, a, b, c, actual, n);
      for (int i = 0; i < n + 4; i++) {
        assertEquals(expected[i], actual[i], 0f, what + "3 n=" + n + " at " + i);
      }
    }
  }

  private static void forward3(MergeKernels k, String what, float[] a, float[] b, float[] c, float[] out, int n) {
    switch (what) {
      case "sum":
        k.sum3(a, 1, b, 2, c, 3, 1f, out, 4, n);
        break;
      case "avg":
        k.sum3(a, 1, b, 2, c, 3, 1f / 3, out, 4, n);
        break;
      case "sub":
        k.sub3(a, 1, b, 2, c, 3, out, 4, n);
        break;
      case "mul":
        k.mul3(a, 1, b, 2, c, 3, out, 4, n);
        break;
      case "max":
        k.max3(a, 1, b, 2, c, 3, out, 4, n);
        break;
      default:
        k.min3(a, 1, b, 2, c, 3, out, 4, n);
    }
  }

  /** The one-pass backward kernels (HADAMARD, MAX, MIN), with ties of two and three. */
  @ParameterizedTest(name = "n={0}")
  @MethodSource("org.autoprop.kernel.KernelTwinTest#tailSizes")
  void threeInputBackwardsMatchScalar(int n) {
    SplittableRandom r = new SplittableRandom(n + 3000);
    float[] a = tiedValues(r, n + 1);
    float[] b = tiedValues(r, n + 2);
    float[] c = tiedValues(r, n + 3);
    float[] g = new float[n + 5];
    for (int i = 0; i < g.length; i++) {
      g[i] = (float) r.nextDouble(-1, 1);
    }
    for (String what : new String[] {"mul", "max", "min"}) {
      float[][] expected = new float[3][n + 6];
      for (float[] e : expected) {
        java.util.Arrays.fill(e, 99f); // untouched outside [offset, offset + n)
      }
      float[][] actual = {expected[0].clone(), expected[1].clone(), expected[2].clone()};
      backward3(scalar, what, a, b, c, g, expected, n);
      backward3(vector, what, a, b, c, g, actual, n);
      for (int t = 0; t < 3; t++) {
        for (int i = 0; i < n + 6; i++) {
          assertEquals(expected[t][i], actual[t][i], 0f, what + "3Backward n=" + n + " gradient " + t + " at " + i);
        }
      }
    }
  }

  private static void backward3(MergeKernels k, String what, float[] a, float[] b, float[] c, float[] g,
      float[][] out, int n) {
    if (what.equals("mul")) {
      k.mul3Backward(a, 1, b, 2, c, 3, g, 5, out[0], 4, out[1], 6, out[2], 0, n);
    } else {
      k.extreme3Backward(what.equals("max"), a, 1, b, 2, c, 3, g, 5, out[0], 4, out[1], 6, out[2], 0, n);
    }
  }

  /** The tie rule of the one-pass MAX/MIN backward, by hand: g / ties to every input equal to the extreme. */
  @org.junit.jupiter.api.Test
  void extreme3BackwardSplitsTiesEqually() {
    float[] a = {1, 2, 3, 0, 5, 7, 1, -0f, 4, 4, 4, 4, 4, 4, 4, 4, 4};
    float[] b = {1, 1, 3, 0, 4, 7, 2, 0f, 4, 4, 4, 4, 4, 4, 4, 4, 1};
    float[] c = {0, 2, 3, 0, 5, 6, 2, 1f, 4, 4, 4, 4, 4, 4, 4, 4, 9};
    float[] g = new float[a.length];
    java.util.Arrays.fill(g, 6f);
    for (MergeKernels k : new MergeKernels[] {scalar, vector}) {
      float[] ga = new float[a.length];
      float[] gb = new float[a.length];
      float[] gc = new float[a.length];
      k.extreme3Backward(true, a, 0, b, 0, c, 0, g, 0, ga, 0, gb, 0, gc, 0, a.length);
      // max: column 7 goes to c alone; columns 8.. are three-way ties except 16 (c)
      assertEquals(java.util.List.of(3f, 3f, 2f, 2f, 3f, 3f, 0f, 0f, 2f, 2f), head(ga, 10));
      assertEquals(java.util.List.of(3f, 0f, 2f, 2f, 0f, 3f, 3f, 0f, 2f, 2f), head(gb, 10));
      assertEquals(java.util.List.of(0f, 3f, 2f, 2f, 3f, 0f, 3f, 6f, 2f, 2f), head(gc, 10));
      assertEquals(java.util.List.of(0f, 0f, 6f), java.util.List.of(ga[16], gb[16], gc[16]));
      k.extreme3Backward(false, a, 0, b, 0, c, 0, g, 0, ga, 0, gb, 0, gc, 0, a.length);
      // min: column 7 is a tie of -0 and +0 (equal floats); column 16 goes to b alone
      assertEquals(java.util.List.of(0f, 0f, 2f, 2f, 0f, 0f, 6f, 3f, 2f, 2f), head(ga, 10));
      assertEquals(java.util.List.of(0f, 6f, 2f, 2f, 6f, 0f, 0f, 3f, 2f, 2f), head(gb, 10));
      assertEquals(java.util.List.of(6f, 0f, 2f, 2f, 0f, 6f, 0f, 0f, 2f, 2f), head(gc, 10));
      assertEquals(java.util.List.of(0f, 6f, 0f), java.util.List.of(ga[16], gb[16], gc[16]));
    }
  }

  private static java.util.List<Float> head(float[] v, int n) {
    java.util.List<Float> out = new java.util.ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(v[i]);
    }
    return out;
  }
}

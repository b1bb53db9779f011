package org.autoprop.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The vector merge kernels against their scalar twins, on sizes hitting every tail, with ties. */
class MergeKernelsTest {
  static final MergeKernels SCALAR = KernelProvider.scalar().merge();
  static final MergeKernels VECTOR = KernelProvider.vector().merge();

  static IntStream sizes() {
    return IntStream.of(0, 1, 3, 4, 6, 7, 8, 13, 15, 16, 17, 25, 31, 32, 33, 64, 100, 207, 1021);
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
  @MethodSource("sizes")
  void countTiesMatchesScalar(int n) {
    SplittableRandom r = new SplittableRandom(n);
    float[] x = tiedValues(r, n + 3);
    float[] y = tiedValues(r, n + 1);
    float[] expected = tiedValues(r, n + 2);
    float[] actual = expected.clone();
    SCALAR.countTies(x, 3, y, 1, expected, 2, n);
    VECTOR.countTies(x, 3, y, 1, actual, 2, n);
    for (int i = 0; i < n + 2; i++) {
      assertEquals(expected[i], actual[i], 0f, "countTies n=" + n + " at " + i);
    }
  }

  @ParameterizedTest(name = "n={0}")
  @MethodSource("sizes")
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
    SCALAR.tieGradient(x, 1, y, 2, g, 5, cnt, 4, expected, 3, n);
    VECTOR.tieGradient(x, 1, y, 2, g, 5, cnt, 4, actual, 3, n);
    for (int i = 0; i < n + 3; i++) {
      assertEquals(expected[i], actual[i], 1e-7f * Math.abs(expected[i]), "tieGradient n=" + n + " at " + i);
    }
  }
}

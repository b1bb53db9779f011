package org.autoprop.layer;

import static org.autoprop.testing.TestTensors.maxAbsDiff;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The standard initializers: range or moments, reproducibility, the default seed sequence. */
class InitializerTest {
  static double[] moments(Tensor t) {
    double s = 0;
    double s2 = 0;
    for (int i = 0; i < t.size(); i++) {
      s += t.getFlat(i);
      s2 += (double) t.getFlat(i) * t.getFlat(i);
    }
    double mean = s / t.size();
    return new double[] {mean, Math.sqrt(s2 / t.size() - mean * mean)};
  }

  static Tensor filled(Initializer init, int fanIn, int fanOut, long seed) {
    Tensor t = Tensor.full(Shape.of(200, 100), 123f);
    init.fill(t, fanIn, fanOut, seed);
    return t;
  }

  @Test
  void uniformSchemesStayInTheirBoundAndFillIt() {
    for (Object[] c : new Object[][] {
        {Initializer.HE_UNIFORM, Math.sqrt(6.0 / 50)}, {Initializer.XAVIER_UNIFORM, Math.sqrt(6.0 / 80)}}) {
      double bound = (double) c[1];
      Tensor t = filled((Initializer) c[0], 50, 30, 9);
      assertTrue(t.maxAbs() <= bound, c[0] + " exceeds " + bound);
      assertTrue(t.maxAbs() > 0.99 * bound, c[0] + " does not reach " + bound);
      double[] m = moments(t);
      assertEquals(0, m[0], 0.02 * bound, c[0] + " mean");
      assertEquals(bound / Math.sqrt(3), m[1], 0.02 * bound, c[0] + " std");
    }
  }

  @Test
  void normalSchemesHaveTheirStd() {
    for (Object[] c : new Object[][] {
        {Initializer.HE_NORMAL, Math.sqrt(2.0 / 50)}, {Initializer.XAVIER_NORMAL, Math.sqrt(2.0 / 80)}}) {
      double std = (double) c[1];
      double[] m = moments(filled((Initializer) c[0], 50, 30, 9));
      assertEquals(0, m[0], 0.02 * std, c[0] + " mean");
      assertEquals(std, m[1], 0.02 * std, c[0] + " std");
    }
  }

  @Test
  void zerosOverwritesEverything() {
    assertEquals(0, filled(Initializer.ZEROS, 3, 3, 1).maxAbs());
  }

  @Test
  void sameSeedSameValuesOtherSeedOtherValues() {
    for (Initializer init : Initializer.Standard.values()) {
      if (init == Initializer.ZEROS) {
        continue;
      }
      assertEquals(0, maxAbsDiff(filled(init, 7, 5, 42), filled(init, 7, 5, 42)), init.toString());
      assertTrue(maxAbsDiff(filled(init, 7, 5, 42), filled(init, 7, 5, 43)) > 0, init.toString());
    }
  }

  @Test
  void defaultSeedsFollowTheDocumentedSequence() {
    long a = Initializer.nextDefaultSeed();
    long b = Initializer.nextDefaultSeed();
    assertNotEquals(a, b);
    assertEquals(0x9E3779B97F4A7C15L, b - a);
    // a is the k-th seed, 0x5EED + k * 0x9E3779B97F4A7C15 (mod 2^64), for however many layers
    // other tests built before this one (the order of test classes is not fixed).
    long k = 0;
    while (0x5EEDL + k * 0x9E3779B97F4A7C15L != a && k < 1_000_000) {
      k++;
    }
    assertTrue(k < 1_000_000, "seed " + a + " is not on the documented sequence");
  }

  @Test
  void rejectsBadArguments() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Initializer.HE_UNIFORM.fill(Tensor.zeros(2, 2), 0, 2, 1));
    assertEquals("HE_UNIFORM: fanIn 0, fanOut 2 (expected: >= 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> Initializer.XAVIER_NORMAL.fill(Tensor.zeros(2, 3).transpose(0, 1), 1, 1, 1));
    assertEquals("XAVIER_NORMAL: tensor [3, 2] must be contiguous", e.getMessage());
  }
}

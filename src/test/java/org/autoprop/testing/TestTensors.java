package org.autoprop.testing;

import org.autoprop.tensor.Tensor;

/** Comparisons of tensors for tests. */
public final class TestTensors {
  private TestTensors() {}

  /**
   * The largest absolute difference between {@code a} and {@code b}, in double: {@code max |a_i - b_i|}.
   *
   * @throws IllegalArgumentException if the shapes differ
   */
  public static double maxAbsDiff(Tensor a, Tensor b) {
    if (!a.shape().equals(b.shape())) {
      throw new IllegalArgumentException("maxAbsDiff: shapes " + a.shape() + " and " + b.shape() + " differ");
    }
    double m = 0;
    for (int i = 0, n = a.size(); i < n; i++) {
      m = Math.max(m, Math.abs((double) a.getFlat(i) - b.getFlat(i)));
    }
    return m;
  }
}

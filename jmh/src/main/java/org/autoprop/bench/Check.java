package org.autoprop.bench;

import java.util.List;
import java.util.SplittableRandom;
import org.autoprop.layer.Layer;
import org.autoprop.layer.Parameter;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * Comparison and data helpers of the benchmarks' trial set-ups: every workload is computed once by
 * an independent path and compared with the benchmarked one, outside the timed region; a mismatch
 * throws {@link IllegalStateException}, which fails the JMH run.
 */
final class Check {
  private Check() {}

  /** A tensor uniform in [-1, 1) from a fixed seed. */
  static Tensor uniform(long seed, int... dims) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] x = new float[Shape.of(dims).size()];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (r.nextDouble() * 2 - 1);
    }
    return Tensor.wrap(x, dims);
  }

  /**
   * Checks {@code |actual - expected| <= rtol * scale} element by element, where {@code scale} is
   * the largest |expected| (at least {@code floor}): errors are judged against the size of the
   * result, so float rounding in long sums passes and a wrong index or a missing term does not.
   */
  static void close(String what, double[] expected, Tensor actual, double rtol, double floor) {
    if (actual.size() != expected.length) {
      throw new IllegalStateException(what + ": " + actual.size() + " elements (expected: " + expected.length + ")");
    }
    double scale = floor;
    for (double e : expected) {
      scale = Math.max(scale, Math.abs(e));
    }
    double tol = rtol * scale;
    for (int i = 0; i < expected.length; i++) {
      double a = actual.getFlat(i);
      if (!(Math.abs(a - expected[i]) <= tol)) {
        throw new IllegalStateException(what + " differs from the reference at flat index " + i + ": " + a
            + " (expected: " + expected[i] + " +- " + tol + ", shape " + actual.shape() + ")");
      }
    }
  }

  /**
   * Like {@link #close(String, Tensor, Tensor, double, double)}, but tolerates up to
   * {@code maxBadFraction} of the elements (at least 8) outside the tolerance: for the outputs of
   * whole graphs, where an activation within rounding distance of a ReLU kink or a max-pool tie
   * may legitimately route one element's gradient the other way in the reference. A wrong kernel
   * spoils far more elements than that.
   */
  static void closeMostly(String what, Tensor expected, Tensor actual, double rtol, double maxBadFraction) {
    if (!expected.shape().equals(actual.shape())) {
      throw new IllegalStateException(what + ": shape " + actual.shape() + " (expected: " + expected.shape() + ")");
    }
    double tol = rtol * expected.maxAbs();
    long allowed = Math.max(8, (long) (maxBadFraction * expected.size()));
    long bad = 0;
    int first = -1;
    for (int i = 0, n = expected.size(); i < n; i++) {
      if (!(Math.abs(actual.getFlat(i) - expected.getFlat(i)) <= tol)) {
        bad++;
        first = first < 0 ? i : first;
      }
    }
    if (bad > allowed) {
      throw new IllegalStateException(what + " differs from the reference at " + bad + " of " + expected.size()
          + " elements (allowed: " + allowed + "), first at flat index " + first + ": " + actual.getFlat(first)
          + " (expected: " + expected.getFlat(first) + " +- " + tol + ")");
    }
  }

  /** {@link #close(String, double[], Tensor, double, double)} against a float tensor. */
  static void close(String what, Tensor expected, Tensor actual, double rtol, double floor) {
    if (!expected.shape().equals(actual.shape())) {
      throw new IllegalStateException(what + ": shape " + actual.shape() + " (expected: " + expected.shape() + ")");
    }
    close(what, toDouble(expected), actual, rtol, floor);
  }

  /** The elements as doubles, in flat order. */
  static double[] toDouble(Tensor t) {
    double[] d = new double[t.size()];
    for (int i = 0; i < d.length; i++) {
      d[i] = t.getFlat(i);
    }
    return d;
  }

  /** Zeroes the gradients of {@code params} (a cached list: no allocation per call). */
  static void zeroGrads(List<Parameter> params) {
    for (int i = 0, n = params.size(); i < n; i++) {
      params.get(i).zeroGrad();
    }
  }

  /** The parameter called {@code name}, or an exception listing the names there are. */
  static Parameter param(Layer model, String name) {
    for (Parameter p : model.parameters()) {
      if (p.name().equals(name)) {
        return p;
      }
    }
    StringBuilder names = new StringBuilder();
    for (Parameter p : model.parameters()) {
      names.append(' ').append(p.name());
    }
    throw new IllegalStateException("no parameter '" + name + "' in " + model.typeName() + "; it has:" + names);
  }
}

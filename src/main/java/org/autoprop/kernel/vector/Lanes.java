package org.autoprop.kernel.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Lane sums in a fixed order, in place of {@code reduceLanes(ADD)}.
 *
 * <p>The Vector API leaves the order of a floating-point {@code reduceLanes(ADD)} unspecified, and
 * HotSpot uses it: on JDK 25 the C2 intrinsic adds the lanes as a tree while the interpreter and C1
 * add them one by one, so the same call gave different bits before and after the JIT compiled it,
 * and seeded runs were not reproducible. Here the lanes are added as a butterfly of lanewise adds
 * (lane i with lane i^h for h = L/2, ..., 1), which is the same IEEE arithmetic in every mode:
 * {@code ((v0 + v8) + (v4 + v12)) + ((v2 + v10) + (v6 + v14)) + ...} for 16 lanes.
 */
final class Lanes {
  private static final VectorSpecies<Float> S = VectorKernelProvider.SPECIES;
  private static final int L = S.length();
  // One constant per butterfly stage (fields, not an array, so that C2 sees constants); null
  // where the species has too few lanes.
  private static final VectorShuffle<Float> X1 = L > 1 ? VectorShuffle.fromOp(S, i -> i ^ 1) : null;
  private static final VectorShuffle<Float> X2 = L > 2 ? VectorShuffle.fromOp(S, i -> i ^ 2) : null;
  private static final VectorShuffle<Float> X4 = L > 4 ? VectorShuffle.fromOp(S, i -> i ^ 4) : null;
  private static final VectorShuffle<Float> X8 = L > 8 ? VectorShuffle.fromOp(S, i -> i ^ 8) : null;

  static {
    if (L > 16) {
      throw new ExceptionInInitializerError("Lanes: " + L + " float lanes (expected: at most 16)");
    }
  }

  private Lanes() {}

  /** The sum of the lanes of {@code v} (of {@link VectorKernelProvider#SPECIES}) in the fixed butterfly order. */
  static float sum(FloatVector v) {
    if (L > 8) {
      v = v.add(v.rearrange(X8));
    }
    if (L > 4) {
      v = v.add(v.rearrange(X4));
    }
    if (L > 2) {
      v = v.add(v.rearrange(X2));
    }
    if (L > 1) {
      v = v.add(v.rearrange(X1));
    }
    return v.lane(0);
  }
}

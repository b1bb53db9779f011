package org.autoprop.kernel.vector;

import jdk.incubator.vector.FloatVector;

/**
 * Lane sums in a fixed order, in place of {@code reduceLanes(ADD)}.
 *
 * <p>The Vector API leaves the order of a floating-point {@code reduceLanes(ADD)} unspecified, and
 * HotSpot uses that freedom: on JDK 25 the C2 intrinsic adds the lanes as a tree while the
 * interpreter and C1 add them one by one, so the same call gives other bits before and after the
 * JIT compiles it, and seeded runs would not be reproducible. Here the lanes are extracted and added as a
 * fixed tree, plain float adds that give the same bits in every mode: for 16 lanes
 * {@code (((v0 + v8) + (v4 + v12)) + ((v2 + v10) + (v6 + v14))) + (((v1 + v9) + (v5 + v13)) + ((v3 + v11) + (v7 + v15)))},
 * the halving butterfly's lane 0. (A butterfly of lanewise adds over {@code rearrange} would leave
 * the vectors boxed on JDK 17; extracting lanes with constant indexes does not.)
 */
final class Lanes {
  private static final int L = VectorKernelProvider.SPECIES.length();

  static {
    if (L > 16 || Integer.bitCount(L) != 1) {
      throw new ExceptionInInitializerError("Lanes: " + L + " float lanes (expected: 1, 2, 4, 8 or 16)");
    }
  }

  private Lanes() {}

  /** The sum of the lanes of {@code v} (of {@link VectorKernelProvider#SPECIES}) in the fixed order above. */
  static float sum(FloatVector v) {
    // L is a constant: C2 keeps one branch.
    if (L == 16) {
      return (((v.lane(0) + v.lane(8)) + (v.lane(4) + v.lane(12))) + ((v.lane(2) + v.lane(10)) + (v.lane(6) + v.lane(14))))
          + (((v.lane(1) + v.lane(9)) + (v.lane(5) + v.lane(13))) + ((v.lane(3) + v.lane(11)) + (v.lane(7) + v.lane(15))));
    }
    if (L == 8) {
      return ((v.lane(0) + v.lane(4)) + (v.lane(2) + v.lane(6))) + ((v.lane(1) + v.lane(5)) + (v.lane(3) + v.lane(7)));
    }
    if (L == 4) {
      return (v.lane(0) + v.lane(2)) + (v.lane(1) + v.lane(3));
    }
    if (L == 2) {
      return v.lane(0) + v.lane(1);
    }
    return v.lane(0);
  }

  /** The sum of the {@code L} floats {@code a[off, off + L)} (a vector stored there) in the same order as {@link #sum(FloatVector)}. */
  static float sum(float[] a, int off) {
    if (L == 16) {
      return (((a[off] + a[off + 8]) + (a[off + 4] + a[off + 12])) + ((a[off + 2] + a[off + 10]) + (a[off + 6] + a[off + 14])))
          + (((a[off + 1] + a[off + 9]) + (a[off + 5] + a[off + 13])) + ((a[off + 3] + a[off + 11]) + (a[off + 7] + a[off + 15])));
    }
    if (L == 8) {
      return ((a[off] + a[off + 4]) + (a[off + 2] + a[off + 6])) + ((a[off + 1] + a[off + 5]) + (a[off + 3] + a[off + 7]));
    }
    if (L == 4) {
      return (a[off] + a[off + 2]) + (a[off + 1] + a[off + 3]);
    }
    if (L == 2) {
      return a[off] + a[off + 1];
    }
    return a[off];
  }
}

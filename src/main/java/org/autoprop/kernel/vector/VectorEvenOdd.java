package org.autoprop.kernel.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The even and odd elements of a run of floats, split into two phases and merged back: the column
 * phases of a stride-2 convolution. Lane permutations with constant shuffles and blends with
 * constant masks, all {@code static final} (C2 compiles them without allocation on JDK 17 and 25);
 * each operation stays inside one method, so no vector crosses a call.
 */
final class VectorEvenOdd {
  private static final VectorSpecies<Float> S = VectorKernelProvider.SPECIES;
  private static final int L = S.length();
  /** Lane i takes lane 2i (mod L): the even elements of the low vector, then of the high one. */
  private static final VectorShuffle<Float> EVEN = VectorShuffle.fromOp(S, i -> 2 * i % L);
  /** Lane i takes lane 2i + 1 (mod L). */
  private static final VectorShuffle<Float> ODD = VectorShuffle.fromOp(S, i -> (2 * i + 1) % L);
  /** Lane i takes lane i / 2: the first half of a vector spread over all lanes. */
  private static final VectorShuffle<Float> SPREAD_LOW = VectorShuffle.fromOp(S, i -> i / 2);
  /** Lane i takes lane L / 2 + i / 2. */
  private static final VectorShuffle<Float> SPREAD_HIGH = VectorShuffle.fromOp(S, i -> L / 2 + i / 2);
  /** The upper half of the lanes. */
  private static final VectorMask<Float> HIGH = VectorMask.fromLong(S, -1L << (L / 2));
  /** The odd lanes. */
  private static final VectorMask<Float> ODD_LANES = VectorMask.fromLong(S, 0xAAAAAAAAAAAAAAAAL);

  private VectorEvenOdd() {}

  /**
   * {@code out[o + i] := x[a + 2 i + (odd ? 1 : 0)]} for i in [0, L), reading exactly
   * {@code x[a, a + 2L)}.
   */
  static void split(float[] x, int a, boolean odd, float[] out, int o) {
    FloatVector low = FloatVector.fromArray(S, x, a);
    FloatVector high = FloatVector.fromArray(S, x, a + L);
    // Two branches rather than one shuffle chosen by a condition: each rearrange sees a constant.
    if (odd) {
      low.rearrange(ODD).blend(high.rearrange(ODD), HIGH).intoArray(out, o);
    } else {
      low.rearrange(EVEN).blend(high.rearrange(EVEN), HIGH).intoArray(out, o);
    }
  }

  /** {@code out[at + 2 i] := even[e + i], out[at + 2 i + 1] := odd[d + i]} for i in [0, L). */
  static void merge(float[] even, int e, float[] odd, int d, float[] out, int at) {
    FloatVector ve = FloatVector.fromArray(S, even, e);
    FloatVector vo = FloatVector.fromArray(S, odd, d);
    ve.rearrange(SPREAD_LOW).blend(vo.rearrange(SPREAD_LOW), ODD_LANES).intoArray(out, at);
    ve.rearrange(SPREAD_HIGH).blend(vo.rearrange(SPREAD_HIGH), ODD_LANES).intoArray(out, at + L);
  }
}

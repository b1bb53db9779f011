package org.autoprop.kernel.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.autoprop.kernel.MergeKernels;

/**
 * Vector API {@link MergeKernels}: a {@code loopBound} main loop and a scalar tail. The
 * comparison masks are data (blend operands), not loop masks, so JDK 17 compiles them to blends.
 */
final class VectorMerge implements MergeKernels {
  private static final VectorSpecies<Float> S = VectorKernelProvider.SPECIES;
  private static final int L = S.length();

  @Override
  public void countTies(float[] x, int xOff, float[] y, int yOff, float[] cnt, int cOff, int n) {
    FloatVector one = FloatVector.broadcast(S, 1f);
    int i = 0;
    for (int bound = S.loopBound(n); i < bound; i += L) {
      VectorMask<Float> eq = FloatVector.fromArray(S, x, xOff + i).compare(VectorOperators.EQ,
          FloatVector.fromArray(S, y, yOff + i));
      FloatVector c = FloatVector.fromArray(S, cnt, cOff + i);
      c.add(one, eq).intoArray(cnt, cOff + i);
    }
    for (; i < n; i++) {
      if (x[xOff + i] == y[yOff + i]) {
        cnt[cOff + i] += 1f;
      }
    }
  }

  @Override
  public void tieGradient(float[] x, int xOff, float[] y, int yOff, float[] g, int gOff,
      float[] cnt, int cOff, float[] out, int oOff, int n) {
    FloatVector zero = FloatVector.zero(S);
    int i = 0;
    for (int bound = S.loopBound(n); i < bound; i += L) {
      VectorMask<Float> eq = FloatVector.fromArray(S, x, xOff + i).compare(VectorOperators.EQ,
          FloatVector.fromArray(S, y, yOff + i));
      FloatVector share = FloatVector.fromArray(S, g, gOff + i).div(FloatVector.fromArray(S, cnt, cOff + i));
      zero.blend(share, eq).intoArray(out, oOff + i);
    }
    for (; i < n; i++) {
      out[oOff + i] = x[xOff + i] == y[yOff + i] ? g[gOff + i] / cnt[cOff + i] : 0f;
    }
  }
}

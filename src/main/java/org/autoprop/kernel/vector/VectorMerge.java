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

  @Override
  public void sum3(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, float s, float[] out, int oOff, int n) {
    int i = 0;
    for (int bound = S.loopBound(n); i < bound; i += L) {
      FloatVector.fromArray(S, a, aOff + i).add(FloatVector.fromArray(S, b, bOff + i))
          .add(FloatVector.fromArray(S, c, cOff + i)).mul(s).intoArray(out, oOff + i);
    }
    for (; i < n; i++) {
      out[oOff + i] = (a[aOff + i] + b[bOff + i] + c[cOff + i]) * s;
    }
  }

  @Override
  public void sub3(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, float[] out, int oOff, int n) {
    int i = 0;
    for (int bound = S.loopBound(n); i < bound; i += L) {
      FloatVector.fromArray(S, a, aOff + i).sub(FloatVector.fromArray(S, b, bOff + i))
          .sub(FloatVector.fromArray(S, c, cOff + i)).intoArray(out, oOff + i);
    }
    for (; i < n; i++) {
      out[oOff + i] = a[aOff + i] - b[bOff + i] - c[cOff + i];
    }
  }

  @Override
  public void mul3(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, float[] out, int oOff, int n) {
    int i = 0;
    for (int bound = S.loopBound(n); i < bound; i += L) {
      FloatVector.fromArray(S, a, aOff + i).mul(FloatVector.fromArray(S, b, bOff + i))
          .mul(FloatVector.fromArray(S, c, cOff + i)).intoArray(out, oOff + i);
    }
    for (; i < n; i++) {
      out[oOff + i] = a[aOff + i] * b[bOff + i] * c[cOff + i];
    }
  }

  @Override
  public void max3(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, float[] out, int oOff, int n) {
    int i = 0;
    for (int bound = S.loopBound(n); i < bound; i += L) {
      FloatVector.fromArray(S, a, aOff + i).max(FloatVector.fromArray(S, b, bOff + i))
          .max(FloatVector.fromArray(S, c, cOff + i)).intoArray(out, oOff + i);
    }
    for (; i < n; i++) {
      out[oOff + i] = Math.max(Math.max(a[aOff + i], b[bOff + i]), c[cOff + i]);
    }
  }

  @Override
  public void min3(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, float[] out, int oOff, int n) {
    int i = 0;
    for (int bound = S.loopBound(n); i < bound; i += L) {
      FloatVector.fromArray(S, a, aOff + i).min(FloatVector.fromArray(S, b, bOff + i))
          .min(FloatVector.fromArray(S, c, cOff + i)).intoArray(out, oOff + i);
    }
    for (; i < n; i++) {
      out[oOff + i] = Math.min(Math.min(a[aOff + i], b[bOff + i]), c[cOff + i]);
    }
  }

  @Override
  public void mul3Backward(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, float[] g, int gOff,
      float[] ga, int gaOff, float[] gb, int gbOff, float[] gc, int gcOff, int n) {
    int i = 0;
    for (int bound = S.loopBound(n); i < bound; i += L) {
      FloatVector x = FloatVector.fromArray(S, a, aOff + i);
      FloatVector y = FloatVector.fromArray(S, b, bOff + i);
      FloatVector z = FloatVector.fromArray(S, c, cOff + i);
      FloatVector d = FloatVector.fromArray(S, g, gOff + i);
      d.mul(y).mul(z).intoArray(ga, gaOff + i);
      FloatVector dx = d.mul(x);
      dx.mul(z).intoArray(gb, gbOff + i);
      dx.mul(y).intoArray(gc, gcOff + i);
    }
    for (; i < n; i++) {
      float x = a[aOff + i];
      float y = b[bOff + i];
      float z = c[cOff + i];
      float d = g[gOff + i];
      ga[gaOff + i] = d * y * z;
      gb[gbOff + i] = d * x * z;
      gc[gcOff + i] = d * x * y;
    }
  }

  @Override
  public void extreme3Backward(boolean max, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff,
      float[] g, int gOff, float[] ga, int gaOff, float[] gb, int gbOff, float[] gc, int gcOff, int n) {
    if (max) {
      extreme3Max(a, aOff, b, bOff, c, cOff, g, gOff, ga, gaOff, gb, gbOff, gc, gcOff, n);
    } else {
      extreme3Min(a, aOff, b, bOff, c, cOff, g, gOff, ga, gaOff, gb, gbOff, gc, gcOff, n);
    }
    int i = S.loopBound(n);
    for (; i < n; i++) {
      float x = a[aOff + i];
      float y = b[bOff + i];
      float z = c[cOff + i];
      float e = max ? Math.max(Math.max(x, y), z) : Math.min(Math.min(x, y), z);
      float ties = (x == e ? 1f : 0f) + (y == e ? 1f : 0f) + (z == e ? 1f : 0f);
      float share = g[gOff + i] / ties;
      ga[gaOff + i] = x == e ? share : 0f;
      gb[gbOff + i] = y == e ? share : 0f;
      gc[gcOff + i] = z == e ? share : 0f;
    }
  }

  /** The vector part of {@link #extreme3Backward} for MAX (a separate loop per operation keeps it intrinsic). */
  private static void extreme3Max(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff,
      float[] g, int gOff, float[] ga, int gaOff, float[] gb, int gbOff, float[] gc, int gcOff, int n) {
    FloatVector zero = FloatVector.zero(S);
    FloatVector one = FloatVector.broadcast(S, 1f);
    for (int i = 0, bound = S.loopBound(n); i < bound; i += L) {
      FloatVector x = FloatVector.fromArray(S, a, aOff + i);
      FloatVector y = FloatVector.fromArray(S, b, bOff + i);
      FloatVector z = FloatVector.fromArray(S, c, cOff + i);
      FloatVector e = x.max(y).max(z);
      VectorMask<Float> ex = x.compare(VectorOperators.EQ, e);
      VectorMask<Float> ey = y.compare(VectorOperators.EQ, e);
      VectorMask<Float> ez = z.compare(VectorOperators.EQ, e);
      FloatVector ties = zero.blend(one, ex).add(zero.blend(one, ey)).add(zero.blend(one, ez));
      FloatVector share = FloatVector.fromArray(S, g, gOff + i).div(ties);
      zero.blend(share, ex).intoArray(ga, gaOff + i);
      zero.blend(share, ey).intoArray(gb, gbOff + i);
      zero.blend(share, ez).intoArray(gc, gcOff + i);
    }
  }

  /** The vector part of {@link #extreme3Backward} for MIN. */
  private static void extreme3Min(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff,
      float[] g, int gOff, float[] ga, int gaOff, float[] gb, int gbOff, float[] gc, int gcOff, int n) {
    FloatVector zero = FloatVector.zero(S);
    FloatVector one = FloatVector.broadcast(S, 1f);
    for (int i = 0, bound = S.loopBound(n); i < bound; i += L) {
      FloatVector x = FloatVector.fromArray(S, a, aOff + i);
      FloatVector y = FloatVector.fromArray(S, b, bOff + i);
      FloatVector z = FloatVector.fromArray(S, c, cOff + i);
      FloatVector e = x.min(y).min(z);
      VectorMask<Float> ex = x.compare(VectorOperators.EQ, e);
      VectorMask<Float> ey = y.compare(VectorOperators.EQ, e);
      VectorMask<Float> ez = z.compare(VectorOperators.EQ, e);
      FloatVector ties = zero.blend(one, ex).add(zero.blend(one, ey)).add(zero.blend(one, ez));
      FloatVector share = FloatVector.fromArray(S, g, gOff + i).div(ties);
      zero.blend(share, ex).intoArray(ga, gaOff + i);
      zero.blend(share, ey).intoArray(gb, gbOff + i);
      zero.blend(share, ez).intoArray(gc, gcOff + i);
    }
  }
}

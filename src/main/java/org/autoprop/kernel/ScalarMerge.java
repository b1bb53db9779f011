package org.autoprop.kernel;

/** Scalar twin of the {@link MergeKernels}: plain loops, the oracle and the fallback. */
final class ScalarMerge implements MergeKernels {
  @Override
  public void countTies(float[] x, int xOff, float[] y, int yOff, float[] cnt, int cOff, int n) {
    for (int i = 0; i < n; i++) {
      if (x[xOff + i] == y[yOff + i]) {
        cnt[cOff + i] += 1f;
      }
    }
  }

  @Override
  public void tieGradient(float[] x, int xOff, float[] y, int yOff, float[] g, int gOff,
      float[] cnt, int cOff, float[] out, int oOff, int n) {
    for (int i = 0; i < n; i++) {
      out[oOff + i] = x[xOff + i] == y[yOff + i] ? g[gOff + i] / cnt[cOff + i] : 0f;
    }
  }

  @Override
  public void sum3(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, float s, float[] out, int oOff, int n) {
    for (int i = 0; i < n; i++) {
      out[oOff + i] = (a[aOff + i] + b[bOff + i] + c[cOff + i]) * s;
    }
  }

  @Override
  public void sub3(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, float[] out, int oOff, int n) {
    for (int i = 0; i < n; i++) {
      out[oOff + i] = a[aOff + i] - b[bOff + i] - c[cOff + i];
    }
  }

  @Override
  public void mul3(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, float[] out, int oOff, int n) {
    for (int i = 0; i < n; i++) {
      out[oOff + i] = a[aOff + i] * b[bOff + i] * c[cOff + i];
    }
  }

  @Override
  public void max3(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, float[] out, int oOff, int n) {
    for (int i = 0; i < n; i++) {
      out[oOff + i] = Math.max(Math.max(a[aOff + i], b[bOff + i]), c[cOff + i]);
    }
  }

  @Override
  public void min3(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, float[] out, int oOff, int n) {
    for (int i = 0; i < n; i++) {
      out[oOff + i] = Math.min(Math.min(a[aOff + i], b[bOff + i]), c[cOff + i]);
    }
  }

  @Override
  public void mul3Backward(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, float[] g, int gOff,
      float[] ga, int gaOff, float[] gb, int gbOff, float[] gc, int gcOff, int n) {
    for (int i = 0; i < n; i++) {
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
    for (int i = 0; i < n; i++) {
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
}

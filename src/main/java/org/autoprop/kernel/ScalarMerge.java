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
}

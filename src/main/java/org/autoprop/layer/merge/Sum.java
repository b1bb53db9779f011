package org.autoprop.layer.merge;

import org.autoprop.kernel.ElementwiseKernels;
import org.autoprop.kernel.MergeKernels;

/** SUM: {@code y = x0 + ... + xk}, broadcasting; each input gets {@code g}. */
public final class Sum extends LinearRule {
  /** The rule of {@code MergeMode.SUM}. */
  public Sum() {
    super("SUM");
  }

  @Override
  void fold(ElementwiseKernels ew, float[] y, float[] e, int eOff, int n) {
    ew.add(y, 0, e, eOff, y, 0, n);
  }

  @Override
  void combine3(MergeKernels mk, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff,
      float[] out, int oOff, int n) {
    mk.sum3(a, aOff, b, bOff, c, cOff, 1f, out, oOff, n);
  }

  @Override
  float coefficient(int i, int k) {
    return 1f;
  }
}

package org.autoprop.layer.merge;

import org.autoprop.kernel.ElementwiseKernels;
import org.autoprop.kernel.MergeKernels;

/**
 * SUB: {@code y = x0 - x1 - ... - xk}, broadcasting; {@code x0} gets {@code g}, the others
 * {@code -g}.
 */
public final class Sub extends LinearRule {
  /** The rule of {@code MergeMode.SUB}. */
  public Sub() {
    super("SUB");
  }

  @Override
  void fold(ElementwiseKernels ew, float[] y, float[] e, int eOff, int n) {
    ew.sub(y, 0, e, eOff, y, 0, n);
  }

  @Override
  void combine3(MergeKernels mk, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff,
      float[] out, int oOff, int n) {
    mk.sub3(a, aOff, b, bOff, c, cOff, out, oOff, n);
  }

  @Override
  float coefficient(int i, int k) {
    return i == 0 ? 1f : -1f;
  }
}

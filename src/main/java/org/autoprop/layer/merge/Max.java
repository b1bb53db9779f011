package org.autoprop.layer.merge;

import org.autoprop.kernel.ElementwiseKernels;
import org.autoprop.kernel.MergeKernels;

/**
 * MAX: the elementwise maximum, broadcasting; {@code g} goes to the inputs equal to the
 * maximum, split equally among ties.
 */
public final class Max extends ExtremeRule {
  /** The rule of {@code MergeMode.MAX}. */
  public Max() {
    super("MAX", true);
  }

  @Override
  void fold(ElementwiseKernels ew, float[] y, float[] e, int eOff, int n) {
    ew.max(y, 0, e, eOff, y, 0, n);
  }

  @Override
  void combine3(MergeKernels mk, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff,
      float[] out, int oOff, int n) {
    mk.max3(a, aOff, b, bOff, c, cOff, out, oOff, n);
  }
}

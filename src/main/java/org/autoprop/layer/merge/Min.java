package org.autoprop.layer.merge;

import org.autoprop.kernel.ElementwiseKernels;
import org.autoprop.kernel.MergeKernels;

/**
 * MIN: the elementwise minimum, broadcasting; {@code g} goes to the inputs equal to the
 * minimum, split equally among ties.
 */
public final class Min extends ExtremeRule {
  /** The rule of {@code MergeMode.MIN}. */
  public Min() {
    super("MIN", false);
  }

  @Override
  void fold(ElementwiseKernels ew, float[] y, float[] e, int eOff, int n) {
    ew.min(y, 0, e, eOff, y, 0, n);
  }

  @Override
  void combine3(MergeKernels mk, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff,
      float[] out, int oOff, int n) {
    mk.min3(a, aOff, b, bOff, c, cOff, out, oOff, n);
  }
}

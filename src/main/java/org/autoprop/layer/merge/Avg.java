package org.autoprop.layer.merge;

import java.util.List;
import org.autoprop.kernel.ElementwiseKernels;
import org.autoprop.kernel.MergeKernels;
import org.autoprop.tensor.Shape;

/**
 * AVG: {@code y = (x0 + ... + xk) / (k + 1)}, broadcasting; each input gets {@code g / (k + 1)}.
 * Counts {@code k + 1} FLOPs per output element (the adds and the scaling).
 */
public final class Avg extends LinearRule {
  /** The rule of {@code MergeMode.AVG}. */
  public Avg() {
    super("AVG");
  }

  @Override
  long flops(List<Shape> inputs, Shape out) {
    return inputs.size() * (long) out.size();
  }

  @Override
  void fold(ElementwiseKernels ew, float[] y, float[] e, int eOff, int n) {
    ew.add(y, 0, e, eOff, y, 0, n);
  }

  @Override
  void finishFold(ElementwiseKernels ew, float[] y, int k, int n) {
    ew.scale(1f / k, y, 0, y, 0, n);
  }

  @Override
  void combine3(MergeKernels mk, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff,
      float[] out, int oOff, int n) {
    mk.sum3(a, aOff, b, bOff, c, cOff, 1f / 3, out, oOff, n);
  }

  @Override
  float coefficient(int i, int k) {
    return 1f / k;
  }
}

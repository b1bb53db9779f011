package org.autoprop.layer.merge;

import org.autoprop.kernel.ElementwiseKernels;
import org.autoprop.kernel.MergeKernels;
import org.autoprop.tensor.Tensor;

/**
 * HADAMARD: {@code y = x0 * ... * xk}, broadcasting; {@code xi} gets {@code g} times the product
 * of the others.
 */
public final class Hadamard extends ElementwiseRule {
  private static final Merge.Loop ONE_PASS_BACKWARD = (m, from, to) -> {
    Tensor a = m.operand(0);
    Tensor b = m.operand(1);
    Tensor c = m.operand(2);
    Tensor g = m.upstream();
    m.mk.mul3Backward(a.data(), a.offset() + from, b.data(), b.offset() + from, c.data(), c.offset() + from,
        g.data(), g.offset() + from, m.gradient(0).data(), from, m.gradient(1).data(), from,
        m.gradient(2).data(), from, to - from);
  };

  /** The rule of {@code MergeMode.HADAMARD}. */
  public Hadamard() {
    super("HADAMARD");
  }

  @Override
  void fold(ElementwiseKernels ew, float[] y, float[] e, int eOff, int n) {
    ew.mul(y, 0, e, eOff, y, 0, n);
  }

  @Override
  void combine3(MergeKernels mk, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff,
      float[] out, int oOff, int n) {
    mk.mul3(a, aOff, b, bOff, c, cOff, out, oOff, n);
  }

  @Override
  void backward(Merge m, Tensor g) {
    int n = g.size();
    if (m.onePass()) {
      m.split(n, ONE_PASS_BACKWARD);
      return;
    }
    int k = m.inputs();
    for (int i = 0; i < k; i++) {
      Tensor target = m.broadcast(i) ? m.scratch() : m.gradient(i);
      float[] t = target.data();
      System.arraycopy(g.data(), g.offset(), t, 0, n);
      for (int j = 0; j < k; j++) {
        if (j != i) {
          m.ew.mul(t, 0, m.operand(j).data(), m.operand(j).offset(), t, 0, n);
        }
      }
      if (m.broadcast(i)) {
        m.reduceInto(i, target);
      }
    }
  }
}

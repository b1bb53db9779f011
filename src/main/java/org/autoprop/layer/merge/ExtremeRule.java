package org.autoprop.layer.merge;

import org.autoprop.tensor.Tensor;

/**
 * The backward of MAX and MIN: {@code g} goes to the inputs equal to the extreme, split equally
 * among ties; each subclass gives its forward kernels.
 */
abstract class ExtremeRule extends ElementwiseRule {
  private final Merge.Loop onePassBackward;

  /** {@code max}: which extreme, for the one-pass backward kernel. */
  ExtremeRule(String name, boolean max) {
    super(name);
    onePassBackward = (m, from, to) -> {
      Tensor a = m.operand(0);
      Tensor b = m.operand(1);
      Tensor c = m.operand(2);
      Tensor g = m.upstream();
      m.mk.extreme3Backward(max, a.data(), a.offset() + from, b.data(), b.offset() + from,
          c.data(), c.offset() + from, g.data(), g.offset() + from,
          m.gradient(0).data(), from, m.gradient(1).data(), from, m.gradient(2).data(), from, to - from);
    };
  }

  @Override
  final void backward(Merge m, Tensor g) {
    int n = g.size();
    if (m.onePass()) {
      m.split(n, onePassBackward);
      return;
    }
    Tensor cnt = m.counts();
    cnt.fill(0f);
    float[] y = m.output().data();
    int k = m.inputs();
    for (int i = 0; i < k; i++) {
      Tensor e = m.operand(i);
      m.mk.countTies(e.data(), e.offset(), y, 0, cnt.data(), 0, n);
    }
    for (int i = 0; i < k; i++) {
      Tensor target = m.broadcast(i) ? m.scratch() : m.gradient(i);
      Tensor e = m.operand(i);
      m.mk.tieGradient(e.data(), e.offset(), y, 0, g.data(), g.offset(), cnt.data(), 0, target.data(), 0, n);
      if (m.broadcast(i)) {
        m.reduceInto(i, target);
      }
    }
  }
}

package org.autoprop.layer.merge;

import org.autoprop.tensor.Tensor;

/**
 * An elementwise mode that is linear in each input, {@code y = sum_i c_i * x_i}: input {@code i}
 * gets {@code c_i * g}, summed over its broadcast axes. Inputs that are not broadcast share their
 * gradient tensor: {@code g} itself where {@code c_i = 1}, else one scaled copy per coefficient
 * (SUB's inputs after the first all get {@code -g}, AVG's all {@code g / k}).
 */
abstract class LinearRule extends ElementwiseRule {
  LinearRule(String name) {
    super(name);
  }

  /** The coefficient {@code c_i = dy / dx_i} of input {@code i} of {@code k}. */
  abstract float coefficient(int i, int k);

  @Override
  final void backward(Merge m, Tensor g) {
    int k = m.inputs();
    int scaled = -1;
    for (int i = 0; i < k; i++) {
      float f = coefficient(i, k);
      Tensor gi = m.gradient(i);
      if (!m.broadcast(i)) {
        if (f == 1f) {
          m.handBack(i, g);
        } else if (scaled >= 0 && coefficient(scaled, k) == f) {
          m.handBack(i, m.gradient(scaled));
        } else {
          m.scaleUpstream(f, gi);
          scaled = i;
        }
      } else {
        m.reduceInto(i, g);
        if (f != 1f) {
          m.ew.scale(f, gi.data(), 0, gi.data(), 0, gi.size());
        }
      }
    }
  }
}

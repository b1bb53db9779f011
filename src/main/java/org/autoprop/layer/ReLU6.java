package org.autoprop.layer;

import org.autoprop.tensor.Tensor;

/** y = min(max(x, 0), 6); gx = g where 0 &lt; x &lt; 6, else 0. */
public final class ReLU6 extends Activation {
  /** A ReLU6. */
  public ReLU6() {}

  @Override
  protected void apply(Tensor x, Tensor y) {
    activations.relu6(x.data(), x.offset(), y.data(), 0, y.size());
  }

  @Override
  protected void applyBackward(Tensor x, Tensor y, Tensor g, Tensor gx) {
    activations.relu6Backward(x.data(), x.offset(), g.data(), g.offset(), gx.data(), 0, gx.size());
  }
}

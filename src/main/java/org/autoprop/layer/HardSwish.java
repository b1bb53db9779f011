package org.autoprop.layer;

import org.autoprop.tensor.Tensor;

/** y = x * min(max(x + 3, 0), 6) / 6; at the kinks -3 and 3 the gradient follows PyTorch (0 below -3, x/3 + 1/2 up to 3 inclusive, 1 above). */
public final class HardSwish extends Activation {
  /** A HardSwish. */
  public HardSwish() {}

  @Override
  protected void apply(Tensor x, Tensor y) {
    activations.hardSwish(x.data(), x.offset(), y.data(), 0, y.size());
  }

  @Override
  protected void applyBackward(Tensor x, Tensor y, Tensor g, Tensor gx) {
    activations.hardSwishBackward(x.data(), x.offset(), g.data(), g.offset(), gx.data(), 0, gx.size());
  }
}

package org.autoprop.layer;

import org.autoprop.tensor.Tensor;

/** y = x * sigmoid(x) (also called Swish-1); see {@link Swish} for a general beta. */
public final class SiLU extends Activation {
  /** A SiLU. */
  public SiLU() {}

  @Override
  protected void apply(Tensor x, Tensor y) {
    activations.swish(1f, x.data(), x.offset(), y.data(), 0, y.size());
  }

  @Override
  protected void applyBackward(Tensor x, Tensor y, Tensor g, Tensor gx) {
    activations.swishBackward(1f, x.data(), x.offset(), g.data(), g.offset(), gx.data(), 0, gx.size());
  }
}

package org.autoprop.layer;

import org.autoprop.tensor.Tensor;

/** y = scale * (x &gt; 0 ? x : alpha * (exp(x) - 1)) with PyTorch's constants (scale 1.0507..., alpha 1.6732...). */
public final class SELU extends Activation {
  /** A SELU. */
  public SELU() {}

  @Override
  protected void apply(Tensor x, Tensor y) {
    activations.selu(x.data(), x.offset(), y.data(), 0, y.size());
  }

  @Override
  protected void applyBackward(Tensor x, Tensor y, Tensor g, Tensor gx) {
    activations.seluBackward(x.data(), x.offset(), y.data(), 0, g.data(), g.offset(), gx.data(), 0, gx.size());
  }
}

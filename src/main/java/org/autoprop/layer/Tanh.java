package org.autoprop.layer;

import org.autoprop.tensor.Tensor;

/** y = tanh(x); gx = g * (1 - y^2) (from the output). */
public final class Tanh extends Activation {
  /** A tanh. */
  public Tanh() {}

  @Override
  protected void apply(Tensor x, Tensor y) {
    activations.tanh(x.data(), x.offset(), y.data(), 0, y.size());
  }

  @Override
  protected void applyBackward(Tensor x, Tensor y, Tensor g, Tensor gx) {
    activations.tanhBackward(y.data(), 0, g.data(), g.offset(), gx.data(), 0, gx.size());
  }
}

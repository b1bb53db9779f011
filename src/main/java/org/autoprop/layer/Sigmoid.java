package org.autoprop.layer;

import org.autoprop.tensor.Tensor;

/** y = 1 / (1 + exp(-x)); gx = g * y * (1 - y) (from the output). No NaN or overflow at any input. */
public final class Sigmoid extends Activation {
  /** A sigmoid. */
  public Sigmoid() {}

  @Override
  protected void apply(Tensor x, Tensor y) {
    activations.sigmoid(x.data(), x.offset(), y.data(), 0, y.size());
  }

  @Override
  protected void applyBackward(Tensor x, Tensor y, Tensor g, Tensor gx) {
    activations.sigmoidBackward(y.data(), 0, g.data(), g.offset(), gx.data(), 0, gx.size());
  }
}

package org.autoprop.layer;

import org.autoprop.tensor.Tensor;

/** y = x &gt; 0 ? x : slope * x (PyTorch's negative_slope, default 0.01). */
public final class LeakyReLU extends Activation {
  private final float slope;

  /** slope 0.01, as PyTorch. */
  public LeakyReLU() {
    this(0.01);
  }

  /**
   * @param slope the slope for negative inputs
   * @throws IllegalArgumentException if {@code slope} is negative or not finite
   */
  public LeakyReLU(double slope) {
    this.slope = atLeast("LeakyReLU", "slope", slope, 0);
  }

  /** The slope for negative inputs. */
  public float slope() {
    return slope;
  }

  @Override
  public String toString() {
    return "LeakyReLU(slope=" + slope + ")";
  }

  @Override
  protected void apply(Tensor x, Tensor y) {
    activations.leakyRelu(slope, x.data(), x.offset(), y.data(), 0, y.size());
  }

  @Override
  protected void applyBackward(Tensor x, Tensor y, Tensor g, Tensor gx) {
    activations.leakyReluBackward(slope, x.data(), x.offset(), g.data(), g.offset(), gx.data(), 0, gx.size());
  }
}

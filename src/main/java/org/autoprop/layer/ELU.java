package org.autoprop.layer;

import org.autoprop.tensor.Tensor;

/** y = x &gt; 0 ? x : alpha * (exp(x) - 1) (default alpha 1); gx = g or g * (y + alpha). */
public final class ELU extends Activation {
  private final float alpha;

  /** alpha 1, as PyTorch. */
  public ELU() {
    this(1.0);
  }

  /**
   * @param alpha the saturation value for negative inputs is -alpha
   * @throws IllegalArgumentException if {@code alpha} is negative or not finite
   */
  public ELU(double alpha) {
    this.alpha = atLeast("ELU", "alpha", alpha, 0);
  }

  /** The alpha. */
  public float alpha() {
    return alpha;
  }

  @Override
  public String toString() {
    return "ELU(alpha=" + alpha + ")";
  }

  @Override
  protected void apply(Tensor x, Tensor y) {
    activations.elu(alpha, x.data(), x.offset(), y.data(), 0, y.size());
  }

  @Override
  protected void applyBackward(Tensor x, Tensor y, Tensor g, Tensor gx) {
    activations.eluBackward(alpha, x.data(), x.offset(), y.data(), 0, g.data(), g.offset(), gx.data(), 0, gx.size());
  }
}

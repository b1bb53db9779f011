package org.autoprop.layer;

import org.autoprop.tensor.Tensor;

/** y = x * sigmoid(beta * x); {@code Swish()} (beta 1) equals {@link SiLU} numerically. */
public final class Swish extends Activation {
  private final float beta;

  /** beta 1 (the same function as SiLU). */
  public Swish() {
    this(1.0);
  }

  /**
   * @param beta the sigmoid's scale
   * @throws IllegalArgumentException if {@code beta} is not finite
   */
  public Swish(double beta) {
    this.beta = finite("Swish", "beta", beta);
  }

  /** The beta. */
  public float beta() {
    return beta;
  }

  @Override
  public String toString() {
    return "Swish(beta=" + beta + ")";
  }

  @Override
  protected void apply(Tensor x, Tensor y) {
    activations.swish(beta, x.data(), x.offset(), y.data(), 0, y.size());
  }

  @Override
  protected void applyBackward(Tensor x, Tensor y, Tensor g, Tensor gx) {
    activations.swishBackward(beta, x.data(), x.offset(), g.data(), g.offset(), gx.data(), 0, gx.size());
  }
}

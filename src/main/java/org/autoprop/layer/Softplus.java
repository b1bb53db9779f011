package org.autoprop.layer;

import org.autoprop.tensor.Tensor;

/** y = log(1 + exp(beta * x)) / beta, and y = x where beta * x &gt; threshold (PyTorch, defaults beta 1, threshold 20); gx = g * sigmoid(beta * x), or g above the threshold. */
public final class Softplus extends Activation {
  private final float beta;
  private final float threshold;

  /** beta 1, threshold 20, as PyTorch. */
  public Softplus() {
    this(1.0, 20.0);
  }

  /**
   * @param beta the scale of the input
   * @param threshold above which (in units of beta * x) the function is the identity
   * @throws IllegalArgumentException if {@code beta} is not finite and positive, or
   *     {@code threshold} not finite
   */
  public Softplus(double beta, double threshold) {
    this.beta = positive("Softplus", "beta", beta);
    this.threshold = finite("Softplus", "threshold", threshold);
  }

  /** The beta. */
  public float beta() {
    return beta;
  }

  /** The threshold. */
  public float threshold() {
    return threshold;
  }

  @Override
  public String toString() {
    return "Softplus(beta=" + beta + ", threshold=" + threshold + ")";
  }

  @Override
  protected void apply(Tensor x, Tensor y) {
    activations.softplus(beta, threshold, x.data(), x.offset(), y.data(), 0, y.size());
  }

  @Override
  protected void applyBackward(Tensor x, Tensor y, Tensor g, Tensor gx) {
    activations.softplusBackward(beta, threshold, x.data(), x.offset(), g.data(), g.offset(), gx.data(), 0, gx.size());
  }
}

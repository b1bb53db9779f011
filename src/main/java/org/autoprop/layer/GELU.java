package org.autoprop.layer;

import org.autoprop.tensor.Tensor;

/** y = x * Phi(x), Phi the standard normal CDF: the exact erf form by default (PyTorch approximate=&quot;none&quot;), or the tanh approximation (approximate=&quot;tanh&quot;). */
public final class GELU extends Activation {
  private final boolean tanhApproximation;

  /** The exact (erf) GELU. */
  public GELU() {
    this(false);
  }

  /** @param tanhApproximation true for 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) */
  public GELU(boolean tanhApproximation) {
    this.tanhApproximation = tanhApproximation;
  }

  /** True for the tanh approximation. */
  public boolean tanhApproximation() {
    return tanhApproximation;
  }

  @Override
  public String toString() {
    return tanhApproximation ? "GELU(approximate=tanh)" : "GELU";
  }

  @Override
  protected void apply(Tensor x, Tensor y) {
    if (tanhApproximation) {
      activations.geluTanh(x.data(), x.offset(), y.data(), 0, y.size());
    } else {
      activations.gelu(x.data(), x.offset(), y.data(), 0, y.size());
    }
  }

  @Override
  protected void applyBackward(Tensor x, Tensor y, Tensor g, Tensor gx) {
    if (tanhApproximation) {
      activations.geluTanhBackward(x.data(), x.offset(), g.data(), g.offset(), gx.data(), 0, gx.size());
    } else {
      activations.geluBackward(x.data(), x.offset(), g.data(), g.offset(), gx.data(), 0, gx.size());
    }
  }
}

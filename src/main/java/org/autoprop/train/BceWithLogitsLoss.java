package org.autoprop.train;

import java.util.Objects;
import org.autoprop.tensor.Tensor;

/**
 * Binary cross-entropy on logits, as PyTorch's {@code BCEWithLogitsLoss}: per element
 * {@code max(x, 0) - x t + log(1 + exp(-|x|))} (stable for any x), targets in [0, 1]; the gradient
 * is {@code sigmoid(x) - t}, divided by the number of elements for MEAN.
 */
public final class BceWithLogitsLoss implements Loss<Tensor> {
  private final Reduction reduction;
  private Tensor input;
  private Tensor target;
  private Tensor grad;

  /** Mean reduction. */
  public BceWithLogitsLoss() {
    this(Reduction.MEAN);
  }

  /** @param reduction MEAN over elements or SUM */
  public BceWithLogitsLoss(Reduction reduction) {
    LossSupport.meanOrSum("BCEWithLogits", reduction);
    this.reduction = reduction;
  }

  @Override
  public double forward(Tensor x, Tensor t) {
    LossSupport.checkSameShape(name(), x, t);
    // Keep copies: the caller may reuse its tensors before backward.
    input = Tensor.reuse(input, x.shape()).copyFrom(x);
    target = Tensor.reuse(target, t.shape()).copyFrom(t);
    float[] xd = input.data();
    float[] td = target.data();
    double total = 0;
    int n = xd.length;
    for (int i = 0; i < n; i++) {
      double v = xd[i];
      total += Math.max(v, 0) - v * td[i] + Math.log1p(Math.exp(-Math.abs(v)));
    }
    return reduction == Reduction.MEAN && n > 0 ? total / n : total;
  }

  @Override
  public Tensor backward() {
    if (input == null) {
      throw LossSupport.backwardBeforeForward(name());
    }
    grad = Tensor.reuse(grad, input.shape());
    float[] xd = input.data();
    float[] td = target.data();
    float[] gd = grad.data();
    int n = xd.length;
    double scale = reduction == Reduction.MEAN && n > 0 ? 1.0 / n : 1.0;
    for (int i = 0; i < n; i++) {
      double v = xd[i];
      // sigmoid without overflow on either side
      double s = v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v));
      gd[i] = (float) ((s - td[i]) * scale);
    }
    return grad;
  }

  @Override
  public String name() {
    return "BCEWithLogits(" + reduction.name().toLowerCase(java.util.Locale.ROOT) + ")";
  }
}

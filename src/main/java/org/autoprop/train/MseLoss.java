package org.autoprop.train;

import java.util.Objects;
import org.autoprop.tensor.Tensor;

/**
 * Mean squared error, as PyTorch's {@code MSELoss}: {@code sum (x - t)^2}, divided by the number
 * of elements for MEAN; the gradient is {@code 2 (x - t)} (divided likewise).
 */
public final class MseLoss implements Loss<Tensor> {
  private final Reduction reduction;
  private Tensor diff;
  private Tensor grad;

  /** Mean reduction. */
  public MseLoss() {
    this(Reduction.MEAN);
  }

  /** @param reduction MEAN over elements or SUM */
  public MseLoss(Reduction reduction) {
    LossSupport.meanOrSum("MSE", reduction);
    this.reduction = reduction;
  }

  @Override
  public double forward(Tensor input, Tensor target) {
    LossSupport.checkSameShape(name(), input, target);
    diff = Tensor.reuse(diff, input.shape());
    float[] dd = diff.data();
    double total = 0;
    int n = input.size();
    Tensor x = input.contiguous();
    Tensor t = target.contiguous();
    float[] xd = x.data();
    float[] td = t.data();
    for (int i = 0; i < n; i++) {
      float d = xd[x.offset() + i] - td[t.offset() + i];
      dd[i] = d;
      total += (double) d * d;
    }
    return reduction == Reduction.MEAN && n > 0 ? total / n : total;
  }

  @Override
  public Tensor backward() {
    if (diff == null) {
      throw LossSupport.backwardBeforeForward(name());
    }
    grad = Tensor.reuse(grad, diff.shape());
    int n = diff.size();
    float scale = reduction == Reduction.MEAN && n > 0 ? 2f / n : 2f;
    float[] dd = diff.data();
    float[] gd = grad.data();
    for (int i = 0; i < n; i++) {
      gd[i] = scale * dd[i];
    }
    return grad;
  }

  @Override
  public String name() {
    return "MSE(" + reduction.name().toLowerCase(java.util.Locale.ROOT) + ")";
  }
}

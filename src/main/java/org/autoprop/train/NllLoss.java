package org.autoprop.train;

import java.util.Arrays;
import java.util.Objects;
import org.autoprop.tensor.Tensor;

/**
 * Negative log-likelihood on log-probabilities {@code [N, C]} (e.g. the output of a log-softmax)
 * with class-index labels, as PyTorch's {@code NLLLoss}: {@code -sum_i input[i, y_i]}, divided by N
 * for MEAN.
 */
public final class NllLoss implements Loss<int[]> {
  private final Reduction reduction;
  private Tensor grad;
  private int[] labels;
  private int n;
  private int c;

  /** Mean reduction. */
  public NllLoss() {
    this(Reduction.MEAN);
  }

  /** @param reduction MEAN over samples or SUM */
  public NllLoss(Reduction reduction) {
    LossSupport.meanOrSum("NLL", reduction);
    this.reduction = reduction;
  }

  @Override
  public double forward(Tensor input, int[] target) {
    LossSupport.checkClassification(name(), input, target);
    n = input.dim(0);
    c = input.dim(1);
    Tensor x = input.contiguous();
    float[] xd = x.data();
    double total = 0;
    for (int i = 0; i < n; i++) {
      total -= xd[x.offset() + i * c + target[i]];
    }
    labels = LossSupport.copyLabels(target, labels);
    grad = Tensor.reuse(grad, input.shape());
    return reduction == Reduction.MEAN ? total / n : total;
  }

  @Override
  public Tensor backward() {
    if (grad == null) {
      throw LossSupport.backwardBeforeForward(name());
    }
    float[] gd = grad.data();
    Arrays.fill(gd, 0f);
    float v = reduction == Reduction.MEAN ? -1f / n : -1f;
    for (int i = 0; i < n; i++) {
      gd[i * c + labels[i]] = v;
    }
    return grad;
  }

  @Override
  public String name() {
    return "NLL(" + reduction.name().toLowerCase(java.util.Locale.ROOT) + ")";
  }
}

package org.autoprop.train;

import java.util.Objects;
import org.autoprop.tensor.Tensor;

/**
 * Softmax cross-entropy on logits {@code [N, C]} with class-index labels, as PyTorch's
 * {@code CrossEntropyLoss}: per sample {@code -(1-s) log p[y] - (s/C) sum_c log p[c]} with
 * {@code log p = x - logsumexp(x)} and label smoothing {@code s}; the gradient is
 * {@code softmax(x) - q} with {@code q = (1-s) onehot(y) + s/C} (divided by N for MEAN).
 *
 * <p>Log-sum-exp subtracts the row maximum, in double precision, so large logits do not overflow.
 */
public final class CrossEntropyLoss implements Loss<int[]> {
  private final Reduction reduction;
  private final double smoothing;
  private Tensor probs;
  private Tensor grad;
  private int[] labels;
  private boolean gradReady;

  /** Mean reduction, no label smoothing. */
  public CrossEntropyLoss() {
    this(Reduction.MEAN, 0.0);
  }

  /**
   * @param reduction MEAN over samples or SUM
   * @param labelSmoothing in [0, 1]
   */
  public CrossEntropyLoss(Reduction reduction, double labelSmoothing) {
    Objects.requireNonNull(reduction, "reduction");
    if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) {
      throw new IllegalArgumentException(
          "CrossEntropy: label smoothing " + labelSmoothing + " (expected: 0 <= smoothing <= 1)");
    }
    this.reduction = reduction;
    this.smoothing = labelSmoothing;
  }

  @Override
  public double forward(Tensor input, int[] target) {
    LossSupport.checkClassification(name(), input, target);
    Tensor x = input.contiguous();
    int n = x.dim(0);
    int c = x.dim(1);
    probs = Tensor.reuse(probs, x.shape());
    float[] xd = x.data();
    float[] pd = probs.data();
    double total = 0;
    for (int i = 0; i < n; i++) {
      int row = x.offset() + i * c;
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < c; j++) {
        max = Math.max(max, xd[row + j]);
      }
      double sumExp = 0;
      double sumX = 0;
      for (int j = 0; j < c; j++) {
        double e = Math.exp(xd[row + j] - max);
        pd[i * c + j] = (float) e;
        sumExp += e;
        sumX += xd[row + j];
      }
      double lse = max + Math.log(sumExp);
      float inv = (float) (1.0 / sumExp);
      for (int j = 0; j < c; j++) {
        pd[i * c + j] *= inv;
      }
      double nllTerm = lse - xd[row + target[i]];
      double uniformTerm = lse - sumX / c; // -(1/C) sum_c log p[c]
      total += (1 - smoothing) * nllTerm + smoothing * uniformTerm;
    }
    labels = LossSupport.copyLabels(target, labels);
    gradReady = false;
    return reduction == Reduction.MEAN ? total / n : total;
  }

  @Override
  public Tensor backward() {
    LossSupport.checkForwardDone(name(), probs);
    if (gradReady) {
      return grad;
    }
    grad = Tensor.reuse(grad, probs.shape());
    int n = probs.dim(0);
    int c = probs.dim(1);
    float scale = reduction == Reduction.MEAN ? 1f / n : 1f;
    float off = (float) (smoothing / c);
    float hit = (float) (1 - smoothing);
    float[] pd = probs.data();
    float[] gd = grad.data();
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < c; j++) {
        gd[i * c + j] = (pd[i * c + j] - off) * scale;
      }
      gd[i * c + labels[i]] -= hit * scale;
    }
    gradReady = true;
    return grad;
  }

  @Override
  public String name() {
    return "CrossEntropy(" + reduction.name().toLowerCase(java.util.Locale.ROOT)
        + (smoothing > 0 ? ", smoothing=" + smoothing : "") + ")";
  }
}

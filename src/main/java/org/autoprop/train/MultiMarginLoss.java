package org.autoprop.train;

import java.util.Locale;
import java.util.Objects;
import org.autoprop.tensor.Tensor;

/**
 * Multi-class hinge loss, as PyTorch's {@code MultiMarginLoss}: for scores {@code x [N, C]} and
 * labels {@code y}, sample {@code i} costs
 * {@code sum_{j != y} w[y] max(0, margin - x[y] + x[j])^p / C} with {@code p} 1 or 2 and optional
 * class weights {@code w}. Each {@code j} with a positive hinge {@code z} adds
 * {@code w[y] (p = 1 ? 1 : 2z) / C} to the gradient of {@code x[j]} and takes it from
 * {@code x[y]}. MEAN divides by N; NONE keeps the N per-sample terms ({@link #losses()}).
 */
public final class MultiMarginLoss implements Loss<int[]> {
  private final int p;
  private final double margin;
  private final Tensor weight;
  private final Reduction reduction;
  private final String name;
  private Tensor input;
  private Tensor losses;
  private Tensor grad;
  private int[] labels;

  /** PyTorch's defaults: p 1, margin 1, no weight, MEAN. */
  public MultiMarginLoss() {
    this(1, 1.0, null, Reduction.MEAN);
  }

  /**
   * @param p the hinge's exponent, 1 or 2
   * @param margin the margin (finite)
   * @param weight class weights {@code [C]} (finite), or null
   * @param reduction MEAN over samples, SUM or NONE
   */
  public MultiMarginLoss(int p, double margin, Tensor weight, Reduction reduction) {
    this.reduction = Objects.requireNonNull(reduction, "reduction");
    if (p != 1 && p != 2) {
      throw new IllegalArgumentException("MultiMargin: p " + p + " (expected: 1 or 2)");
    }
    if (!Double.isFinite(margin)) {
      throw new IllegalArgumentException("MultiMargin: margin " + margin + " (expected: finite)");
    }
    if (weight != null) {
      if (weight.rank() != 1) {
        throw new IllegalArgumentException("MultiMargin: weight " + weight.shape() + " (expected: [classes])");
      }
      LossSupport.checkFinite("MultiMargin", "weight", weight);
    }
    this.p = p;
    this.margin = margin;
    this.weight = weight == null ? null : weight.copy();
    this.name = describe();
  }

  /**
   * The reduced loss of scores {@code [N, C]} against N labels.
   *
   * @throws IllegalArgumentException for an input that is not {@code [N, C]}, an empty batch, a
   *     label count other than N, a label outside {@code [0, C)}, a weight not of length C, or a
   *     non-finite score
   */
  @Override
  public double forward(Tensor x, int[] target) {
    LossSupport.checkClassification(name(), x, target);
    int n = x.dim(0);
    int c = x.dim(1);
    if (weight != null && weight.size() != c) {
      throw new IllegalArgumentException(
          name() + ": weight " + weight.shape() + " for input " + x.shape() + " (expected: [" + c + "])");
    }
    LossSupport.checkFinite(name(), "input", x);
    input = Tensor.reuse(input, x.shape()).copyFrom(x);
    labels = LossSupport.copyLabels(target, labels);
    if (losses == null || losses.size() != n) {
      losses = Tensor.zeros(n);
    }
    float[] xd = input.data();
    float[] ld = losses.data();
    double total = 0;
    for (int i = 0; i < n; i++) {
      int y = target[i];
      double xy = xd[i * c + y];
      double sum = 0;
      for (int j = 0; j < c; j++) {
        double z = margin - xy + xd[i * c + j];
        if (j != y && z > 0) {
          sum += p == 1 ? z : z * z;
        }
      }
      double l = (weight == null ? 1 : weight.data()[y]) * sum / c;
      ld[i] = (float) l;
      total += l;
    }
    return LossSupport.reduce(reduction, total, n);
  }

  /** The per-sample terms {@code [N]} of the latest forward (PyTorch's {@code reduction='none'} output). */
  public Tensor losses() {
    if (input == null) {
      throw LossSupport.backwardBeforeForward(name());
    }
    return losses;
  }

  @Override
  public Tensor backward() {
    if (input == null) {
      throw LossSupport.backwardBeforeForward(name());
    }
    return gradient(null, reduction == Reduction.MEAN ? 1.0 / input.dim(0) : 1.0);
  }

  /**
   * The gradient of {@code sum(upstream * losses())} with respect to the input, whatever the
   * reduction.
   *
   * @throws IllegalArgumentException if {@code upstream} is not {@code [N]}
   */
  public Tensor backward(Tensor upstream) {
    if (input == null) {
      throw LossSupport.backwardBeforeForward(name());
    }
    LossSupport.checkUpstream(name(), losses, upstream);
    return gradient(upstream.contiguous(), 1.0);
  }

  private Tensor gradient(Tensor upstream, double scale) {
    int n = input.dim(0);
    int c = input.dim(1);
    grad = Tensor.reuse(grad, input.shape());
    float[] xd = input.data();
    float[] gd = grad.data();
    for (int i = 0; i < n; i++) {
      int y = labels[i];
      double s = scale * (weight == null ? 1 : weight.data()[y]) / c;
      if (upstream != null) {
        s *= upstream.data()[upstream.offset() + i];
      }
      double xy = xd[i * c + y];
      double gy = 0;
      for (int j = 0; j < c; j++) {
        double z = margin - xy + xd[i * c + j];
        double g = j != y && z > 0 ? s * (p == 1 ? 1 : 2 * z) : 0;
        gd[i * c + j] = (float) g;
        gy -= g;
      }
      gd[i * c + y] = (float) gy;
    }
    return grad;
  }

  /** {@code MultiMargin(mean, p=1, margin=1.0)}, with {@code weighted} when there are class weights. */
  @Override
  public String name() {
    return name;
  }

  private String describe() {
    return "MultiMargin(" + reduction.name().toLowerCase(Locale.ROOT) + ", p=" + p + ", margin=" + margin
        + (weight != null ? ", weighted" : "") + ")";
  }
}

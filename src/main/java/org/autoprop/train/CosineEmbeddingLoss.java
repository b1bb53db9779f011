package org.autoprop.train;

import java.util.Locale;
import java.util.Objects;
import org.autoprop.tensor.Tensor;

/**
 * Cosine embedding loss, as PyTorch's {@code CosineEmbeddingLoss}, on two inputs: rows
 * {@code a, b} of {@code [N, D]} inputs and a target of N values 1 (similar) or -1 (dissimilar).
 * With {@code cos = a.b / sqrt((|a|^2 + eps)(|b|^2 + eps))}, {@code eps = 1e-12} (PyTorch's), the
 * term is {@code 1 - cos} for target 1 and {@code max(0, cos - margin)} for -1; MEAN divides by N.
 *
 * <p><b>Two inputs.</b> {@link Loss} compares one prediction with a target, and this loss compares
 * two predictions (two towers of a siamese net, or two outputs of one graph), so it does not
 * implement {@code Loss}: {@link #forward(Tensor, Tensor, Tensor)} takes both inputs and the
 * target, and {@link #backward(int)} gives the gradient of input 0 or 1, the order of the
 * arguments, as a multi-input layer orders its input gradients. Both gradients come from one pass
 * and are owned by the loss, like {@link Loss#backward()}'s.
 */
public final class CosineEmbeddingLoss {
  private static final double EPSILON = 1e-12;

  private final double margin;
  private final Reduction reduction;
  private final String name;
  private Tensor a;
  private Tensor b;
  private Tensor target;
  private Tensor losses;
  private Tensor grad0;
  private Tensor grad1;
  private Tensor upstream1;
  private boolean gradReady;

  /** Margin 0, MEAN (PyTorch's defaults). */
  public CosineEmbeddingLoss() {
    this(0.0, Reduction.MEAN);
  }

  /**
   * @param margin the cosine below which a dissimilar pair costs nothing (finite; PyTorch
   *     suggests -1 to 1, 0 to 0.5)
   * @param reduction MEAN over pairs, SUM or NONE
   */
  public CosineEmbeddingLoss(double margin, Reduction reduction) {
    this.reduction = Objects.requireNonNull(reduction, "reduction");
    if (!Double.isFinite(margin)) {
      throw new IllegalArgumentException("CosineEmbedding: margin " + margin + " (expected: finite)");
    }
    this.margin = margin;
    this.name = describe();
  }

  /**
   * The reduced loss of the pairs of rows of {@code input1} and {@code input2} against
   * {@code target}.
   *
   * @throws IllegalArgumentException for inputs that are not two {@code [N, D]} of one shape, an
   *     empty batch, a target other than {@code [N]} of 1 and -1, or a non-finite input
   */
  public double forward(Tensor input1, Tensor input2, Tensor target) {
    Objects.requireNonNull(input1, "input1");
    Objects.requireNonNull(input2, "input2");
    Objects.requireNonNull(target, "target");
    if (input1.rank() != 2) {
      throw new IllegalArgumentException(name() + ": input1 " + input1.shape() + " has rank " + input1.rank()
          + " (expected: [batch, features])");
    }
    if (!input2.shape().equals(input1.shape())) {
      throw new IllegalArgumentException(
          name() + ": input2 " + input2.shape() + " (expected: input1's shape " + input1.shape() + ")");
    }
    int n = input1.dim(0);
    if (n == 0) {
      throw new IllegalArgumentException(name() + ": empty batch " + input1.shape()
          + " (expected: at least one pair; the mean of no losses is undefined)");
    }
    if (target.rank() != 1 || target.dim(0) != n) {
      throw new IllegalArgumentException(name() + ": target " + target.shape() + " (expected: [" + n + "])");
    }
    LossSupport.checkFinite(name(), "input1", input1);
    LossSupport.checkFinite(name(), "input2", input2);
    for (int i = 0; i < n; i++) {
      float t = target.getFlat(i);
      if (t != 1f && t != -1f) {
        throw new IllegalArgumentException(name() + ": target " + t + " at [" + i + "] (expected: 1 or -1)");
      }
    }
    a = Tensor.reuse(a, input1.shape()).copyFrom(input1);
    b = Tensor.reuse(b, input2.shape()).copyFrom(input2);
    this.target = Tensor.reuse(this.target, target.shape()).copyFrom(target);
    losses = Tensor.reuse(losses, target.shape());
    float[] ld = losses.data();
    double total = 0;
    for (int i = 0; i < n; i++) {
      double cos = cosine(i);
      double l = this.target.data()[i] > 0 ? 1 - cos : Math.max(0, cos - margin);
      ld[i] = (float) l;
      total += l;
    }
    gradReady = false;
    return LossSupport.reduce(reduction, total, n);
  }

  private double cosine(int i) {
    int d = a.dim(1);
    float[] ad = a.data();
    float[] bd = b.data();
    double dot = 0;
    double aa = EPSILON;
    double bb = EPSILON;
    for (int k = i * d; k < (i + 1) * d; k++) {
      dot += (double) ad[k] * bd[k];
      aa += (double) ad[k] * ad[k];
      bb += (double) bd[k] * bd[k];
    }
    return dot / Math.sqrt(aa * bb);
  }

  /** The per-pair terms {@code [N]} of the latest forward (PyTorch's {@code reduction='none'} output). */
  public Tensor losses() {
    if (a == null) {
      throw LossSupport.backwardBeforeForward(name());
    }
    return losses;
  }

  /**
   * The gradient of the latest forward's value with respect to input {@code input}: 0 for
   * {@code input1}, 1 for {@code input2}.
   *
   * @throws IllegalArgumentException for an index other than 0 or 1
   */
  public Tensor backward(int input) {
    if (a == null) {
      throw LossSupport.backwardBeforeForward(name());
    }
    checkIndex(input);
    if (!gradReady) {
      gradients(null, reduction == Reduction.MEAN ? 1.0 / a.dim(0) : 1.0);
      gradReady = true;
    }
    return input == 0 ? grad0 : grad1;
  }

  /**
   * The gradient of {@code sum(upstream * losses())} with respect to input {@code input} (0 or 1),
   * whatever the reduction.
   *
   * @throws IllegalArgumentException if {@code upstream} is not {@code [N]}, or for an index other
   *     than 0 or 1
   */
  public Tensor backward(Tensor upstream, int input) {
    if (a == null) {
      throw LossSupport.backwardBeforeForward(name());
    }
    LossSupport.checkUpstream(name(), losses, upstream);
    checkIndex(input);
    upstream1 = Tensor.reuse(upstream1, upstream.shape()).copyFrom(upstream);
    gradients(upstream1, 1.0);
    gradReady = false;
    return input == 0 ? grad0 : grad1;
  }

  private void checkIndex(int input) {
    if (input != 0 && input != 1) {
      throw new IllegalArgumentException(name() + ": input " + input + " (expected: 0 or 1)");
    }
  }

  private void gradients(Tensor upstream, double scale) {
    int n = a.dim(0);
    int d = a.dim(1);
    grad0 = Tensor.reuse(grad0, a.shape());
    grad1 = Tensor.reuse(grad1, a.shape());
    float[] ad = a.data();
    float[] bd = b.data();
    float[] g0 = grad0.data();
    float[] g1 = grad1.data();
    for (int i = 0; i < n; i++) {
      double dot = 0;
      double aa = EPSILON;
      double bb = EPSILON;
      for (int k = i * d; k < (i + 1) * d; k++) {
        dot += (double) ad[k] * bd[k];
        aa += (double) ad[k] * ad[k];
        bb += (double) bd[k] * bd[k];
      }
      double norm = Math.sqrt(aa * bb);
      double cos = dot / norm;
      // d loss / d cos: -1 for a similar pair; 1 for a dissimilar pair on the hinge (PyTorch's clamp
      // passes the gradient at cos = margin)
      double dl = target.data()[i] > 0 ? -1 : (cos - margin >= 0 ? 1 : 0);
      dl *= scale;
      if (upstream != null) {
        dl *= upstream.data()[i];
      }
      for (int k = i * d; k < (i + 1) * d; k++) {
        g0[k] = (float) (dl * (bd[k] / norm - cos * ad[k] / aa));
        g1[k] = (float) (dl * (ad[k] / norm - cos * bd[k] / bb));
      }
    }
  }

  /** {@code CosineEmbedding(mean, margin=0.0)}. */
  public String name() {
    return name;
  }

  private String describe() {
    return "CosineEmbedding(" + reduction.name().toLowerCase(Locale.ROOT) + ", margin=" + margin + ")";
  }
}

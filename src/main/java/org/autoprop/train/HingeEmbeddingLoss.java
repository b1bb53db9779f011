package org.autoprop.train;

import org.autoprop.tensor.Tensor;

/**
 * Hinge embedding loss, as PyTorch's {@code HingeEmbeddingLoss}: for an input {@code x} (often a
 * distance) and a target {@code t} of 1 or -1 of the same shape, the term is {@code x} where
 * {@code t = 1} and {@code max(0, margin - x)} where {@code t = -1}; the gradient is 1, or -1 where
 * {@code margin - x >= 0} (PyTorch's clamp passes the gradient at the kink), else 0. PyTorch
 * gives other targets a meaning of its own (both parts); this loss rejects them.
 */
public final class HingeEmbeddingLoss extends ElementwiseLoss {
  private final double margin;

  /** Mean reduction, margin 1 (PyTorch's defaults). */
  public HingeEmbeddingLoss() {
    this(1.0, Reduction.MEAN);
  }

  /**
   * @param margin the margin of the negative pairs (finite)
   * @param reduction MEAN over elements, SUM or NONE
   */
  public HingeEmbeddingLoss(double margin, Reduction reduction) {
    super("HingeEmbedding", reduction, null);
    if (!Double.isFinite(margin)) {
      throw new IllegalArgumentException("HingeEmbedding: margin " + margin + " (expected: finite)");
    }
    this.margin = margin;
  }

  @Override
  double term(double x, double t) {
    return t > 0 ? x : Math.max(0, margin - x);
  }

  @Override
  double derivative(double x, double t) {
    return t > 0 ? 1 : (margin - x >= 0 ? -1 : 0);
  }

  @Override
  String badTarget(float t) {
    return t == 1f || t == -1f ? null : "(expected: 1 or -1)";
  }

  /** {@code HingeEmbedding(mean, margin=1.0)}. */
  @Override
  public String name() {
    return "HingeEmbedding(" + reductionName() + ", margin=" + margin + ")";
  }
}

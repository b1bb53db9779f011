package org.autoprop.train;

import org.autoprop.tensor.Tensor;

/**
 * Binary cross-entropy on probabilities, as PyTorch's {@code BCELoss}: for an input {@code x} in
 * [0, 1] (e.g. a sigmoid's output) and a target {@code t} in [0, 1], the term is
 * {@code -w (t log x + (1 - t) log(1 - x))} with each log clamped at -100 (PyTorch's rule, so
 * {@code x = 0} or 1 gives a finite loss), and the gradient PyTorch's
 * {@code w (x - t) / max(x (1 - x), 1e-12)}. On logits, {@link BceWithLogitsLoss} is the stable
 * form.
 *
 * <p>The optional weight {@code w} broadcasts to the input as in PyTorch (aligned at the last axis,
 * each axis the input's size or 1).
 */
public final class BceLoss extends ElementwiseLoss {
  /** PyTorch's floor of the binary cross-entropy's denominator in the gradient. */
  private static final double EPSILON = 1e-12;

  private final boolean weighted;

  /** Mean reduction, no weight. */
  public BceLoss() {
    this(Reduction.MEAN, null);
  }

  /**
   * @param reduction MEAN over elements, SUM or NONE
   * @param weight per-element weights (finite) that broadcast to the input; or null
   */
  public BceLoss(Reduction reduction, Tensor weight) {
    super("BCE", reduction, weight);
    this.weighted = weight != null;
  }

  @Override
  double term(double x, double t) {
    double logX = Math.max(Math.log(x), -100);
    double log1mX = Math.max(Math.log1p(-x), -100);
    return -(t * logX + (1 - t) * log1mX);
  }

  @Override
  double derivative(double x, double t) {
    return (x - t) / Math.max(x * (1 - x), EPSILON);
  }

  @Override
  String badInput(float x) {
    return x >= 0 && x <= 1 ? null : "(expected: a probability, 0 <= input <= 1)";
  }

  @Override
  String badTarget(float t) {
    return t >= 0 && t <= 1 ? null : "(expected: 0 <= target <= 1)";
  }

  /** {@code BCE(mean)}, {@code BCE(sum, weighted)}. */
  @Override
  public String name() {
    return "BCE(" + reductionName() + (weighted ? ", weighted" : "") + ")";
  }
}

package org.autoprop.train;

/**
 * Smooth L1 loss, as PyTorch's {@code SmoothL1Loss}: with {@code d = x - t}, the term is
 * {@code d^2 / (2 beta)} for {@code |d| < beta} and {@code |d| - beta / 2} beyond; the gradient is
 * {@code d / beta} clamped to {@code [-1, 1]}. With {@code beta = 0} it is the L1 loss
 * {@code |d|}, gradient {@code sign(d)} (0 at 0), as PyTorch.
 */
public final class SmoothL1Loss extends ElementwiseLoss {
  private final double beta;

  /** Mean reduction, beta 1 (PyTorch's defaults). */
  public SmoothL1Loss() {
    this(1.0, Reduction.MEAN);
  }

  /**
   * @param beta where the quadratic part ends, {@code >= 0} (0: the L1 loss)
   * @param reduction MEAN over elements, SUM or NONE
   */
  public SmoothL1Loss(double beta, Reduction reduction) {
    super("SmoothL1", reduction, null);
    if (!(beta >= 0) || beta == Double.POSITIVE_INFINITY) {
      throw new IllegalArgumentException("SmoothL1: beta " + beta + " (expected: 0 <= beta < infinity)");
    }
    this.beta = beta;
  }

  @Override
  double term(double x, double t) {
    double a = Math.abs(x - t);
    return a < beta ? 0.5 * a * a / beta : a - 0.5 * beta;
  }

  @Override
  double derivative(double x, double t) {
    double d = x - t;
    if (beta == 0) {
      return Math.signum(d);
    }
    return d < -beta ? -1 : (d > beta ? 1 : d / beta);
  }

  /** {@code SmoothL1(mean, beta=1.0)}. */
  @Override
  public String name() {
    return "SmoothL1(" + reductionName() + ", beta=" + beta + ")";
  }
}

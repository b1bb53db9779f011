package org.autoprop.train;

/**
 * Huber loss, as PyTorch's {@code HuberLoss}: with {@code d = x - t}, the term is
 * {@code d^2 / 2} for {@code |d| < delta} and {@code delta (|d| - delta / 2)} beyond; the gradient
 * is {@code d} clamped to {@code [-delta, delta]}. {@link SmoothL1Loss} is the same curve divided
 * by {@code delta}.
 */
public final class HuberLoss extends ElementwiseLoss {
  private final double delta;

  /** Mean reduction, delta 1 (PyTorch's defaults). */
  public HuberLoss() {
    this(1.0, Reduction.MEAN);
  }

  /**
   * @param delta where the quadratic part ends, {@code > 0}
   * @param reduction MEAN over elements, SUM or NONE
   */
  public HuberLoss(double delta, Reduction reduction) {
    super("Huber", reduction, null);
    if (!(delta > 0) || delta == Double.POSITIVE_INFINITY) {
      throw new IllegalArgumentException("Huber: delta " + delta + " (expected: 0 < delta < infinity)");
    }
    this.delta = delta;
  }

  @Override
  double term(double x, double t) {
    double a = Math.abs(x - t);
    return a < delta ? 0.5 * a * a : delta * (a - 0.5 * delta);
  }

  @Override
  double derivative(double x, double t) {
    double d = x - t;
    return d < -delta ? -delta : (d > delta ? delta : d);
  }

  /** {@code Huber(mean, delta=1.0)}. */
  @Override
  public String name() {
    return "Huber(" + reductionName() + ", delta=" + delta + ")";
  }
}

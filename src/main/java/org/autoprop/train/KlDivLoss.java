package org.autoprop.train;

import org.autoprop.tensor.Shape;

/**
 * Kullback-Leibler divergence, as PyTorch's {@code KLDivLoss}: the input holds log-probabilities
 * {@code x = log q}; the target holds probabilities {@code p}, the term being
 * {@code p (log p - x)} (0 where {@code p = 0}) with gradient {@code -p}, or with
 * {@code logTarget} log-probabilities {@code s = log p}, the term {@code exp(s) (s - x)} with
 * gradient {@code -exp(s)}.
 *
 * <p>Reductions: SUM, NONE, MEAN over all elements (PyTorch's {@code 'mean'}, which PyTorch warns is
 * not the divergence), and {@link #batchMean(boolean) batchmean}, the sum divided by the batch size
 * {@code input.dim(0)}: the KL divergence per sample, PyTorch's recommended reduction.
 */
public final class KlDivLoss extends ElementwiseLoss {
  private final boolean logTarget;
  private final boolean batchMean;

  /** PyTorch's defaults: MEAN over elements, target as probabilities. */
  public KlDivLoss() {
    this(Reduction.MEAN, false);
  }

  /**
   * @param reduction MEAN over elements, SUM or NONE (see {@link #batchMean(boolean)})
   * @param logTarget whether the target holds log-probabilities (PyTorch's {@code log_target})
   */
  public KlDivLoss(Reduction reduction, boolean logTarget) {
    this(reduction, logTarget, false);
  }

  private KlDivLoss(Reduction reduction, boolean logTarget, boolean batchMean) {
    super("KLDiv", reduction, null);
    this.logTarget = logTarget;
    this.batchMean = batchMean;
  }

  /** PyTorch's {@code reduction='batchmean'}: the sum of the terms over {@code input.dim(0)}. */
  public static KlDivLoss batchMean(boolean logTarget) {
    return new KlDivLoss(Reduction.MEAN, logTarget, true);
  }

  @Override
  int meanDivisor(Shape input) {
    return batchMean ? input.dim(0) : input.size();
  }

  @Override
  double term(double x, double t) {
    if (logTarget) {
      return Math.exp(t) * (t - x);
    }
    return t > 0 ? t * (Math.log(t) - x) : 0;
  }

  @Override
  double derivative(double x, double t) {
    return logTarget ? -Math.exp(t) : -t;
  }

  @Override
  String badTarget(float t) {
    if (logTarget) {
      return Float.isFinite(t) ? null : "(expected: finite log-probabilities)";
    }
    return t >= 0 && t < Float.POSITIVE_INFINITY ? null : "(expected: probabilities, finite and >= 0)";
  }

  /** {@code KLDiv(batchmean)}, {@code KLDiv(sum, log_target)}. */
  @Override
  public String name() {
    return "KLDiv(" + (batchMean ? "batchmean" : reductionName()) + (logTarget ? ", log_target" : "") + ")";
  }
}

package org.autoprop.train;

/**
 * Focal loss on logits, as torchvision's {@code ops.sigmoid_focal_loss} (Lin et al., RetinaNet):
 * with {@code p = sigmoid(x)}, {@code ce} the binary cross-entropy with logits and
 * {@code p_t = p t + (1 - p)(1 - t)}, the term is {@code a_t ce (1 - p_t)^gamma}, where
 * {@code a_t = alpha t + (1 - alpha)(1 - t)} if {@code alpha >= 0} and 1 if {@code alpha < 0}
 * (torchvision's switch). Targets in [0, 1]. The gradient is the exact derivative,
 * {@code a_t ((p - t)(1 - p_t)^gamma - gamma ce (1 - p_t)^(gamma - 1) p (1 - p)(2t - 1))}.
 */
public final class SigmoidFocalLoss extends ElementwiseLoss {
  private final double alpha;
  private final double gamma;

  /** torchvision's alpha 0.25 and gamma 2, with MEAN reduction (torchvision's default is none). */
  public SigmoidFocalLoss() {
    this(0.25, 2.0, Reduction.MEAN);
  }

  /**
   * @param alpha the weight of the positives in [0, 1], or negative for no weighting
   * @param gamma the focusing exponent, {@code >= 0} (0: plain binary cross-entropy)
   * @param reduction MEAN over elements, SUM or NONE
   */
  public SigmoidFocalLoss(double alpha, double gamma, Reduction reduction) {
    super("SigmoidFocal", reduction, null);
    if (!(alpha <= 1) || Double.isInfinite(alpha)) {
      throw new IllegalArgumentException(
          "SigmoidFocal: alpha " + alpha + " (expected: 0 <= alpha <= 1, or negative for no weighting)");
    }
    if (!(gamma >= 0) || Double.isInfinite(gamma)) {
      throw new IllegalArgumentException("SigmoidFocal: gamma " + gamma + " (expected: 0 <= gamma < infinity)");
    }
    this.alpha = alpha;
    this.gamma = gamma;
  }

  private static double sigmoid(double x) {
    return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
  }

  private double alphaT(double t) {
    return alpha >= 0 ? alpha * t + (1 - alpha) * (1 - t) : 1;
  }

  @Override
  double term(double x, double t) {
    double p = sigmoid(x);
    double ce = Math.max(x, 0) - x * t + Math.log1p(Math.exp(-Math.abs(x)));
    double q = 1 - (p * t + (1 - p) * (1 - t));
    return alphaT(t) * ce * Math.pow(q, gamma);
  }

  @Override
  double derivative(double x, double t) {
    double p = sigmoid(x);
    double q = 1 - (p * t + (1 - p) * (1 - t));
    double g = (p - t) * Math.pow(q, gamma);
    if (gamma != 0 && q > 0) { // at q = 0 the second part's limit is 0
      double ce = Math.max(x, 0) - x * t + Math.log1p(Math.exp(-Math.abs(x)));
      g -= gamma * ce * Math.pow(q, gamma - 1) * p * (1 - p) * (2 * t - 1);
    }
    return alphaT(t) * g;
  }

  @Override
  String badTarget(float t) {
    return t >= 0 && t <= 1 ? null : "(expected: 0 <= target <= 1)";
  }

  /** {@code SigmoidFocal(mean, alpha=0.25, gamma=2.0)}. */
  @Override
  public String name() {
    return "SigmoidFocal(" + reductionName() + ", alpha=" + alpha + ", gamma=" + gamma + ")";
  }
}

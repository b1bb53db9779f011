package org.autoprop.train;

import java.util.Objects;

/**
 * The named settings the builders of the Adam family ({@link Adam}, {@link AdamW}, {@link AdaMax},
 * {@link NAdam}, {@link RAdam}, {@link Lamb}) share; each setter checks its value and names it when
 * it is out of range. The defaults (given at construction) and what {@code build()} makes differ.
 *
 * @param <B> the builder, returned by every setter
 */
abstract class AdamSettings<B extends AdamSettings<B>> {
  private final String typeName;
  final ParamGroups groups;
  double lr;
  double beta1;
  double beta2;
  double eps;
  double weightDecay;

  AdamSettings(String typeName, ParamGroups groups, double lr, double beta1, double beta2, double eps,
      double weightDecay) {
    this.typeName = typeName;
    this.groups = Objects.requireNonNull(groups, "groups");
    this.lr = lr;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.weightDecay = weightDecay;
  }

  abstract B self();

  /**
   * @param lr the learning rate, at least 0 (default 1e-3; 2e-3 for AdaMax and NAdam)
   * @return this builder
   */
  public B lr(double lr) {
    AbstractOptimizer.checkLr(typeName, lr);
    this.lr = lr;
    return self();
  }

  /**
   * @param beta1 decay of the first moment, in [0, 1) (default 0.9)
   * @param beta2 decay of the second moment, in [0, 1) (default 0.999)
   * @return this builder
   */
  public B betas(double beta1, double beta2) {
    AbstractOptimizer.check(typeName, beta1 >= 0 && beta1 < 1, "beta1", beta1, "0 <= beta1 < 1");
    AbstractOptimizer.check(typeName, beta2 >= 0 && beta2 < 1, "beta2", beta2, "0 <= beta2 < 1");
    this.beta1 = beta1;
    this.beta2 = beta2;
    return self();
  }

  /**
   * @param eps added to the denominator, at least 0 (default 1e-8; 1e-6 for LAMB)
   * @return this builder
   */
  public B eps(double eps) {
    AbstractOptimizer.check(typeName, eps >= 0 && Float.isFinite((float) eps), "eps", eps,
        ">= 0 and finite as a float");
    this.eps = eps;
    return self();
  }

  /**
   * @param weightDecay the weight decay, at least 0 (Adam: an L2 penalty added to the gradient,
   *     default 0; AdamW and LAMB: the decoupled decay rate, default 0.01)
   * @return this builder
   */
  public B weightDecay(double weightDecay) {
    AbstractOptimizer.check(typeName, weightDecay >= 0 && Float.isFinite((float) weightDecay), "weight decay",
        weightDecay, ">= 0 and finite as a float");
    this.weightDecay = weightDecay;
    return self();
  }
}

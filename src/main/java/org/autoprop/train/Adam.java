package org.autoprop.train;

import java.util.List;
import org.autoprop.layer.Parameter;

/**
 * Adam with PyTorch's {@code torch.optim.Adam} rules (L2 weight decay added to the gradient):
 * {@code g += wd w; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 * w -= lr / (1-b1^t) * m / (sqrt(v) / sqrt(1-b2^t) + eps)}. State: {@code exp_avg},
 * {@code exp_avg_sq}. See {@link AdamW} for decoupled weight decay.
 */
public final class Adam extends AbstractOptimizer {
  private final AdamRule rule;

  /** Adam with betas (0.9, 0.999), eps 1e-8, no weight decay. */
  public Adam(List<Parameter> parameters, double lr) {
    this(parameters, lr, 0.9, 0.999, 1e-8, 0);
  }

  /**
   * @param beta1 in [0, 1)
   * @param beta2 in [0, 1)
   * @param eps added to the denominator, at least 0
   * @param weightDecay L2 penalty added to the gradient, at least 0
   */
  public Adam(List<Parameter> parameters, double lr, double beta1, double beta2, double eps, double weightDecay) {
    this(ParamGroups.single(parameters), lr, beta1, beta2, eps, weightDecay);
  }

  /** The same over parameter groups (each group's learning rate and weight decay). */
  Adam(ParamGroups groups, double lr, double beta1, double beta2, double eps, double weightDecay) {
    super("Adam", groups, lr);
    rule = new AdamRule(this, groups.parameters(), beta1, beta2, eps, weightDecay, false);
  }


  /**
   * A builder with named settings and PyTorch's defaults (lr 1e-3, betas 0.9 and 0.999, eps 1e-8,
   * weight decay 0), e.g. {@code Adam.builder(model.parameters()).lr(3e-4).weightDecay(0.01).build()}.
   *
   * @param parameters the parameters to update; names must be unique
   * @return a new builder
   */
  public static Builder builder(List<Parameter> parameters) {
    return new Builder(ParamGroups.single(parameters));
  }

  /**
   * A builder over parameter groups, each with its own learning rate and weight decay (settings a
   * group leaves unset are the builder's).
   *
   * @param groups the parameter groups; names must be unique across them
   * @return a new builder
   */
  public static Builder withGroups(ParamGroups groups) {
    return new Builder(java.util.Objects.requireNonNull(groups, "groups"));
  }

  /** Named settings for {@link Adam}; each setter checks its value and names it when it is out of range. */
  public static final class Builder extends AdamSettings<Builder> {
    private Builder(ParamGroups groups) {
      super("Adam", groups, 1e-3, 0.9, 0.999, 1e-8, 0);
    }

    @Override
    Builder self() {
      return this;
    }

    /**
     * @return the optimizer
     */
    public Adam build() {
      return new Adam(groups, lr, beta1, beta2, eps, weightDecay);
    }
  }

  @Override
  protected void update(int index, float[] w, float[] g, int n, long t) {
    rule.update(index, w, g, n, t);
  }
}

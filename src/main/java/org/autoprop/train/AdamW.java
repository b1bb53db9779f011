package org.autoprop.train;

import java.util.List;
import org.autoprop.layer.Parameter;

/**
 * AdamW with PyTorch's {@code torch.optim.AdamW} rules: decoupled weight decay
 * {@code w *= 1 - lr wd} first, then the {@link Adam} update without the L2 term. State:
 * {@code exp_avg}, {@code exp_avg_sq}.
 */
public final class AdamW extends AbstractOptimizer {
  private final AdamRule rule;

  /** AdamW with betas (0.9, 0.999), eps 1e-8 and weight decay 0.01 (PyTorch's defaults). */
  public AdamW(List<Parameter> parameters, double lr) {
    this(parameters, lr, 0.9, 0.999, 1e-8, 0.01);
  }

  /**
   * @param beta1 in [0, 1)
   * @param beta2 in [0, 1)
   * @param eps added to the denominator, at least 0
   * @param weightDecay decoupled decay rate, at least 0
   */
  public AdamW(List<Parameter> parameters, double lr, double beta1, double beta2, double eps, double weightDecay) {
    this(ParamGroups.single(parameters), lr, beta1, beta2, eps, weightDecay);
  }

  /** The same over parameter groups (each group's learning rate and weight decay). */
  AdamW(ParamGroups groups, double lr, double beta1, double beta2, double eps, double weightDecay) {
    super("AdamW", groups, lr);
    rule = new AdamRule(this, groups.parameters(), beta1, beta2, eps, weightDecay, true);
  }


  /**
   * A builder with named settings and PyTorch's defaults (lr 1e-3, betas 0.9 and 0.999, eps 1e-8,
   * weight decay 0.01), e.g. {@code AdamW.builder(model.parameters()).lr(3e-4).weightDecay(0.01).build()}.
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

  /** Named settings for {@link AdamW}; each setter checks its value and names it when it is out of range. */
  public static final class Builder extends AdamSettings<Builder> {
    private Builder(ParamGroups groups) {
      super("AdamW", groups, 1e-3, 0.9, 0.999, 1e-8, 0.01);
    }

    @Override
    Builder self() {
      return this;
    }

    /**
     * @return the optimizer
     */
    public AdamW build() {
      return new AdamW(groups, lr, beta1, beta2, eps, weightDecay);
    }
  }

  @Override
  protected void update(int index, float[] w, float[] g, int n, long t) {
    rule.update(index, w, g, n, t);
  }
}

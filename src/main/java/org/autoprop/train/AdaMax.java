package org.autoprop.train;

import java.util.List;
import java.util.Objects;
import org.autoprop.layer.Parameter;

/**
 * Adamax with PyTorch's {@code torch.optim.Adamax} rules: {@code g += wd w;
 * m = b1 m + (1-b1) g; u = max(b2 u, |g| + eps); w -= lr / (1-b1^t) * m / u}. State:
 * {@code exp_avg}, {@code exp_inf}.
 */
public final class AdaMax extends AbstractOptimizer {
  private final float beta1;
  private final float beta2;
  private final double beta1d;
  private final float keep1;
  private final float eps;
  private final double weightDecay;
  private final float[][] m;
  private final float[][] u;

  /** Adamax with PyTorch's defaults: betas (0.9, 0.999), eps 1e-8, weight decay 0. */
  public AdaMax(List<Parameter> parameters, double lr) {
    this(builder(parameters).lr(lr));
  }

  private AdaMax(Builder b) {
    super("Adamax", b.groups, b.lr);
    this.beta1 = (float) b.beta1;
    this.beta2 = (float) b.beta2;
    this.beta1d = b.beta1;
    this.keep1 = (float) (1 - b.beta1); // in double, like PyTorch's Python float
    this.eps = (float) b.eps;
    this.weightDecay = b.weightDecay;
    List<Parameter> parameters = b.groups.parameters();
    m = new float[parameters.size()][];
    u = new float[parameters.size()][];
    for (int i = 0; i < m.length; i++) {
      m[i] = newState(parameters.get(i), "exp_avg");
      u[i] = newState(parameters.get(i), "exp_inf");
    }
  }

  /**
   * A builder with named settings and PyTorch's defaults (lr 2e-3, betas 0.9 and 0.999, eps 1e-8, weight decay 0).
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
    return new Builder(Objects.requireNonNull(groups, "groups"));
  }

  /** Named settings for {@link AdaMax}; each setter checks its value and names it when it is out of range. */
  public static final class Builder extends AdamSettings<Builder> {
    private Builder(ParamGroups groups) {
      super("Adamax", groups, 2e-3, 0.9, 0.999, 1e-8, 0);
    }

    @Override
    Builder self() {
      return this;
    }

    /**
     * @return the optimizer
     */
    public AdaMax build() {
      return new AdaMax(this);
    }
  }

  @Override
  protected void update(int index, float[] w, float[] g, int n, long t) {
    // bias correction in double, as PyTorch computes it in Python floats
    float clr = (float) (lr(index) / (1 - Math.pow(beta1d, t)));
    float wd = (float) weightDecay(index, weightDecay);
    float[] mi = m[index];
    float[] ui = u[index];
    for (int j = 0; j < n; j++) {
      float gj = g[j] + wd * w[j];
      float mj = beta1 * mi[j] + keep1 * gj;
      float uj = Math.max(beta2 * ui[j], Math.abs(gj) + eps);
      mi[j] = mj;
      ui[j] = uj;
      w[j] -= clr * (mj / uj);
    }
  }
}

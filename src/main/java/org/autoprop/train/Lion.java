package org.autoprop.train;

import java.util.List;
import java.util.Objects;
import org.autoprop.layer.Parameter;

/**
 * Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms", Algorithm 2):
 * {@code w *= 1 - lr wd; w -= lr sign(b1 m + (1-b1) g); m = b2 m + (1-b2) g}, with
 * {@code sign(0) = 0}. Weight decay is decoupled, as in AdamW. PyTorch 1.13 has no Lion; the state
 * name is that of the common PyTorch implementations: {@code exp_avg}. The paper suggests a
 * learning rate 3-10 times smaller than AdamW's and a weight decay 3-10 times larger.
 */
public final class Lion extends AbstractOptimizer {
  private final float beta1;
  private final float beta2;
  private final float keep1;
  private final float keep2;
  private final double weightDecay;
  private final float[][] m;

  /** Lion with betas (0.9, 0.99) and weight decay 0 (the paper's defaults). */
  public Lion(List<Parameter> parameters, double lr) {
    this(builder(parameters).lr(lr));
  }

  private Lion(Builder b) {
    super("Lion", b.groups, b.lr);
    this.beta1 = (float) b.beta1;
    this.beta2 = (float) b.beta2;
    this.keep1 = (float) (1 - b.beta1); // in double, like a Python float
    this.keep2 = (float) (1 - b.beta2);
    this.weightDecay = b.weightDecay;
    List<Parameter> parameters = b.groups.parameters();
    m = new float[parameters.size()][];
    for (int i = 0; i < m.length; i++) {
      m[i] = newState(parameters.get(i), "exp_avg");
    }
  }

  /**
   * A builder with named settings and the paper's defaults (lr 1e-4, betas 0.9 and 0.99, weight
   * decay 0).
   *
   * @param parameters the parameters to update; names must be unique
   * @return a new builder
   */
  public static Builder builder(List<Parameter> parameters) {
    return new Builder(ParamGroups.single(parameters));
  }

  /**
   * A builder over parameter groups, each with its own learning rate and weight decay.
   *
   * @param groups the parameter groups; names must be unique across them
   * @return a new builder
   */
  public static Builder withGroups(ParamGroups groups) {
    return new Builder(Objects.requireNonNull(groups, "groups"));
  }

  /** Named settings for {@link Lion}; each setter checks its value and names it when it is out of range. */
  public static final class Builder {
    private static final String TYPE = "Lion";
    private final ParamGroups groups;
    private double lr = 1e-4;
    private double beta1 = 0.9;
    private double beta2 = 0.99;
    private double weightDecay;

    private Builder(ParamGroups groups) {
      this.groups = groups;
    }

    /**
     * @param lr the learning rate, at least 0 (default 1e-4)
     * @return this builder
     */
    public Builder lr(double lr) {
      checkLr(TYPE, lr);
      this.lr = lr;
      return this;
    }

    /**
     * @param beta1 the interpolation giving the update's sign, in [0, 1) (default 0.9)
     * @param beta2 the decay of the momentum, in [0, 1) (default 0.99)
     * @return this builder
     */
    public Builder betas(double beta1, double beta2) {
      check(TYPE, beta1 >= 0 && beta1 < 1, "beta1", beta1, "0 <= beta1 < 1");
      check(TYPE, beta2 >= 0 && beta2 < 1, "beta2", beta2, "0 <= beta2 < 1");
      this.beta1 = beta1;
      this.beta2 = beta2;
      return this;
    }

    /**
     * @param weightDecay the decoupled decay rate, at least 0 (default 0)
     * @return this builder
     */
    public Builder weightDecay(double weightDecay) {
      check(TYPE, weightDecay >= 0 && Float.isFinite((float) weightDecay), "weight decay", weightDecay,
          ">= 0 and finite as a float");
      this.weightDecay = weightDecay;
      return this;
    }

    /**
     * @return the optimizer
     */
    public Lion build() {
      return new Lion(this);
    }
  }

  @Override
  protected void update(int index, float[] w, float[] g, int n, long t) {
    double lrd = lr(index);
    float lr = (float) lrd;
    float shrink = (float) (1 - lrd * weightDecay(index, weightDecay));
    float[] mi = m[index];
    for (int j = 0; j < n; j++) {
      float gj = g[j];
      float c = beta1 * mi[j] + keep1 * gj;
      w[j] = w[j] * shrink - lr * Math.signum(c);
      mi[j] = beta2 * mi[j] + keep2 * gj;
    }
  }
}

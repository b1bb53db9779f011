package org.autoprop.train;

import java.util.List;
import java.util.Objects;
import org.autoprop.layer.Parameter;

/**
 * Adagrad with PyTorch's {@code torch.optim.Adagrad} rules: {@code g += wd w;
 * clr = lr / (1 + (t - 1) lr_decay); sum += g^2; w -= clr g / (sqrt(sum) + eps)}, the sum
 * starting at {@code initial_accumulator_value}. State: {@code sum}.
 */
public final class AdaGrad extends AbstractOptimizer {
  private final double lrDecay;
  private final double weightDecay;
  private final float eps;
  private final float[][] sums;

  /** Adagrad with PyTorch's defaults: lr decay 0, weight decay 0, initial accumulator 0, eps 1e-10. */
  public AdaGrad(List<Parameter> parameters, double lr) {
    this(builder(parameters).lr(lr));
  }

  private AdaGrad(Builder b) {
    super("Adagrad", b.groups, b.lr);
    this.lrDecay = b.lrDecay;
    this.weightDecay = b.weightDecay;
    this.eps = (float) b.eps;
    List<Parameter> parameters = b.groups.parameters();
    sums = new float[parameters.size()][];
    for (int i = 0; i < sums.length; i++) {
      sums[i] = newState(parameters.get(i), "sum");
      java.util.Arrays.fill(sums[i], (float) b.initialAccumulator);
    }
  }

  /**
   * A builder with named settings and PyTorch's defaults (lr 1e-2, lr decay 0, weight decay 0,
   * initial accumulator value 0, eps 1e-10).
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

  /** Named settings for {@link AdaGrad}; each setter checks its value and names it when it is out of range. */
  public static final class Builder {
    private static final String TYPE = "Adagrad";
    private final ParamGroups groups;
    private double lr = 1e-2;
    private double lrDecay;
    private double weightDecay;
    private double initialAccumulator;
    private double eps = 1e-10;

    private Builder(ParamGroups groups) {
      this.groups = groups;
    }

    /**
     * @param lr the learning rate, at least 0 (default 1e-2)
     * @return this builder
     */
    public Builder lr(double lr) {
      checkLr(TYPE, lr);
      this.lr = lr;
      return this;
    }

    /**
     * @param lrDecay the learning-rate decay per step, at least 0 (default 0)
     * @return this builder
     */
    public Builder lrDecay(double lrDecay) {
      check(TYPE, lrDecay >= 0 && Double.isFinite(lrDecay), "lr decay", lrDecay, ">= 0 and finite");
      this.lrDecay = lrDecay;
      return this;
    }

    /**
     * @param weightDecay L2 penalty added to the gradient, at least 0 (default 0)
     * @return this builder
     */
    public Builder weightDecay(double weightDecay) {
      check(TYPE, weightDecay >= 0 && Float.isFinite((float) weightDecay), "weight decay", weightDecay,
          ">= 0 and finite as a float");
      this.weightDecay = weightDecay;
      return this;
    }

    /**
     * @param value the starting value of the squared-gradient sum, at least 0 (default 0)
     * @return this builder
     */
    public Builder initialAccumulatorValue(double value) {
      check(TYPE, value >= 0 && Float.isFinite((float) value), "initial accumulator value", value,
          ">= 0 and finite as a float");
      this.initialAccumulator = value;
      return this;
    }

    /**
     * @param eps added to the denominator, at least 0 (default 1e-10)
     * @return this builder
     */
    public Builder eps(double eps) {
      check(TYPE, eps >= 0 && Float.isFinite((float) eps), "eps", eps, ">= 0 and finite as a float");
      this.eps = eps;
      return this;
    }

    /**
     * @return the optimizer
     */
    public AdaGrad build() {
      return new AdaGrad(this);
    }
  }

  @Override
  protected void update(int index, float[] w, float[] g, int n, long t) {
    // the decayed rate in double, as PyTorch computes it in Python floats
    float clr = (float) (lr(index) / (1 + (t - 1) * lrDecay));
    float wd = (float) weightDecay(index, weightDecay);
    float[] s = sums[index];
    for (int j = 0; j < n; j++) {
      float gj = g[j] + wd * w[j];
      float sj = s[j] + gj * gj;
      s[j] = sj;
      w[j] -= clr * gj / ((float) Math.sqrt(sj) + eps);
    }
  }
}

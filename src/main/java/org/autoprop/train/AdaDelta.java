package org.autoprop.train;

import java.util.List;
import java.util.Objects;
import org.autoprop.layer.Parameter;

/**
 * Adadelta with PyTorch's {@code torch.optim.Adadelta} rules: {@code g += wd w;
 * sq = rho sq + (1 - rho) g^2; d = sqrt(acc + eps) / sqrt(sq + eps) g;
 * acc = rho acc + (1 - rho) d^2; w -= lr d}. State: {@code square_avg}, {@code acc_delta}.
 */
public final class AdaDelta extends AbstractOptimizer {
  private final float rho;
  private final float keep;
  private final float eps;
  private final double weightDecay;
  private final float[][] squareAvg;
  private final float[][] accDelta;

  /** Adadelta with PyTorch's defaults: rho 0.9, eps 1e-6, weight decay 0. */
  public AdaDelta(List<Parameter> parameters, double lr) {
    this(builder(parameters).lr(lr));
  }

  private AdaDelta(Builder b) {
    super("Adadelta", b.groups, b.lr);
    this.rho = (float) b.rho;
    this.keep = (float) (1 - b.rho); // in double, like PyTorch's Python float
    this.eps = (float) b.eps;
    this.weightDecay = b.weightDecay;
    List<Parameter> parameters = b.groups.parameters();
    squareAvg = new float[parameters.size()][];
    accDelta = new float[parameters.size()][];
    for (int i = 0; i < squareAvg.length; i++) {
      squareAvg[i] = newState(parameters.get(i), "square_avg");
      accDelta[i] = newState(parameters.get(i), "acc_delta");
    }
  }

  /**
   * A builder with named settings and PyTorch's defaults (lr 1.0, rho 0.9, eps 1e-6, weight decay 0).
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

  /** Named settings for {@link AdaDelta}; each setter checks its value and names it when it is out of range. */
  public static final class Builder {
    private static final String TYPE = "Adadelta";
    private final ParamGroups groups;
    private double lr = 1.0;
    private double rho = 0.9;
    private double eps = 1e-6;
    private double weightDecay;

    private Builder(ParamGroups groups) {
      this.groups = groups;
    }

    /**
     * @param lr the coefficient of the delta, at least 0 (default 1.0)
     * @return this builder
     */
    public Builder lr(double lr) {
      checkLr(TYPE, lr);
      this.lr = lr;
      return this;
    }

    /**
     * @param rho the decay of both running averages, in [0, 1] (default 0.9)
     * @return this builder
     */
    public Builder rho(double rho) {
      check(TYPE, rho >= 0 && rho <= 1, "rho", rho, "0 <= rho <= 1");
      this.rho = rho;
      return this;
    }

    /**
     * @param eps added inside both square roots, at least 0 (default 1e-6)
     * @return this builder
     */
    public Builder eps(double eps) {
      check(TYPE, eps >= 0 && Float.isFinite((float) eps), "eps", eps, ">= 0 and finite as a float");
      this.eps = eps;
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
     * @return the optimizer
     */
    public AdaDelta build() {
      return new AdaDelta(this);
    }
  }

  @Override
  protected void update(int index, float[] w, float[] g, int n, long t) {
    float lr = (float) lr(index);
    float wd = (float) weightDecay(index, weightDecay);
    float[] sq = squareAvg[index];
    float[] acc = accDelta[index];
    for (int j = 0; j < n; j++) {
      float gj = g[j] + wd * w[j];
      float s = rho * sq[j] + keep * gj * gj;
      sq[j] = s;
      float d = (float) Math.sqrt(acc[j] + eps) / (float) Math.sqrt(s + eps) * gj;
      acc[j] = rho * acc[j] + keep * d * d;
      w[j] -= lr * d;
    }
  }
}

package org.autoprop.train;

import java.util.List;
import java.util.Objects;
import org.autoprop.layer.Parameter;

/**
 * RAdam with PyTorch's {@code torch.optim.RAdam} rules: {@code g += wd w;
 * m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; mhat = m / (1-b1^t)}; with
 * {@code rho_inf = 2 / (1-b2) - 1} and {@code rho_t = rho_inf - 2 t b2^t / (1-b2^t)}: when
 * {@code rho_t > 5}, {@code r = sqrt((rho_t-4)(rho_t-2) rho_inf / ((rho_inf-4)(rho_inf-2) rho_t))}
 * and {@code w -= lr mhat r sqrt(1-b2^t) / (sqrt(v) + eps)}; otherwise (the first steps, while the
 * variance estimate is unreliable) {@code w -= lr mhat}. State: {@code exp_avg}, {@code exp_avg_sq}.
 */
public final class RAdam extends AbstractOptimizer {
  private final float beta1;
  private final float beta2;
  private final double beta1d;
  private final double beta2d;
  private final float keep1;
  private final float keep2;
  private final float eps;
  private final double weightDecay;
  private final float[][] m;
  private final float[][] v;

  /** RAdam with PyTorch's defaults: betas (0.9, 0.999), eps 1e-8, weight decay 0. */
  public RAdam(List<Parameter> parameters, double lr) {
    this(builder(parameters).lr(lr));
  }

  private RAdam(Builder b) {
    super("RAdam", b.groups, b.lr);
    this.beta1 = (float) b.beta1;
    this.beta2 = (float) b.beta2;
    this.beta1d = b.beta1;
    this.beta2d = b.beta2;
    this.keep1 = (float) (1 - b.beta1); // in double, like PyTorch's Python float
    this.keep2 = (float) (1 - b.beta2);
    this.eps = (float) b.eps;
    this.weightDecay = b.weightDecay;
    List<Parameter> parameters = b.groups.parameters();
    m = new float[parameters.size()][];
    v = new float[parameters.size()][];
    for (int i = 0; i < m.length; i++) {
      m[i] = newState(parameters.get(i), "exp_avg");
      v[i] = newState(parameters.get(i), "exp_avg_sq");
    }
  }

  /**
   * A builder with named settings and PyTorch's defaults (lr 1e-3, betas 0.9 and 0.999, eps 1e-8, weight decay 0).
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

  /** Named settings for {@link RAdam}; each setter checks its value and names it when it is out of range. */
  public static final class Builder extends AdamSettings<Builder> {
    private Builder(ParamGroups groups) {
      super("RAdam", groups, 1e-3, 0.9, 0.999, 1e-8, 0);
    }

    @Override
    Builder self() {
      return this;
    }

    /**
     * @return the optimizer
     */
    public RAdam build() {
      return new RAdam(this);
    }
  }

  /**
   * The variance rectification term at step {@code t}, or 0 while {@code rho_t <= 5} (the update is
   * then the bias-corrected momentum alone).
   */
  static double rectification(double beta2, long t) {
    double bc2 = 1 - Math.pow(beta2, t);
    double rhoInf = 2 / (1 - beta2) - 1;
    double rhoT = rhoInf - 2 * t * Math.pow(beta2, t) / bc2;
    if (!(rhoT > 5)) {
      return 0;
    }
    return Math.sqrt((rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT));
  }

  @Override
  protected void update(int index, float[] w, float[] g, int n, long t) {
    float lr = (float) lr(index);
    float wd = (float) weightDecay(index, weightDecay);
    // bias corrections and the rectification in double, as PyTorch computes them in Python floats
    float bc1 = (float) (1 - Math.pow(beta1d, t));
    double rect = rectification(beta2d, t);
    float rectF = (float) rect;
    float bc2Sqrt = (float) Math.sqrt(1 - Math.pow(beta2d, t));
    float[] mi = m[index];
    float[] vi = v[index];
    for (int j = 0; j < n; j++) {
      float gj = g[j] + wd * w[j];
      float mj = beta1 * mi[j] + keep1 * gj;
      float vj = beta2 * vi[j] + keep2 * gj * gj;
      mi[j] = mj;
      vi[j] = vj;
      float step = mj / bc1 * lr;
      if (rect != 0) {
        step = step * (bc2Sqrt / ((float) Math.sqrt(vj) + eps)) * rectF;
      }
      w[j] -= step;
    }
  }
}

package org.autoprop.train;

import java.util.List;
import java.util.Objects;
import org.autoprop.layer.Parameter;
import org.autoprop.tensor.Tensor;

/**
 * NAdam with PyTorch's {@code torch.optim.NAdam} rules: {@code g += wd w;
 * mu_t = b1 (1 - 0.5 * 0.96^(t psi))} ({@code psi} the momentum decay);
 * {@code mu_product *= mu_t}; {@code m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 * d = sqrt(v / (1-b2^t)) + eps;
 * w -= lr (1-mu_t) / (1-mu_product) g / d + lr mu_(t+1) / (1-mu_product mu_(t+1)) m / d}.
 * State: {@code exp_avg}, {@code exp_avg_sq} and the scalar {@code mu_product} (kept in float, as
 * PyTorch keeps it in a float32 tensor).
 */
public final class NAdam extends AbstractOptimizer {
  private final float beta1;
  private final float beta2;
  private final double beta1d;
  private final double beta2d;
  private final float keep1;
  private final float keep2;
  private final float eps;
  private final double weightDecay;
  private final double momentumDecay;
  private final float[][] m;
  private final float[][] v;
  private final Tensor[] muProduct;

  /** NAdam with PyTorch's defaults: betas (0.9, 0.999), eps 1e-8, weight decay 0, momentum decay 4e-3. */
  public NAdam(List<Parameter> parameters, double lr) {
    this(builder(parameters).lr(lr));
  }

  private NAdam(Builder b) {
    super("NAdam", b.groups, b.lr);
    this.beta1 = (float) b.beta1;
    this.beta2 = (float) b.beta2;
    this.beta1d = b.beta1;
    this.beta2d = b.beta2;
    this.keep1 = (float) (1 - b.beta1); // in double, like PyTorch's Python float
    this.keep2 = (float) (1 - b.beta2);
    this.eps = (float) b.eps;
    this.weightDecay = b.weightDecay;
    this.momentumDecay = b.momentumDecay;
    List<Parameter> parameters = b.groups.parameters();
    m = new float[parameters.size()][];
    v = new float[parameters.size()][];
    muProduct = new Tensor[parameters.size()];
    for (int i = 0; i < m.length; i++) {
      m[i] = newState(parameters.get(i), "exp_avg");
      v[i] = newState(parameters.get(i), "exp_avg_sq");
      muProduct[i] = newScalarState(parameters.get(i), "mu_product", 1f);
    }
  }

  /**
   * A builder with named settings and PyTorch's defaults (lr 2e-3, betas 0.9 and 0.999, eps 1e-8, weight decay 0, momentum decay 4e-3).
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

  /** Named settings for {@link NAdam}; each setter checks its value and names it when it is out of range. */
  public static final class Builder extends AdamSettings<Builder> {
    private double momentumDecay = 4e-3;

    private Builder(ParamGroups groups) {
      super("NAdam", groups, 2e-3, 0.9, 0.999, 1e-8, 0);
    }

    @Override
    Builder self() {
      return this;
    }

    /**
     * @param momentumDecay psi in the momentum schedule {@code b1 (1 - 0.5 * 0.96^(t psi))}, at least 0
     *     (default 4e-3)
     * @return this builder
     */
    public Builder momentumDecay(double momentumDecay) {
      check("NAdam", momentumDecay >= 0 && Double.isFinite(momentumDecay), "momentum decay", momentumDecay,
          ">= 0 and finite");
      this.momentumDecay = momentumDecay;
      return this;
    }

    /**
     * @return the optimizer
     */
    public NAdam build() {
      return new NAdam(this);
    }
  }

  @Override
  protected void update(int index, float[] w, float[] g, int n, long t) {
    double lr = lr(index);
    float wd = (float) weightDecay(index, weightDecay);
    // the momentum schedule in double, as PyTorch computes it in Python floats
    double mu = beta1d * (1 - 0.5 * Math.pow(0.96, t * momentumDecay));
    double muNext = beta1d * (1 - 0.5 * Math.pow(0.96, (t + 1) * momentumDecay));
    // mu_product is a float32 tensor in PyTorch: every product rounds to float
    float[] mp = muProduct[index].data();
    float product = mp[0] * (float) mu;
    mp[0] = product;
    float productNext = product * (float) mu * (float) muNext;
    float bc2 = (float) (1 - Math.pow(beta2d, t));
    float cg = (float) (-lr * (1 - mu) / (1 - (double) product));
    float cm = (float) (-lr * muNext / (1 - (double) productNext));
    float[] mi = m[index];
    float[] vi = v[index];
    for (int j = 0; j < n; j++) {
      float gj = g[j] + wd * w[j];
      float mj = beta1 * mi[j] + keep1 * gj;
      float vj = beta2 * vi[j] + keep2 * gj * gj;
      mi[j] = mj;
      vi[j] = vj;
      float d = (float) Math.sqrt(vj / bc2) + eps;
      float wj = w[j] + cg * (gj / d);
      w[j] = wj + cm * (mj / d);
    }
  }
}

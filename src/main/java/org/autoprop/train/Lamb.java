package org.autoprop.train;

import java.util.List;
import java.util.Objects;
import org.autoprop.layer.Parameter;

/**
 * LAMB (You et al. 2019, "Large Batch Optimization for Deep Learning", Algorithm 2) with Adam's
 * bias-corrected moments, per parameter tensor:
 * {@code m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 * u = (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps) + wd w;
 * w -= lr r u}, with the trust ratio {@code r = ||w|| / ||u||} (L2 norms over the tensor, before the
 * update), and {@code r = 1} when either norm is 0. The variant: bias correction on (as timm's
 * {@code Lamb} default), the identity as the paper's scaling function phi, decoupled weight decay
 * inside the trust ratio, the ratio applied to every tensor (biases and norms included, as in the
 * paper), no clipping of the global gradient norm (clip it with {@link GradClip} or the
 * {@link Trainer} if wanted). PyTorch 1.13 has no LAMB; the state names are Adam's:
 * {@code exp_avg}, {@code exp_avg_sq}.
 */
public final class Lamb extends AbstractOptimizer {
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

  /** LAMB with betas (0.9, 0.999), eps 1e-6 and weight decay 0.01. */
  public Lamb(List<Parameter> parameters, double lr) {
    this(builder(parameters).lr(lr));
  }

  private Lamb(Builder b) {
    super("LAMB", b.groups, b.lr);
    this.beta1 = (float) b.beta1;
    this.beta2 = (float) b.beta2;
    this.beta1d = b.beta1;
    this.beta2d = b.beta2;
    this.keep1 = (float) (1 - b.beta1); // in double, like a Python float
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
   * A builder with named settings and the defaults of timm's {@code Lamb} (lr 1e-3, betas 0.9 and
   * 0.999, eps 1e-6, weight decay 0.01).
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

  /** Named settings for {@link Lamb}; each setter checks its value and names it when it is out of range. */
  public static final class Builder extends AdamSettings<Builder> {
    private Builder(ParamGroups groups) {
      super("LAMB", groups, 1e-3, 0.9, 0.999, 1e-6, 0.01);
    }

    @Override
    Builder self() {
      return this;
    }

    /**
     * @return the optimizer
     */
    public Lamb build() {
      return new Lamb(this);
    }
  }

  @Override
  protected void update(int index, float[] w, float[] g, int n, long t) {
    double lr = lr(index);
    float wd = (float) weightDecay(index, weightDecay);
    float bc1 = (float) (1 - Math.pow(beta1d, t));
    float bc2 = (float) (1 - Math.pow(beta2d, t));
    float[] mi = m[index];
    float[] vi = v[index];
    // pass 1: the moments and both norms (in double); pass 2 recomputes u from the stored moments
    // rather than keeping a copy of it, so the step needs no scratch tensor
    double wNorm2 = 0;
    double uNorm2 = 0;
    for (int j = 0; j < n; j++) {
      float gj = g[j];
      float mj = beta1 * mi[j] + keep1 * gj;
      float vj = beta2 * vi[j] + keep2 * gj * gj;
      mi[j] = mj;
      vi[j] = vj;
      float wj = w[j];
      float uj = (mj / bc1) / ((float) Math.sqrt(vj / bc2) + eps) + wd * wj;
      wNorm2 += (double) wj * wj;
      uNorm2 += (double) uj * uj;
    }
    double ratio = wNorm2 > 0 && uNorm2 > 0 ? Math.sqrt(wNorm2) / Math.sqrt(uNorm2) : 1;
    float scale = (float) (lr * ratio);
    for (int j = 0; j < n; j++) {
      float wj = w[j];
      float uj = (mi[j] / bc1) / ((float) Math.sqrt(vi[j] / bc2) + eps) + wd * wj;
      w[j] = wj - scale * uj;
    }
  }
}

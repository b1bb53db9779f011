package org.autoprop.train;

import java.util.List;
import org.autoprop.layer.Parameter;

/** The Adam update shared by {@link Adam} (L2 decay) and {@link AdamW} (decoupled decay). */
final class AdamRule {
  private final float beta1;
  private final float beta2;
  private final double beta1d;
  private final double beta2d;
  private final float eps;
  private final double weightDecay;
  private final AbstractOptimizer owner;
  private final boolean decoupled;
  private final float[][] m;
  private final float[][] v;

  AdamRule(AbstractOptimizer owner, List<Parameter> parameters, double beta1, double beta2, double eps,
      double weightDecay, boolean decoupled) {
    owner.require(beta1 >= 0 && beta1 < 1, "beta1", beta1, "0 <= beta1 < 1");
    owner.require(beta2 >= 0 && beta2 < 1, "beta2", beta2, "0 <= beta2 < 1");
    owner.require(eps >= 0 && Float.isFinite((float) eps), "eps", eps, ">= 0 and finite as a float");
    owner.require(weightDecay >= 0 && Float.isFinite((float) weightDecay), "weight decay", weightDecay, ">= 0 and finite as a float");
    this.beta1 = (float) beta1;
    this.beta2 = (float) beta2;
    this.beta1d = beta1;
    this.beta2d = beta2;
    this.eps = (float) eps;
    this.weightDecay = weightDecay;
    this.owner = owner;
    this.decoupled = decoupled;
    m = new float[parameters.size()][];
    v = new float[parameters.size()][];
    for (int i = 0; i < m.length; i++) {
      m[i] = owner.newState(parameters.get(i), "exp_avg");
      v[i] = owner.newState(parameters.get(i), "exp_avg_sq");
    }
  }

  void update(int index, float[] w, float[] g, int n, long t) {
    double lr = owner.lr(index);
    double wd = owner.weightDecay(index, weightDecay);
    float[] mi = m[index];
    float[] vi = v[index];
    // bias corrections in double, as PyTorch computes them in Python floats
    float stepSize = (float) (lr / (1 - Math.pow(beta1d, t)));
    float bc2Sqrt = (float) Math.sqrt(1 - Math.pow(beta2d, t));
    // 1 - beta in double: 1f - 0.999f is off by 1.3e-5 relative, visible against PyTorch
    float keep1 = (float) (1 - beta1d);
    float keep2 = (float) (1 - beta2d);
    float l2 = decoupled ? 0f : (float) wd;
    float shrink = decoupled ? (float) (1 - lr * wd) : 1f;
    for (int j = 0; j < n; j++) {
      float wj = w[j] * shrink;
      float gj = g[j] + l2 * wj;
      float mj = beta1 * mi[j] + keep1 * gj;
      float vj = beta2 * vi[j] + keep2 * gj * gj;
      mi[j] = mj;
      vi[j] = vj;
      w[j] = wj - stepSize * mj / ((float) Math.sqrt(vj) / bc2Sqrt + eps);
    }
  }
}

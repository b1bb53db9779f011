package org.autoprop.train;

import java.util.List;
import java.util.Objects;
import org.autoprop.layer.Parameter;

/**
 * RMSprop with PyTorch's {@code torch.optim.RMSprop} rules: {@code g += wd w;
 * s = a s + (1-a) g^2}; centered: {@code c = a c + (1-a) g}, {@code avg = sqrt(s - c^2) + eps},
 * else {@code avg = sqrt(s) + eps}; with momentum {@code buf = m buf + g / avg, w -= lr buf},
 * else {@code w -= lr g / avg}. State: {@code square_avg}, {@code grad_avg} (centered),
 * {@code momentum_buffer} (momentum > 0).
 */
public final class RmsProp extends AbstractOptimizer {
  private final float alpha;
  private final float keep;
  private final float eps;
  private final float weightDecay;
  private final float momentum;
  private final boolean centered;
  private final float[][] square;
  private final float[][] gradAvg;
  private final float[][] buffers;

  /** RMSprop with alpha 0.99, eps 1e-8, no momentum, not centered (PyTorch's defaults). */
  public RmsProp(List<Parameter> parameters, double lr) {
    this(parameters, lr, 0.99, 1e-8, 0, 0, false);
  }

  /**
   * @param alpha smoothing constant in [0, 1)
   * @param eps added to the denominator, at least 0
   * @param weightDecay L2 penalty added to the gradient, at least 0
   * @param momentum in [0, 1)
   * @param centered normalise by the estimated variance of the gradient instead of its second moment
   */
  public RmsProp(List<Parameter> parameters, double lr, double alpha, double eps, double weightDecay,
      double momentum, boolean centered) {
    this(ParamGroups.single(parameters), lr, alpha, eps, weightDecay, momentum, centered);
  }

  /** The same over parameter groups (each group's learning rate and weight decay). */
  RmsProp(ParamGroups groups, double lr, double alpha, double eps, double weightDecay, double momentum,
      boolean centered) {
    super("RMSprop", groups, lr);
    List<Parameter> parameters = groups.parameters();
    require(alpha >= 0 && alpha < 1, "alpha", alpha, "0 <= alpha < 1");
    require(eps >= 0 && Float.isFinite((float) eps), "eps", eps, ">= 0 and finite as a float");
    require(weightDecay >= 0 && Float.isFinite((float) weightDecay), "weight decay", weightDecay, ">= 0 and finite as a float");
    require(momentum >= 0 && momentum < 1, "momentum", momentum, "0 <= momentum < 1");
    this.alpha = (float) alpha;
    this.keep = (float) (1 - alpha); // in double, like PyTorch's Python float
    this.eps = (float) eps;
    this.weightDecay = (float) weightDecay;
    this.momentum = (float) momentum;
    this.centered = centered;
    int count = parameters.size();
    square = new float[count][];
    gradAvg = new float[count][];
    buffers = new float[count][];
    for (int i = 0; i < count; i++) {
      Parameter p = parameters.get(i);
      square[i] = newState(p, "square_avg");
      if (centered) {
        gradAvg[i] = newState(p, "grad_avg");
      }
      if (momentum > 0) {
        buffers[i] = newState(p, "momentum_buffer");
      }
    }
  }


  /**
   * A builder with named settings and PyTorch's defaults (lr 1e-2, alpha 0.99, eps 1e-8, weight
   * decay 0, momentum 0, not centered), e.g.
   * {@code RmsProp.builder(model.parameters()).lr(1e-3).momentum(0.9).centered(true).build()}.
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

  /** Named settings for {@link RmsProp}; each setter checks its value and names it when it is out of range. */
  public static final class Builder {
    private final ParamGroups groups;
    private double lr = 1e-2;
    private double alpha = 0.99;
    private double eps = 1e-8;
    private double weightDecay;
    private double momentum;
    private boolean centered;

    private Builder(ParamGroups groups) {
      this.groups = groups;
    }

    /**
     * @param lr the learning rate, at least 0 (default 1e-2)
     * @return this builder
     */
    public Builder lr(double lr) {
      checkLr("RMSprop", lr);
      this.lr = lr;
      return this;
    }

    /**
     * @param alpha smoothing constant, in [0, 1) (default 0.99)
     * @return this builder
     */
    public Builder alpha(double alpha) {
      check("RMSprop", alpha >= 0 && alpha < 1, "alpha", alpha, "0 <= alpha < 1");
      this.alpha = alpha;
      return this;
    }

    /**
     * @param eps added to the denominator, at least 0 (default 1e-8)
     * @return this builder
     */
    public Builder eps(double eps) {
      check("RMSprop", eps >= 0 && Float.isFinite((float) eps), "eps", eps, ">= 0 and finite as a float");
      this.eps = eps;
      return this;
    }

    /**
     * @param weightDecay L2 penalty added to the gradient, at least 0 (default 0)
     * @return this builder
     */
    public Builder weightDecay(double weightDecay) {
      check("RMSprop", weightDecay >= 0 && Float.isFinite((float) weightDecay), "weight decay", weightDecay, ">= 0 and finite as a float");
      this.weightDecay = weightDecay;
      return this;
    }

    /**
     * @param momentum in [0, 1) (default 0)
     * @return this builder
     */
    public Builder momentum(double momentum) {
      check("RMSprop", momentum >= 0 && momentum < 1, "momentum", momentum, "0 <= momentum < 1");
      this.momentum = momentum;
      return this;
    }

    /**
     * @param centered normalise by the estimated variance of the gradient (default false)
     * @return this builder
     */
    public Builder centered(boolean centered) {
      this.centered = centered;
      return this;
    }

    /**
     * @return the optimizer
     */
    public RmsProp build() {
      return new RmsProp(groups, lr, alpha, eps, weightDecay, momentum, centered);
    }
  }

  @Override
  protected void update(int index, float[] w, float[] g, int n, long t) {
    float lr = (float) lr(index);
    float weightDecay = (float) weightDecay(index, this.weightDecay);
    float[] s = square[index];
    float[] c = gradAvg[index];
    float[] buf = buffers[index];
    for (int j = 0; j < n; j++) {
      float gj = g[j] + weightDecay * w[j];
      float sj = alpha * s[j] + keep * gj * gj;
      s[j] = sj;
      float var = sj;
      if (centered) {
        float cj = alpha * c[j] + keep * gj;
        c[j] = cj;
        // rounding can make s - c^2 slightly negative; PyTorch would give NaN there
        var = Math.max(sj - cj * cj, 0f);
      }
      float avg = (float) Math.sqrt(var) + eps;
      if (buf != null) {
        float b = momentum * buf[j] + gj / avg;
        buf[j] = b;
        w[j] -= lr * b;
      } else {
        w[j] -= lr * gj / avg;
      }
    }
  }
}

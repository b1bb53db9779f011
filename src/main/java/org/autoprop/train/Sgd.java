package org.autoprop.train;

import java.util.List;
import java.util.Objects;
import org.autoprop.layer.Parameter;

/**
 * Stochastic gradient descent with PyTorch's {@code torch.optim.SGD} rules:
 * {@code d = g + wd w}; with momentum {@code buf = d} on the first step, then
 * {@code buf = m buf + (1 - dampening) d}; {@code d = nesterov ? d + m buf : buf};
 * {@code w -= lr d}. State: {@code momentum_buffer} (only when momentum is not 0).
 */
public final class Sgd extends AbstractOptimizer {
  private final float momentum;
  private final float keep;
  private final float weightDecay;
  private final boolean nesterov;
  private final float[][] buffers;

  /** Plain SGD: {@code w -= lr g}. */
  public Sgd(List<Parameter> parameters, double lr) {
    this(parameters, lr, 0, 0, 0, false);
  }

  /** SGD with momentum (dampening 0, no Nesterov, no weight decay). */
  public Sgd(List<Parameter> parameters, double lr, double momentum) {
    this(parameters, lr, momentum, 0, 0, false);
  }

  /**
   * @param momentum in [0, 1)
   * @param dampening in [0, 1]; must be 0 with Nesterov
   * @param weightDecay L2 penalty added to the gradient, at least 0
   * @param nesterov Nesterov momentum (needs momentum > 0)
   */
  public Sgd(List<Parameter> parameters, double lr, double momentum, double dampening,
      double weightDecay, boolean nesterov) {
    this(ParamGroups.single(parameters), lr, momentum, dampening, weightDecay, nesterov);
  }

  /** The same over parameter groups (each group's learning rate and weight decay). */
  Sgd(ParamGroups groups, double lr, double momentum, double dampening, double weightDecay, boolean nesterov) {
    super("SGD", groups, lr);
    List<Parameter> parameters = groups.parameters();
    require(momentum >= 0 && momentum < 1, "momentum", momentum, "0 <= momentum < 1");
    require(dampening >= 0 && dampening <= 1, "dampening", dampening, "0 <= dampening <= 1");
    require(weightDecay >= 0 && Float.isFinite((float) weightDecay), "weight decay", weightDecay, ">= 0 and finite as a float");
    if (nesterov && (momentum <= 0 || dampening != 0)) {
      throw new IllegalArgumentException("SGD: Nesterov momentum needs momentum > 0 and dampening 0 (got momentum "
          + momentum + ", dampening " + dampening + ")");
    }
    this.momentum = (float) momentum;
    this.keep = (float) (1 - dampening); // in double, like PyTorch's Python float
    this.weightDecay = (float) weightDecay;
    this.nesterov = nesterov;
    this.buffers = new float[parameters.size()][];
    if (momentum != 0) {
      for (int i = 0; i < buffers.length; i++) {
        buffers[i] = newState(parameters.get(i), "momentum_buffer");
      }
    }
  }


  /**
   * A builder with named settings and PyTorch's defaults (lr 1e-3, momentum 0, dampening 0, weight
   * decay 0, no Nesterov), e.g.
   * {@code Sgd.builder(model.parameters()).lr(0.05).momentum(0.9).weightDecay(5e-4).build()}.
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

  /** Named settings for {@link Sgd}; each setter checks its value and names it when it is out of range. */
  public static final class Builder {
    private final ParamGroups groups;
    private double lr = 1e-3;
    private double momentum;
    private double dampening;
    private double weightDecay;
    private boolean nesterov;

    private Builder(ParamGroups groups) {
      this.groups = groups;
    }

    /**
     * @param lr the learning rate, at least 0 (default 1e-3)
     * @return this builder
     */
    public Builder lr(double lr) {
      checkLr("SGD", lr);
      this.lr = lr;
      return this;
    }

    /**
     * @param momentum in [0, 1) (default 0)
     * @return this builder
     */
    public Builder momentum(double momentum) {
      check("SGD", momentum >= 0 && momentum < 1, "momentum", momentum, "0 <= momentum < 1");
      this.momentum = momentum;
      return this;
    }

    /**
     * @param dampening in [0, 1] (default 0); must be 0 with Nesterov
     * @return this builder
     */
    public Builder dampening(double dampening) {
      check("SGD", dampening >= 0 && dampening <= 1, "dampening", dampening, "0 <= dampening <= 1");
      this.dampening = dampening;
      return this;
    }

    /**
     * @param weightDecay L2 penalty added to the gradient, at least 0 (default 0)
     * @return this builder
     */
    public Builder weightDecay(double weightDecay) {
      check("SGD", weightDecay >= 0 && Float.isFinite((float) weightDecay), "weight decay", weightDecay, ">= 0 and finite as a float");
      this.weightDecay = weightDecay;
      return this;
    }

    /**
     * @param nesterov Nesterov momentum (default false; needs momentum greater than 0 and dampening 0)
     * @return this builder
     */
    public Builder nesterov(boolean nesterov) {
      this.nesterov = nesterov;
      return this;
    }

    /**
     * @return the optimizer
     * @throws IllegalArgumentException if Nesterov is set without momentum or with dampening
     */
    public Sgd build() {
      return new Sgd(groups, lr, momentum, dampening, weightDecay, nesterov);
    }
  }

  @Override
  protected void update(int index, float[] w, float[] g, int n, long t) {
    float lr = (float) lr(index);
    float weightDecay = (float) weightDecay(index, this.weightDecay);
    if (momentum == 0) {
      for (int j = 0; j < n; j++) {
        w[j] -= lr * (g[j] + weightDecay * w[j]);
      }
      return;
    }
    float[] buf = buffers[index];
    boolean first = t == 1;
    for (int j = 0; j < n; j++) {
      float d = g[j] + weightDecay * w[j];
      float b = first ? d : momentum * buf[j] + keep * d;
      buf[j] = b;
      w[j] -= lr * (nesterov ? d + momentum * b : b);
    }
  }
}

package org.autoprop.train;

import java.util.List;
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
    super("SGD", parameters, lr);
    require(momentum >= 0 && momentum < 1, "momentum", momentum, "0 <= momentum < 1");
    require(dampening >= 0 && dampening <= 1, "dampening", dampening, "0 <= dampening <= 1");
    require(weightDecay >= 0 && Double.isFinite(weightDecay), "weight decay", weightDecay, ">= 0");
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

  @Override
  protected void update(int index, float[] w, float[] g, int n, long t) {
    float lr = (float) learningRate();
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

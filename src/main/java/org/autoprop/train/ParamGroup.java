package org.autoprop.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import org.autoprop.layer.Parameter;

/**
 * One of PyTorch's {@code param_groups}: parameters that share a learning rate and a weight decay
 * different from the optimizer's. Immutable; {@link #lr(double)} and {@link #weightDecay(double)}
 * return a copy with the setting. A setting left unset follows the optimizer's.
 *
 * <p>A group's learning rate follows the optimizer's in proportion, as each PyTorch group follows a
 * scheduler relative to its own initial rate: after {@code optimizer.setLearningRate(x)} the group
 * updates with {@code groupLr * x / initialLr}, {@code initialLr} being the optimizer's learning
 * rate at construction. So a schedule, a checkpoint (which saves the optimizer's rate) and
 * {@link LrSchedule#apply} need to know nothing about groups.
 */
public final class ParamGroup {
  private final List<Parameter> parameters;
  private final double lr;
  private final double weightDecay;

  private ParamGroup(List<Parameter> parameters, double lr, double weightDecay) {
    this.parameters = parameters;
    this.lr = lr;
    this.weightDecay = weightDecay;
  }

  /**
   * A group of {@code parameters} with the optimizer's learning rate and weight decay.
   *
   * @param parameters the group's parameters, in update order
   * @return the group
   */
  public static ParamGroup of(List<Parameter> parameters) {
    Objects.requireNonNull(parameters, "parameters");
    List<Parameter> copy = new ArrayList<>(parameters.size());
    for (Parameter p : parameters) {
      copy.add(Objects.requireNonNull(p, "parameter"));
    }
    return new ParamGroup(Collections.unmodifiableList(copy), Double.NaN, Double.NaN);
  }

  /**
   * This group with its own initial learning rate.
   *
   * @param lr at least 0 and finite as a float
   * @return a copy with the rate set
   */
  public ParamGroup lr(double lr) {
    AbstractOptimizer.check("ParamGroup", lr >= 0 && Float.isFinite((float) lr), "learning rate", lr,
        ">= 0 and finite as a float (< 3.4e38)");
    return new ParamGroup(parameters, lr, weightDecay);
  }

  /**
   * This group with its own weight decay (applied as the optimizer applies its own: an L2 term
   * for Adam or SGD, decoupled for AdamW, Lion and LAMB).
   *
   * @param weightDecay at least 0 and finite as a float
   * @return a copy with the weight decay set
   */
  public ParamGroup weightDecay(double weightDecay) {
    AbstractOptimizer.check("ParamGroup", weightDecay >= 0 && Float.isFinite((float) weightDecay), "weight decay",
        weightDecay, ">= 0 and finite as a float");
    return new ParamGroup(parameters, lr, weightDecay);
  }

  /** The parameters, in update order. */
  public List<Parameter> parameters() {
    return parameters;
  }

  /** Whether this group sets its own learning rate. */
  public boolean hasLr() {
    return !Double.isNaN(lr);
  }

  /** The group's own initial learning rate, or NaN when it follows the optimizer's. */
  public double lr() {
    return lr;
  }

  /** Whether this group sets its own weight decay. */
  public boolean hasWeightDecay() {
    return !Double.isNaN(weightDecay);
  }

  /** The group's own weight decay, or NaN when it uses the optimizer's. */
  public double weightDecay() {
    return weightDecay;
  }

  @Override
  public String toString() {
    return "ParamGroup(" + parameters.size() + " parameters" + (hasLr() ? ", lr=" + lr : "")
        + (hasWeightDecay() ? ", weight_decay=" + weightDecay : "") + ")";
  }
}

package org.autoprop.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import org.autoprop.layer.Parameter;

/**
 * The parameter groups of an optimizer, in order (PyTorch's {@code param_groups}); every
 * optimizer's {@code withGroups(ParamGroups)} builder takes them. The parameters of all groups, in group
 * order, are the optimizer's {@link Optimizer#parameters()}.
 *
 * <p>The usual split keeps weight decay off biases and normalisation weights:
 * {@code AdamW.withGroups(ParamGroups.noDecayOnBiasAndNorm(model.parameters())).lr(1e-3).weightDecay(0.05).build()}.
 */
public final class ParamGroups {
  private final List<ParamGroup> groups;
  private final List<Parameter> parameters;

  private ParamGroups(List<ParamGroup> groups) {
    this.groups = Collections.unmodifiableList(new ArrayList<>(groups));
    List<Parameter> all = new ArrayList<>();
    for (ParamGroup g : this.groups) {
      all.addAll(g.parameters());
    }
    this.parameters = Collections.unmodifiableList(all);
  }

  /**
   * One group of {@code parameters} with the optimizer's settings: what an optimizer built from a
   * plain parameter list has.
   *
   * @param parameters the parameters
   * @return a single group
   */
  public static ParamGroups single(List<Parameter> parameters) {
    return new ParamGroups(List.of(ParamGroup.of(Objects.requireNonNull(parameters, "parameters"))));
  }

  /**
   * The given groups, in this order.
   *
   * @param groups at least one
   * @return the groups
   */
  public static ParamGroups of(ParamGroup... groups) {
    return of(List.of(Objects.requireNonNull(groups, "groups")));
  }

  /**
   * The given groups, in this order.
   *
   * @param groups at least one
   * @return the groups
   */
  public static ParamGroups of(List<ParamGroup> groups) {
    Objects.requireNonNull(groups, "groups");
    if (groups.isEmpty()) {
      throw new IllegalArgumentException("ParamGroups: no group (expected: at least one)");
    }
    for (ParamGroup g : groups) {
      Objects.requireNonNull(g, "group");
    }
    return new ParamGroups(groups);
  }

  /**
   * The usual no-decay split: group 0 holds the parameters of rank 2 or more whose name does not end
   * in {@code bias} (weight matrices and kernels) with the optimizer's weight decay; group 1 holds
   * the rest (biases, LayerNorm/BatchNorm weights and other 1-D parameters) with weight decay 0.
   * An empty group is left out. Both keep the optimizer's learning rate.
   *
   * @param parameters the model's parameters
   * @return one or two groups
   */
  public static ParamGroups noDecayOnBiasAndNorm(List<Parameter> parameters) {
    Objects.requireNonNull(parameters, "parameters");
    List<Parameter> decay = new ArrayList<>();
    List<Parameter> noDecay = new ArrayList<>();
    for (Parameter p : parameters) {
      boolean bias = p.name().equals("bias") || p.name().endsWith(".bias");
      (p.value().shape().rank() <= 1 || bias ? noDecay : decay).add(p);
    }
    List<ParamGroup> groups = new ArrayList<>();
    if (!decay.isEmpty()) {
      groups.add(ParamGroup.of(decay));
    }
    if (!noDecay.isEmpty() || groups.isEmpty()) {
      groups.add(ParamGroup.of(noDecay).weightDecay(0));
    }
    return new ParamGroups(groups);
  }

  /** The groups, in order. */
  public List<ParamGroup> groups() {
    return groups;
  }

  /** The number of groups. */
  public int size() {
    return groups.size();
  }

  /** Group {@code index}. */
  public ParamGroup get(int index) {
    return groups.get(index);
  }

  /** The parameters of all groups, in group order. */
  public List<Parameter> parameters() {
    return parameters;
  }

  @Override
  public String toString() {
    return groups.toString();
  }
}

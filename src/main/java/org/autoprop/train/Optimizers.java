package org.autoprop.train;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.autoprop.layer.Parameter;

/**
 * Optimizers by name, with their defaults: PyTorch's class names ({@code SGD}, {@code Adam},
 * {@code AdamW}, {@code RMSprop}, {@code Adagrad}, {@code Adadelta}, {@code Adamax}, {@code NAdam},
 * {@code RAdam}) plus {@code Lion} and {@code LAMB}, and Luma's names as aliases
 * ({@code SGDOptimizer}, {@code MomentumOptimizer}, {@code RMSPropOptimizer}, {@code AdamOptimizer},
 * {@code AdaGradOptimizer}, {@code AdaDeltaOptimizer}, {@code AdaMaxOptimizer},
 * {@code AdamWOptimizer}, {@code NAdamOptimizer}). Names match ignoring case. An alias builds the
 * PyTorch optimizer with PyTorch's defaults, except {@code MomentumOptimizer}, SGD with momentum
 * 0.9 (its defining setting in Luma).
 */
public final class Optimizers {
  /** A factory of one optimizer type: parameter groups and learning rate in, optimizer out. */
  @FunctionalInterface
  private interface Factory {
    Optimizer create(ParamGroups groups, double lr);
  }

  private static final Map<String, Factory> BY_TYPE = new LinkedHashMap<>();
  private static final Map<String, String> ALIASES = new LinkedHashMap<>();

  static {
    BY_TYPE.put("SGD", (g, lr) -> Sgd.withGroups(g).lr(lr).build());
    BY_TYPE.put("Adam", (g, lr) -> Adam.withGroups(g).lr(lr).build());
    BY_TYPE.put("AdamW", (g, lr) -> AdamW.withGroups(g).lr(lr).build());
    BY_TYPE.put("RMSprop", (g, lr) -> RmsProp.withGroups(g).lr(lr).build());
    BY_TYPE.put("Adagrad", (g, lr) -> AdaGrad.withGroups(g).lr(lr).build());
    BY_TYPE.put("Adadelta", (g, lr) -> AdaDelta.withGroups(g).lr(lr).build());
    BY_TYPE.put("Adamax", (g, lr) -> AdaMax.withGroups(g).lr(lr).build());
    BY_TYPE.put("NAdam", (g, lr) -> NAdam.withGroups(g).lr(lr).build());
    BY_TYPE.put("RAdam", (g, lr) -> RAdam.withGroups(g).lr(lr).build());
    BY_TYPE.put("Lion", (g, lr) -> Lion.withGroups(g).lr(lr).build());
    BY_TYPE.put("LAMB", (g, lr) -> Lamb.withGroups(g).lr(lr).build());
    BY_TYPE.put("MomentumOptimizer", (g, lr) -> Sgd.withGroups(g).lr(lr).momentum(0.9).build());
    ALIASES.put("sgdoptimizer", "SGD");
    ALIASES.put("momentumoptimizer", "MomentumOptimizer");
    ALIASES.put("rmspropoptimizer", "RMSprop");
    ALIASES.put("adamoptimizer", "Adam");
    ALIASES.put("adagradoptimizer", "Adagrad");
    ALIASES.put("adadeltaoptimizer", "Adadelta");
    ALIASES.put("adamaxoptimizer", "Adamax");
    ALIASES.put("adamwoptimizer", "AdamW");
    ALIASES.put("nadamoptimizer", "NAdam");
    for (String type : BY_TYPE.keySet()) {
      ALIASES.putIfAbsent(type.toLowerCase(Locale.ROOT), type);
    }
  }

  private Optimizers() {}

  /**
   * The names {@link #byName} takes: the PyTorch type names, then Luma's aliases.
   *
   * @return the names, in a fixed order
   */
  public static List<String> names() {
    List<String> names = new java.util.ArrayList<>();
    for (String type : BY_TYPE.keySet()) {
      if (!type.equals("MomentumOptimizer")) {
        names.add(type);
      }
    }
    names.addAll(List.of("SGDOptimizer", "MomentumOptimizer", "RMSPropOptimizer", "AdamOptimizer",
        "AdaGradOptimizer", "AdaDeltaOptimizer", "AdaMaxOptimizer", "AdamWOptimizer", "NAdamOptimizer"));
    return Collections.unmodifiableList(names);
  }

  /**
   * The optimizer called {@code name} over {@code parameters} at rate {@code lr}, other settings at
   * their defaults.
   *
   * @param name a PyTorch type name or a Luma alias, any case (see {@link #names()})
   * @param parameters the parameters to update
   * @param lr the learning rate
   * @return the optimizer
   * @throws IllegalArgumentException for an unknown name (the message lists the known ones)
   */
  public static Optimizer byName(String name, List<Parameter> parameters, double lr) {
    return byName(name, ParamGroups.single(Objects.requireNonNull(parameters, "parameters")), lr);
  }

  /**
   * The optimizer called {@code name} over parameter groups at rate {@code lr}.
   *
   * @param name a PyTorch type name or a Luma alias, any case (see {@link #names()})
   * @param groups the parameter groups
   * @param lr the learning rate
   * @return the optimizer
   * @throws IllegalArgumentException for an unknown name (the message lists the known ones)
   */
  public static Optimizer byName(String name, ParamGroups groups, double lr) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(groups, "groups");
    String type = ALIASES.get(name.toLowerCase(Locale.ROOT));
    if (type == null) {
      throw new IllegalArgumentException("unknown optimizer '" + name + "' (expected one of: "
          + String.join(", ", names()) + ")");
    }
    return BY_TYPE.get(type).create(groups, lr);
  }
}

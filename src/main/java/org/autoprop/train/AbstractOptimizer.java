package org.autoprop.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.autoprop.layer.Parameter;
import org.autoprop.tensor.Tensor;

/**
 * The bookkeeping shared by optimizers: the parameter list (names must be unique), its
 * {@link ParamGroups} (each group's learning rate and weight decay), the learning rate, the step
 * count and named state tensors allocated once at construction, so a step allocates nothing.
 */
public abstract class AbstractOptimizer implements Optimizer {
  private final String typeName;
  private final List<Parameter> parameters;
  private final ParamGroups groups;
  /** The group of each parameter, by parameter index. */
  private final int[] groupOf;
  private final Map<String, Tensor> state = new LinkedHashMap<>();
  /** The learning rate at construction: groups with their own rate follow {@link #lr} in proportion to it. */
  private final double initialLr;
  private double lr;
  private long steps;

  /**
   * @param typeName e.g. {@code SGD}
   * @param parameters the parameters to update; names must be unique
   * @param lr the initial learning rate (at least 0, finite as a float)
   */
  protected AbstractOptimizer(String typeName, List<Parameter> parameters, double lr) {
    this(typeName, ParamGroups.single(Objects.requireNonNull(parameters, "parameters")), lr);
  }

  /**
   * @param typeName e.g. {@code SGD}
   * @param groups the parameter groups; parameter names must be unique across all groups
   * @param lr the initial learning rate (at least 0, finite as a float; greater than 0 when a
   *     group sets its own rate, which follows this one in proportion)
   */
  protected AbstractOptimizer(String typeName, ParamGroups groups, double lr) {
    this.typeName = Objects.requireNonNull(typeName, "typeName");
    this.groups = Objects.requireNonNull(groups, "groups");
    Set<String> names = new HashSet<>();
    for (Parameter p : groups.parameters()) {
      if (!names.add(p.name())) {
        throw new IllegalArgumentException(typeName + ": duplicate parameter name '" + p.name() + "'");
      }
    }
    this.parameters = groups.parameters();
    this.groupOf = new int[parameters.size()];
    for (int g = 0, i = 0; g < groups.size(); g++) {
      for (int k = 0; k < groups.get(g).parameters().size(); k++) {
        groupOf[i++] = g;
      }
    }
    setLearningRate(lr);
    this.initialLr = lr;
    for (int g = 0; g < groups.size(); g++) {
      if (groups.get(g).hasLr() && lr == 0) {
        throw new IllegalArgumentException(typeName + ": parameter group " + g + " sets learning rate "
            + groups.get(g).lr() + " but the optimizer's learning rate is 0 (expected: > 0, as group rates follow "
            + "it in proportion)");
      }
    }
  }

  /** Allocates a zero state tensor shaped like parameter {@code p}, registered as {@code p.name() + "." + name}. */
  protected final float[] newState(Parameter p, String name) {
    Tensor t = Tensor.zeros(p.value().shape());
    state.put(p.name() + "." + name, t);
    return t.data();
  }

  /**
   * Allocates a scalar (rank 0) state tensor holding {@code initial}, registered as
   * {@code p.name() + "." + name} (PyTorch's per-parameter scalars such as NAdam's {@code mu_product}).
   */
  protected final Tensor newScalarState(Parameter p, String name, float initial) {
    Tensor t = Tensor.zeros(org.autoprop.tensor.Shape.of());
    t.fill(initial);
    state.put(p.name() + "." + name, t);
    return t;
  }

  /**
   * The learning rate parameter {@code index} updates with now: the optimizer's, or its group's
   * initial rate scaled by {@code learningRate() / initialLr} when the group sets its own.
   */
  protected final double lr(int index) {
    return groupLr(groups.get(groupOf[index]));
  }

  private double groupLr(ParamGroup g) {
    if (!g.hasLr()) {
      return lr;
    }
    // exactly the group's rate until a schedule changes the optimizer's, as in PyTorch
    return lr == initialLr ? g.lr() : g.lr() * (lr / initialLr);
  }

  /** The weight decay of parameter {@code index}: its group's if the group sets one, else {@code fallback}. */
  protected final double weightDecay(int index, double fallback) {
    ParamGroup g = groups.get(groupOf[index]);
    return g.hasWeightDecay() ? g.weightDecay() : fallback;
  }

  /** Checks a hyperparameter range, with a message naming the optimizer. */
  protected final void require(boolean ok, String name, double value, String expected) {
    check(typeName, ok, name, value, expected);
  }

  /** The same check for builders, which run before the optimizer exists: names type, setting, value and range. */
  static void check(String typeName, boolean ok, String name, double value, String expected) {
    if (!ok) {
      throw new IllegalArgumentException(typeName + ": " + name + " " + value + " (expected: " + expected + ")");
    }
  }

  /** The learning-rate rule of {@link #setLearningRate}, for builders. */
  static void checkLr(String typeName, double lr) {
    check(typeName, lr >= 0 && Float.isFinite((float) lr), "learning rate", lr, ">= 0 and finite as a float (< 3.4e38)");
  }

  @Override
  public final void step() {
    steps++;
    for (int i = 0; i < parameters.size(); i++) {
      Parameter p = parameters.get(i);
      update(i, p.value().data(), p.grad().data(), p.value().size(), steps);
    }
  }

  /**
   * Updates parameter {@code index} in place: {@code w} its values, {@code g} its gradient (both
   * contiguous from offset 0, {@code n} elements), {@code t} the 1-based number of this step.
   */
  protected abstract void update(int index, float[] w, float[] g, int n, long t);

  @Override
  public final void zeroGrad() {
    for (int i = 0; i < parameters.size(); i++) { // indexed: an iterator per call is garbage per step
      parameters.get(i).zeroGrad();
    }
  }

  @Override
  public final double learningRate() {
    return lr;
  }

  @Override
  public final void setLearningRate(double lr) {
    // Finite as a float: the updates run in float, where 1e39 is already infinite.
    checkLr(typeName, lr);
    this.lr = lr;
  }

  @Override
  public final long stepCount() {
    return steps;
  }

  @Override
  public final List<Parameter> parameters() {
    return parameters;
  }

  /** The parameter groups (one group holding every parameter unless built from {@link ParamGroups}). */
  public final ParamGroups groups() {
    return groups;
  }

  /**
   * The learning rate group {@code group} updates with now.
   *
   * @param group a group index, {@code 0 <= group < groups().size()}
   * @return the group's current learning rate
   */
  public final double groupLearningRate(int group) {
    Objects.checkIndex(group, groups.size());
    return groupLr(groups.get(group));
  }

  @Override
  public final Map<String, Tensor> state() {
    return Collections.unmodifiableMap(state);
  }

  @Override
  public final void loadState(Map<String, Tensor> saved, long stepCount) {
    List<String> problems = new ArrayList<>();
    if (stepCount < 0) {
      problems.add("step count " + stepCount + " (expected: >= 0)");
    }
    List<String> missing = new ArrayList<>();
    List<String> mismatched = new ArrayList<>();
    for (Map.Entry<String, Tensor> e : state.entrySet()) {
      Tensor t = saved.get(e.getKey());
      if (t == null) {
        missing.add(e.getKey());
      } else if (!t.shape().equals(e.getValue().shape())) {
        mismatched.add(e.getKey() + " " + t.shape() + " (expected: " + e.getValue().shape() + ")");
      }
    }
    List<String> unexpected = new ArrayList<>();
    for (String k : saved.keySet()) {
      if (!state.containsKey(k)) {
        unexpected.add(k);
      }
    }
    if (!missing.isEmpty()) {
      problems.add("missing state " + missing);
    }
    if (!unexpected.isEmpty()) {
      problems.add("unexpected state " + unexpected);
    }
    if (!mismatched.isEmpty()) {
      problems.add("shape mismatches " + mismatched);
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(typeName + ": cannot load optimizer state: " + String.join("; ", problems));
    }
    for (Map.Entry<String, Tensor> e : state.entrySet()) {
      e.getValue().copyFrom(saved.get(e.getKey()));
    }
    this.steps = stepCount;
  }

  @Override
  public final String typeName() {
    return typeName;
  }

  @Override
  public String toString() {
    return typeName + "(lr=" + lr + ", " + parameters.size() + " parameters, step " + steps + ")";
  }
}

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
 * The bookkeeping shared by optimizers: the parameter list (names must be unique), the learning
 * rate, the step count and named state tensors allocated once at construction, so a step
 * allocates nothing.
 */
public abstract class AbstractOptimizer implements Optimizer {
  private final String typeName;
  private final List<Parameter> parameters;
  private final Map<String, Tensor> state = new LinkedHashMap<>();
  private double lr;
  private long steps;

  /**
   * @param typeName e.g. {@code SGD}
   * @param parameters the parameters to update; names must be unique
   * @param lr the initial learning rate (at least 0, finite as a float)
   */
  protected AbstractOptimizer(String typeName, List<Parameter> parameters, double lr) {
    this.typeName = Objects.requireNonNull(typeName, "typeName");
    Objects.requireNonNull(parameters, "parameters");
    Set<String> names = new HashSet<>();
    for (Parameter p : parameters) {
      if (!names.add(p.name())) {
        throw new IllegalArgumentException(typeName + ": duplicate parameter name '" + p.name() + "'");
      }
    }
    this.parameters = Collections.unmodifiableList(new ArrayList<>(parameters));
    setLearningRate(lr);
  }

  /** Allocates a zero state tensor shaped like parameter {@code p}, registered as {@code p.name() + "." + name}. */
  protected final float[] newState(Parameter p, String name) {
    Tensor t = Tensor.zeros(p.value().shape());
    state.put(p.name() + "." + name, t);
    return t.data();
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
    for (Parameter p : parameters) {
      p.zeroGrad();
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

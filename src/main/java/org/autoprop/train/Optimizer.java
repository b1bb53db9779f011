package org.autoprop.train;

import java.util.List;
import java.util.Map;
import org.autoprop.layer.Parameter;
import org.autoprop.layer.Updater;
import org.autoprop.tensor.Tensor;

/**
 * Updates parameters in place from their accumulated gradients.
 *
 * <p>An optimizer is built over a fixed list of {@link Parameter}s (usually
 * {@code model.parameters()}) and keeps per-parameter state keyed by the parameter's name:
 * {@link #state()} maps {@code "<parameter name>.<state name>"} (PyTorch's state names, e.g.
 * {@code fc.weight.exp_avg}) to the live state tensors, which with {@link #stepCount()} is all a
 * checkpoint needs to resume exactly.
 */
public interface Optimizer extends Updater {
  /** Applies one update to every parameter from its current gradient, then counts the step. */
  @Override
  void step();

  /** Sets every parameter's gradient to zero. */
  void zeroGrad();

  /** The current learning rate. */
  @Override
  double learningRate();

  /** Sets the learning rate used from the next {@link #step()} on. */
  @Override
  void setLearningRate(double lr);

  /** The number of {@link #step()} calls so far (or the value restored by {@link #loadState}). */
  long stepCount();

  /** The parameters, in the order given at construction. */
  @Override
  List<Parameter> parameters();

  /** The state tensors by {@code "<parameter name>.<state name>"}, live (not copies), in a fixed order. */
  Map<String, Tensor> state();

  /**
   * Restores the state saved from {@link #state()} and {@link #stepCount()}. Everything is checked
   * before anything changes: missing names, unexpected names and shape mismatches are all reported
   * in one {@link IllegalArgumentException}.
   */
  void loadState(Map<String, Tensor> state, long stepCount);

  /** The optimizer's type name ({@code SGD}, {@code Adam}, ...), saved with checkpoints. */
  String typeName();
}

package org.autoprop.spark;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import org.autoprop.io.StateDict;
import org.autoprop.layer.Layer;
import org.autoprop.layer.Parameter;
import org.autoprop.tensor.Tensor;
import org.autoprop.train.Optimizer;

/**
 * Everything a replica's training depends on, flat: the model's state dict (parameters, then
 * buffers, in {@link StateDict#of} order), the optimizer's state tensors (in {@link Optimizer#state}
 * order), its step count and learning rate. What the driver broadcasts at the start of a job
 * (the model part only in synchronous mode, where the optimizer is the driver's).
 */
final class ModelState implements Serializable {
  private static final long serialVersionUID = 1L;

  final float[] model;
  final float[] optimizer;
  final long steps;
  final double learningRate;

  private ModelState(float[] model, float[] optimizer, long steps, double learningRate) {
    this.model = model;
    this.optimizer = optimizer;
    this.steps = steps;
    this.learningRate = learningRate;
  }

  static ModelState capture(Layer model, Optimizer optimizer) {
    return new ModelState(flatten(StateDict.of(model).values()), flatten(optimizer.state().values()),
        optimizer.stepCount(), optimizer.learningRate());
  }

  /** The model's state dict only: what a synchronous worker needs (the optimizer is the driver's). */
  static ModelState captureModel(Layer model) {
    return new ModelState(flatten(StateDict.of(model).values()), new float[0], 0, 0);
  }

  /** Copies the model part of this state into the live tensors of {@code model}. */
  void applyModelTo(Layer model) {
    unflatten(model, StateDict.of(model).values(), this.model);
  }

  /** The same model state with another optimizer state and step count. */
  static ModelState withOptimizer(ModelState state, float[] optimizer, long steps) {
    return new ModelState(state.model, optimizer, steps, state.learningRate);
  }

  /** Copies this state into the live tensors of {@code model} and {@code optimizer}. */
  void applyTo(Layer model, Optimizer optimizer) {
    unflatten(model, StateDict.of(model).values(), this.model);
    applyOptimizerTo(optimizer);
  }

  /** Copies the optimizer part of this state into {@code optimizer}. */
  void applyOptimizerTo(Optimizer optimizer) {
    Map<String, Tensor> state = new LinkedHashMap<>();
    int at = 0;
    for (Map.Entry<String, Tensor> e : optimizer.state().entrySet()) {
      Tensor t = e.getValue();
      if (at + t.size() > this.optimizer.length) {
        throw new IllegalStateException("optimizer state of " + this.optimizer.length + " floats is too short for "
            + e.getKey() + "; was it taken from another optimizer?");
      }
      state.put(e.getKey(), Tensor.wrap(Arrays.copyOfRange(this.optimizer, at, at + t.size()), t.shape()));
      at += t.size();
    }
    if (at != this.optimizer.length) {
      throw new IllegalStateException("optimizer state of " + this.optimizer.length + " floats (expected: " + at
          + "); was it taken from another optimizer?");
    }
    optimizer.loadState(state, steps);
    optimizer.setLearningRate(learningRate);
  }

  /** The parameters' values only (the part every replica must agree on), flat. */
  static float[] parameters(Layer model) {
    int n = 0;
    for (Parameter p : model.parameters()) {
      n += p.value().size();
    }
    float[] out = new float[n];
    int at = 0;
    for (Parameter p : model.parameters()) {
      at = copyOut(p.value(), out, at);
    }
    return out;
  }

  static float[] flatten(Collection<Tensor> tensors) {
    int n = 0;
    for (Tensor t : tensors) {
      n += t.size();
    }
    float[] out = new float[n];
    int at = 0;
    for (Tensor t : tensors) {
      at = copyOut(t, out, at);
    }
    return out;
  }

  private static int copyOut(Tensor t, float[] out, int at) {
    Tensor c = t.contiguous();
    System.arraycopy(c.data(), c.offset(), out, at, c.size());
    return at + c.size();
  }

  static void unflatten(Layer model, Collection<Tensor> tensors, float[] values) {
    int n = 0;
    for (Tensor t : tensors) {
      n += t.size();
    }
    if (n != values.length) {
      throw new IllegalStateException(model.typeName() + ": a state of " + values.length + " floats (expected: " + n
          + "); do the driver and the workers build the same model?");
    }
    int at = 0;
    for (Tensor t : tensors) {
      if (t.isContiguous()) {
        System.arraycopy(values, at, t.data(), t.offset(), t.size());
      } else {
        t.copyFrom(Tensor.wrap(Arrays.copyOfRange(values, at, at + t.size()), t.shape()));
      }
      at += t.size();
    }
  }
}

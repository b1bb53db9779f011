package org.autoprop.layer;

import java.util.List;
import java.util.Map;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * A differentiable function of one tensor, with parameters.
 *
 * <p>Contract:
 *
 * <ul>
 *   <li>{@link #outputShape} is pure and throws {@link IllegalArgumentException} naming the layer,
 *       the expected and the actual shape for an input it cannot take.
 *   <li>{@link #forward} checks the input shape once, computes the output and keeps what
 *       {@link #backward} needs. <b>The returned tensor is owned by the layer and valid until its
 *       next {@code forward}</b>: the layer reuses its output and scratch buffers while the input
 *       shape stays the same, so a training step in steady state allocates (almost) nothing.
 *   <li>{@link #backward} takes the gradient of the loss with respect to the latest forward's
 *       output, <b>adds</b> the parameter gradients into {@link Parameter#grad()}, and returns the
 *       gradient with respect to the input (owned by the layer, valid until its next backward).
 *   <li>Layers never write into their input tensors, and callers never write into the tensors a
 *       layer returns: a returned tensor may be the layer's own buffer, its input itself
 *       ({@code Identity}) or a view of it ({@code Flatten}, {@code Reshape}), and a returned
 *       gradient may be a view of {@code gradOut}. Copy a result to keep or change it.
 * </ul>
 */
public interface Layer {
  /** The output shape for an input of shape {@code input}, or an exception naming what is wrong. */
  Shape outputShape(Shape input);

  /** Computes the output; {@code training} selects batch statistics, dropout and the like. */
  Tensor forward(Tensor x, boolean training);

  /** Accumulates parameter gradients and returns the input gradient of the latest forward. */
  Tensor backward(Tensor gradOut);

  /**
   * As {@link #backward(Tensor)} when {@code inputGradient}; otherwise only the parameter
   * gradients are needed (the input is data, as a network's input batch in training), and a layer
   * may skip computing the input gradient and return null. The default computes it anyway.
   */
  default Tensor backward(Tensor gradOut, boolean inputGradient) {
    return backward(gradOut);
  }

  /** Trainable parameters with local dotted names (empty by default). */
  default List<Parameter> parameters() {
    return List.of();
  }

  /**
   * Non-trainable state saved with the weights, by local name (e.g. BatchNorm's
   * {@code running_mean}); empty by default.
   */
  default Map<String, Tensor> buffers() {
    return Map.of();
  }

  /** Sets every parameter gradient to zero. */
  default void zeroGrad() {
    for (Parameter p : parameters()) {
      p.zeroGrad();
    }
  }

  /**
   * The floating-point operations of one inference forward pass ({@code training = false}) on an
   * input of shape {@code input}, the batch included.
   *
   * <p>Convention: a multiply-add counts as 2 FLOPs (Conv2D and Dense are {@code 2 * MACs}; the
   * bias add is folded into the multiply-adds, not counted again); an elementwise operation counts
   * 1 per element per operation (ReLU 1, BatchNorm's folded scale-and-shift 2, the sum of
   * {@code k} tensors {@code k - 1}); a transcendental function (exp, tanh, erf) counts as one
   * operation; pure data movement (Identity, Flatten, Reshape, concatenation, inference-time
   * Dropout) counts 0. Merges are counted by {@link Merge#flops}. The default, 0, means "no
   * arithmetic"; a layer that does arithmetic must override it.
   */
  default long flops(Shape input) {
    return 0;
  }

  /**
   * Turns anomaly detection on or off: when on, a model made of nodes checks every node's output
   * and gradients and throws {@link org.autoprop.tensor.NonFiniteException} naming the first that
   * is not finite. A no-op for a single layer (the default).
   */
  default void detectAnomalies(boolean on) {}

  /** A short type name for summaries ({@code Conv2D}, {@code ReLU}); the class name by default. */
  default String typeName() {
    return getClass().getSimpleName();
  }
}

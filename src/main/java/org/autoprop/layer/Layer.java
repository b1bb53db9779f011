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
 *   <li><b>Nothing a forward was given or returned changes before its backward.</b> A layer keeps
 *       references to its input and output for the backward, without copying them, so writing
 *       into either between a {@code forward} and its {@code backward} gives silently wrong
 *       gradients. Containers check this when {@link #detectAnomalies anomaly detection} is on.
 *   <li><b>A layer is single-threaded.</b> It reuses its buffers from call to call, so one
 *       instance (a model) must not run on two threads at once; containers ({@code LayerGraph},
 *       {@link Sequential}) fail at once with an {@link IllegalStateException} naming both threads
 *       when a second thread enters. To run a model on many threads, give each thread its own
 *       instance, built by the same code, and copy the weights into it by name (see
 *       {@code StateDict.of}).
 *   <li>A layer object belongs to one model position: the same object in two nodes or two graphs
 *       would have its saved forward state overwritten by the other ({@code LayerGraph.build()}
 *       rejects a node or nested graph held by another built graph).
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
   * Dropout) counts 0. Merges are counted by
   * {@link org.autoprop.layer.merge.MergeRule#flops}. The default, 0, means "no
   * arithmetic"; a layer that does arithmetic must override it.
   */
  default long flops(Shape input) {
    return 0;
  }

  /**
   * Turns anomaly detection on or off (off by default; a debugging mode like PyTorch's anomaly
   * mode). When on, a container ({@code LayerGraph}, {@link Sequential}) and the containers inside
   * it check, as they run, the input and every node's output in forward, and every node's output
   * gradient, input gradient and parameter gradients in backward: the first NaN or infinity throws
   * a {@link org.autoprop.tensor.NonFiniteException} naming the node ({@code block1.conv2} when
   * nested), its layer type, the tensor, the index of the element and its value. Backward also
   * checks, by checksums taken at forward, that no node's input (nor the output) changed since the
   * forward, and throws an {@link IllegalStateException} naming the node if one did. Every tensor is
   * read once more, so it is slower; when off it costs a branch per node. A no-op for a single
   * layer (the default).
   */
  default void detectAnomalies(boolean on) {}

  /**
   * Whether anomaly detection is on ({@link #detectAnomalies}); always false for a single layer.
   *
   * @return true when this container checks its nodes
   */
  default boolean detectsAnomalies() {
    return false;
  }

  /** A short type name for summaries ({@code Conv2D}, {@code ReLU}); the class name by default. */
  default String typeName() {
    return getClass().getSimpleName();
  }
}

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
 *   <li>Layers never write into their input tensors.
 * </ul>
 */
public interface Layer {
  /** The output shape for an input of shape {@code input}, or an exception naming what is wrong. */
  Shape outputShape(Shape input);

  /** Computes the output; {@code training} selects batch statistics, dropout and the like. */
  Tensor forward(Tensor x, boolean training);

  /** Accumulates parameter gradients and returns the input gradient of the latest forward. */
  Tensor backward(Tensor gradOut);

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

  /** The multiply-adds times two of one forward pass on an input of shape {@code input} (0 if unknown). */
  default long flops(Shape input) {
    return 0;
  }

  /** A short type name for summaries ({@code Conv2D}, {@code ReLU}); the class name by default. */
  default String typeName() {
    return getClass().getSimpleName();
  }
}

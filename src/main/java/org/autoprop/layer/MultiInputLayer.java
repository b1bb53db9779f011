package org.autoprop.layer;

import java.util.List;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * A layer of several ordered inputs, as attention's query, key and value: a {@link Layer} whose
 * single-input methods are the one-input case ({@link #outputShape(Shape)} is
 * {@code outputShape(List.of(x))}, {@link #backward(Tensor)} the gradient of that one input).
 *
 * <p>In a {@code LayerGraph}, a node whose layer is a {@code MultiInputLayer} and that has several
 * predecessors receives their outputs unmerged, in edge declaration order, as the list of
 * {@link #forward(List, boolean)}; its gradients go back in the same order. Such a node keeps the
 * default merge mode ({@code SUM}, which it does not apply): any other mode is a build error naming
 * the node.
 *
 * <p>The contract of {@link Layer} holds input by input: the layer never writes into its inputs,
 * its output and the gradients it returns are its own buffers, valid until its next forward or
 * backward, and nothing a forward was given may change before its backward.
 */
public interface MultiInputLayer extends Layer {
  /**
   * The least number of inputs this layer takes (1 when the one-input case is meaningful).
   *
   * @return at least 1
   */
  int minInputs();

  /**
   * The largest number of inputs this layer takes.
   *
   * @return at least {@link #minInputs()}
   */
  int maxInputs();

  /**
   * The output shape for inputs of the given shapes, in order, or an
   * {@link IllegalArgumentException} naming the layer, the input and both shapes.
   *
   * @param inputs one shape per input
   * @return the output shape
   */
  Shape outputShape(List<Shape> inputs);

  /**
   * Computes the output of the ordered inputs. The returned tensor is owned by the layer and valid
   * until its next forward.
   *
   * @param inputs the inputs, never written
   * @param training whether this is a training pass
   * @return the output
   */
  Tensor forward(List<Tensor> inputs, boolean training);

  /**
   * Accumulates the parameter gradients and returns the gradient of every input of the latest
   * forward, in input order (owned by the layer, valid until its next backward).
   *
   * @param gradOut the gradient of the loss with respect to the latest output
   * @return one gradient per input
   */
  List<Tensor> backwardInputs(Tensor gradOut);

  /**
   * The FLOPs of one inference forward on inputs of the given shapes (see {@link Layer#flops}).
   *
   * @param inputs one shape per input
   * @return the FLOPs, 0 by default
   */
  default long flops(List<Shape> inputs) {
    return 0;
  }

  /** In words, the input counts this layer takes ({@code "1 to 3 inputs"}), for messages. */
  default String expectedInputs() {
    return minInputs() == maxInputs() ? minInputs() + " input" + (minInputs() == 1 ? "" : "s")
        : minInputs() + " to " + maxInputs() + " inputs";
  }
}

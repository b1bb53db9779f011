package org.autoprop.layer;

import org.autoprop.kernel.ActivationKernels;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * Base of the parameter-free activation layers: y = f(x) elementwise (or along one axis, for
 * {@link Softmax}) on inputs of any rank.
 *
 * <p>The lifecycle is {@link AbstractLayer}'s; backward sees both the input and the output, so it
 * can use whichever is cheaper. Subclasses implement {@link #apply} and {@link #applyBackward} on
 * contiguous tensors.
 */
public abstract class Activation extends AbstractLayer {
  /** The activation kernels of this layer's provider. */
  protected final ActivationKernels activations = kernels.activation();

  /** For subclasses. */
  protected Activation() {}

  /** The input shape itself: activations take any rank. */
  @Override
  public Shape outputShape(Shape input) {
    return input;
  }

  @Override
  protected final void forward(Tensor x, Tensor y, boolean training) {
    apply(x, y);
  }

  @Override
  protected final void backward(Tensor x, Tensor y, Tensor gy, Tensor gx) {
    applyBackward(x, y, gy, gx);
  }

  /**
   * Computes y from x. Both are contiguous with the same shape; {@code y} starts at offset 0,
   * {@code x} at {@link Tensor#offset()}.
   */
  protected abstract void apply(Tensor x, Tensor y);

  /**
   * Computes the input gradient {@code gx} from the upstream gradient {@code g}, using the input
   * {@code x} and/or the output {@code y} of the latest forward. All four are contiguous with the
   * same shape.
   */
  protected abstract void applyBackward(Tensor x, Tensor y, Tensor g, Tensor gx);

  /**
   * One operation per element (the convention of {@link Layer#flops}: a transcendental function
   * such as exp or tanh counts as one); {@link Softmax} counts more.
   */
  @Override
  public long flops(Shape input) {
    return outputShape(input).size();
  }

  /** Checks that a constructor argument is finite, naming the layer and the argument. */
  static float finite(String layer, String name, double value) {
    if (!Double.isFinite(value)) {
      throw new IllegalArgumentException(layer + ": " + name + " " + value + " (expected: finite)");
    }
    return (float) value;
  }

  /** Checks that a constructor argument is finite and at least {@code min}. */
  static float atLeast(String layer, String name, double value, double min) {
    if (!Double.isFinite(value) || value < min) {
      throw new IllegalArgumentException(layer + ": " + name + " " + value + " (expected: finite and >= " + min + ")");
    }
    return (float) value;
  }

  /** Checks that a constructor argument is finite and strictly positive. */
  static float positive(String layer, String name, double value) {
    if (!Double.isFinite(value) || !(value > 0)) {
      throw new IllegalArgumentException(layer + ": " + name + " " + value + " (expected: finite and > 0)");
    }
    return (float) value;
  }
}

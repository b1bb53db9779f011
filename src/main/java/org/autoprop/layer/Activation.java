package org.autoprop.layer;

import org.autoprop.kernel.ActivationKernels;
import org.autoprop.kernel.KernelProvider;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * Base of the parameter-free activation layers: y = f(x) elementwise (or along one axis, for
 * {@link Softmax}) on inputs of any rank.
 *
 * <p>Forward keeps a reference to the input (a reused contiguous copy when the input is a strided
 * view) and its own output, so that backward can use whichever is cheaper; output and input
 * gradient buffers are reused while the shape stays the same. Subclasses implement
 * {@link #apply} and {@link #applyBackward} on contiguous tensors.
 */
public abstract class Activation implements Layer {
  /** The activation kernels chosen for this JVM. */
  protected static final ActivationKernels KERNELS = KernelProvider.get().activation();

  private Tensor input;
  private Tensor inputCopy;
  private Tensor output;
  private Tensor gradIn;
  private Tensor gradOutCopy;

  /** For subclasses. */
  protected Activation() {}

  /** The input shape itself: activations take any rank. */
  @Override
  public Shape outputShape(Shape input) {
    return input;
  }

  /**
   * y := f(x). The returned tensor is owned by this layer and valid until its next forward; the
   * input is never written.
   */
  @Override
  public final Tensor forward(Tensor x, boolean training) {
    Shape shape = outputShape(x.shape());
    if (x.isContiguous()) {
      input = x;
    } else {
      inputCopy = Tensor.reuse(inputCopy, shape).copyFrom(x);
      input = inputCopy;
    }
    output = Tensor.reuse(output, shape);
    apply(input, output);
    return output;
  }

  /**
   * gx := f'(x) * gradOut for the latest forward.
   *
   * @throws IllegalStateException before any forward
   * @throws IllegalArgumentException if {@code gradOut}'s shape is not the output's
   */
  @Override
  public final Tensor backward(Tensor gradOut) {
    if (output == null) {
      throw new IllegalStateException(this + ": backward called before forward");
    }
    if (!gradOut.shape().equals(output.shape())) {
      throw new IllegalArgumentException(this + ": gradient " + gradOut.shape()
          + " does not match the output (expected: " + output.shape() + ")");
    }
    Tensor g = gradOut;
    if (!g.isContiguous()) {
      gradOutCopy = Tensor.reuse(gradOutCopy, g.shape()).copyFrom(g);
      g = gradOutCopy;
    }
    gradIn = Tensor.reuse(gradIn, output.shape());
    applyBackward(input, output, g, gradIn);
    return gradIn;
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

  /** The type name with its settings, e.g. {@code LeakyReLU(slope=0.01)}; the type name by default. */
  @Override
  public String toString() {
    return typeName();
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

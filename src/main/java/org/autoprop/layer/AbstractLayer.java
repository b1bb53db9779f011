package org.autoprop.layer;

import java.util.Objects;
import org.autoprop.kernel.KernelProvider;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * The base of a layer that computes its output into a buffer of its own: it owns the whole
 * {@link Layer} lifecycle, so that a subclass writes only its shape rule ({@link #outputShape}),
 * its forward ({@link #forward(Tensor, Tensor, boolean)}) and its backward
 * ({@link #backward(Tensor, Tensor, Tensor, Tensor)}), as Keras' {@code Layer.__call__} does for a
 * Keras layer.
 *
 * <p>What the base does, once for every layer:
 *
 * <ul>
 *   <li>calls {@link #outputShape} once per new input shape (the shape rule is the only check a
 *       subclass writes) and then {@link #prepare}, where a subclass sizes what depends on the
 *       shape;
 *   <li>copies a strided input (and a strided upstream gradient) into a buffer it reuses, so the
 *       hooks always see contiguous tensors;
 *   <li>reuses the output and input-gradient buffers while the shapes stay the same, so a warm
 *       training step allocates nothing here;
 *   <li>rejects a backward before any forward, or after a forward that threw
 *       ({@link IllegalStateException}) and an upstream
 *       gradient whose shape is not the latest output's ({@link IllegalArgumentException}), both
 *       naming the layer ({@link #toString()}) and the shapes;
 *   <li>keeps the input, the output and the training flag of the latest forward for the backward;
 *   <li>takes the layer's kernels once, at construction: {@link #kernels} is
 *       {@link KernelProvider#current()} (the JVM's choice, or the provider of an enclosing
 *       {@link KernelProvider#building}).
 * </ul>
 *
 * <p>A layer whose output is a view of its input ({@link Flatten}, {@link Reshape},
 * {@link Identity}) does not fit this shape and uses the package's view base instead; containers
 * ({@link Sequential}, {@code LayerGraph}) implement {@link Layer} directly.
 */
public abstract class AbstractLayer implements Layer {
  /** The kernels this layer runs on, read once when it was constructed. */
  protected final KernelProvider kernels = KernelProvider.current();

  private final ShapeCache shapes = new ShapeCache(this, this::prepare);
  private Tensor input;
  private Tensor inputCopy;
  private Tensor output;
  private Tensor gradOutCopy;
  private Tensor gradInput;
  private boolean training;
  /** A forward completed and its state is what a backward may use. */
  private boolean forwardDone;

  /** For subclasses. */
  protected AbstractLayer() {}

  /**
   * Runs the layer: checks the input shape (the cached {@link #outputShape}), makes the input
   * contiguous and calls {@link #forward(Tensor, Tensor, boolean)} with the reused output buffer.
   * The returned tensor is owned by this layer and valid until its next forward.
   */
  @Override
  public final Tensor forward(Tensor x, boolean training) {
    Objects.requireNonNull(x, "x");
    Shape outShape = shapes.outputShape(x.shape());
    forwardDone = false;
    if (x.isContiguous()) {
      input = x;
    } else {
      inputCopy = Tensor.reuse(inputCopy, x.shape()).copyFrom(x);
      input = inputCopy;
    }
    output = Tensor.reuse(output, outShape);
    this.training = training;
    forward(input, output, training);
    forwardDone = true;
    return output;
  }

  /** As {@link #backward(Tensor, boolean)} with the input gradient. */
  @Override
  public final Tensor backward(Tensor gradOut) {
    return backward(gradOut, true);
  }

  /**
   * Checks the upstream gradient against the latest output, makes it contiguous and calls
   * {@link #backward(Tensor, Tensor, Tensor, Tensor)}. Without {@code inputGradient}, a layer that
   * {@link #skipsInputGradient() can skip} the input gradient gets a null {@code gx} and this
   * returns null; any other layer computes and returns it anyway.
   *
   * @throws IllegalStateException before any forward
   * @throws IllegalArgumentException if {@code gradOut}'s shape is not the latest output's
   */
  @Override
  public final Tensor backward(Tensor gradOut, boolean inputGradient) {
    Objects.requireNonNull(gradOut, "gradOut");
    LayerChecks.checkGradient(this, forwardDone ? output.shape() : null, gradOut.shape());
    Tensor gy = gradOut;
    if (!gy.isContiguous()) {
      gradOutCopy = Tensor.reuse(gradOutCopy, gy.shape()).copyFrom(gy);
      gy = gradOutCopy;
    }
    Tensor gx = null;
    if (inputGradient || !skipsInputGradient()) {
      gradInput = Tensor.reuse(gradInput, input.shape());
      gx = gradInput;
    }
    backward(input, output, gy, gx);
    return gx;
  }

  /**
   * Computes the output. {@code x} is contiguous (at its {@link Tensor#offset()}); {@code y} is
   * this layer's contiguous buffer at offset 0, of the shape {@link #outputShape} gave, holding
   * whatever the previous forward left there.
   *
   * @param x the input, never to be written
   * @param y the output to fill
   * @param training whether this is a training pass (batch statistics, dropout and the like)
   */
  protected abstract void forward(Tensor x, Tensor y, boolean training);

  /**
   * Adds the parameter gradients into {@link Parameter#grad()} and writes the input gradient.
   * All four tensors are contiguous; {@code x} and {@code y} are the latest forward's input and
   * output, {@code gx} is this layer's buffer at offset 0 with old contents (overwrite it), or
   * null when the caller needs no input gradient and {@link #skipsInputGradient()} is true.
   *
   * @param x the latest forward's input
   * @param y the latest forward's output
   * @param gy the gradient of the loss with respect to {@code y}
   * @param gx the input gradient to fill, or null
   */
  protected abstract void backward(Tensor x, Tensor y, Tensor gy, Tensor gx);

  /**
   * Called after {@link #outputShape} accepted a new input shape, before the forward that uses
   * it: the place to size scratch and plans that depend on the shape. Does nothing by default.
   *
   * @param input the new input shape
   * @param output its output shape
   */
  protected void prepare(Shape input, Shape output) {}

  /**
   * Whether {@link #backward(Tensor, Tensor, Tensor, Tensor)} accepts a null {@code gx} and then
   * skips the input gradient (a network's first layer, whose input is data). False by default.
   *
   * @return true when the input gradient can be skipped
   */
  protected boolean skipsInputGradient() {
    return false;
  }

  /** The latest completed forward's output shape, or null (for wrappers that check as this does). */
  final Shape latestOutputShape() {
    return forwardDone ? output.shape() : null;
  }

  /**
   * Whether the latest forward was a training pass (false before any forward).
   *
   * @return the {@code training} flag of the latest forward
   */
  protected final boolean lastForwardTraining() {
    return training;
  }

  /**
   * The type name and settings, e.g. {@code Dense(784->10)}: the name errors use. The type name
   * by default.
   */
  @Override
  public String toString() {
    return typeName();
  }
}

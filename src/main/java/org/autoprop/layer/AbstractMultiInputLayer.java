package org.autoprop.layer;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.autoprop.kernel.KernelProvider;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * The base of a {@link MultiInputLayer} that computes into buffers of its own: the several-input
 * twin of {@link AbstractLayer}. It checks the input count and shapes (the subclass's
 * {@link #outputShape(List)}, called once per new list of input shapes, then {@link #prepare}),
 * copies strided inputs and gradients into reused contiguous buffers, reuses the output and the
 * input-gradient buffers while the shapes stay the same, and rejects a backward before a forward or
 * with a gradient of the wrong shape, naming the layer. The one-input methods of {@link Layer} run
 * the one-input case without allocating.
 */
public abstract class AbstractMultiInputLayer implements MultiInputLayer {
  /** The kernels this layer runs on, read once when it was constructed. */
  protected final KernelProvider kernels = KernelProvider.current();

  private Shape[] cachedShapes = new Shape[0];
  private Shape cachedOutput;
  private Tensor[] inputs = new Tensor[0];
  private Tensor[] inputCopies;
  private Tensor output;
  private Tensor gradOutCopy;
  private Tensor[] gradInputs;
  /** gradLists[c] is the fixed-size list returned for c inputs, backed by gradArrays[c]. */
  private final Tensor[][] gradArrays;
  private final List<Tensor>[] gradLists;
  private final Tensor[] one = new Tensor[1];
  private final List<Tensor> oneList = Arrays.asList(one);
  private final Shape[] oneShape = new Shape[1];
  private final List<Shape> oneShapeList = Arrays.asList(oneShape);
  private int count;
  private boolean forwardDone;

  /**
   * For subclasses.
   *
   * @param max the largest input count the subclass's {@link #maxInputs()} returns (it sizes the
   *     reused lists)
   */
  @SuppressWarnings("unchecked")
  protected AbstractMultiInputLayer(int max) {
    inputCopies = new Tensor[max];
    gradInputs = new Tensor[max];
    gradArrays = new Tensor[max + 1][];
    gradLists = new List[max + 1];
    for (int c = 1; c <= max; c++) {
      gradArrays[c] = new Tensor[c];
      gradLists[c] = Arrays.asList(gradArrays[c]);
    }
  }

  /** The one-input case: {@code outputShape(List.of(x))}. */
  @Override
  public final Shape outputShape(Shape x) {
    Objects.requireNonNull(x, "input");
    oneShape[0] = x;
    return outputShape(oneShapeList);
  }

  /** The one-input case of {@link #flops(List)}. */
  @Override
  public final long flops(Shape x) {
    Objects.requireNonNull(x, "input");
    return flops(List.of(x));
  }

  /** The one-input case of {@link #forward(List, boolean)}. */
  @Override
  public final Tensor forward(Tensor x, boolean training) {
    Objects.requireNonNull(x, "x");
    one[0] = x;
    try {
      return forward(oneList, training);
    } finally {
      one[0] = null;
    }
  }

  /** The one-input case: the gradient of the latest forward's single input. */
  @Override
  public final Tensor backward(Tensor gradOut) {
    List<Tensor> g = backwardInputs(gradOut);
    if (g.size() != 1) {
      throw new IllegalStateException(this + ": backward(Tensor) after a forward of " + g.size()
          + " inputs (expected: 1; use backwardInputs)");
    }
    return g.get(0);
  }

  /**
   * Runs the layer on the ordered inputs: checks their count and shapes, makes them contiguous and
   * calls {@link #forward(Tensor[], int, Tensor, boolean)} with the reused output buffer.
   *
   * @throws IllegalArgumentException for a wrong count (naming the layer and the counts it takes)
   *     or shapes (the message of {@link #outputShape(List)})
   */
  @Override
  public final Tensor forward(List<Tensor> xs, boolean training) {
    Objects.requireNonNull(xs, "inputs");
    int c = xs.size();
    if (c < minInputs() || c > maxInputs()) {
      throw new IllegalArgumentException(this + ": " + c + " inputs (expected: " + expectedInputs() + ")");
    }
    forwardDone = false;
    if (!sameShapes(xs)) {
      Shape[] shapes = new Shape[c];
      for (int i = 0; i < c; i++) {
        shapes[i] = Objects.requireNonNull(xs.get(i), "inputs[" + i + "]").shape();
      }
      Shape out = outputShape(Arrays.asList(shapes));
      prepare(shapes, out);
      cachedShapes = shapes;
      cachedOutput = out;
      inputs = new Tensor[c];
    }
    for (int i = 0; i < c; i++) {
      Tensor x = xs.get(i);
      if (x.isContiguous()) {
        inputs[i] = x;
      } else {
        inputCopies[i] = Tensor.reuse(inputCopies[i], x.shape()).copyFrom(x);
        inputs[i] = inputCopies[i];
      }
    }
    count = c;
    output = Tensor.reuse(output, cachedOutput);
    forward(inputs, c, output, training);
    forwardDone = true;
    return output;
  }

  private boolean sameShapes(List<Tensor> xs) {
    if (xs.size() != cachedShapes.length) {
      return false;
    }
    for (int i = 0; i < xs.size(); i++) {
      Tensor x = xs.get(i);
      if (x == null) {
        throw new NullPointerException(this + ": inputs[" + i + "] is null");
      }
      if (!x.shape().equals(cachedShapes[i])) {
        return false;
      }
    }
    return true;
  }

  /**
   * Checks the upstream gradient against the latest output, makes it contiguous, calls
   * {@link #backward(Tensor[], int, Tensor, Tensor, Tensor[])} and returns the input gradients in
   * input order: a fixed-size list owned by this layer, valid until its next backward.
   *
   * @throws IllegalStateException before any forward
   * @throws IllegalArgumentException if {@code gradOut}'s shape is not the latest output's
   */
  @Override
  public final List<Tensor> backwardInputs(Tensor gradOut) {
    Objects.requireNonNull(gradOut, "gradOut");
    LayerChecks.checkGradient(this, forwardDone ? output.shape() : null, gradOut.shape());
    Tensor gy = gradOut;
    if (!gy.isContiguous()) {
      gradOutCopy = Tensor.reuse(gradOutCopy, gy.shape()).copyFrom(gy);
      gy = gradOutCopy;
    }
    Tensor[] gx = gradArrays[count];
    for (int i = 0; i < count; i++) {
      gradInputs[i] = Tensor.reuse(gradInputs[i], inputs[i].shape());
      gx[i] = gradInputs[i];
    }
    backward(inputs, count, output, gy, gx);
    return gradLists[count];
  }

  /**
   * Computes the output of {@code count} contiguous inputs into this layer's buffer {@code y}
   * (offset 0, old contents).
   *
   * @param x the inputs (the first {@code count} entries), never written
   * @param count the number of inputs
   * @param y the output to fill
   * @param training whether this is a training pass
   */
  protected abstract void forward(Tensor[] x, int count, Tensor y, boolean training);

  /**
   * Adds the parameter gradients and overwrites every input gradient {@code gx[i]} (this layer's
   * buffers at offset 0, old contents, of the shapes of {@code x[i]}).
   *
   * @param x the latest forward's inputs
   * @param count the number of inputs
   * @param y the latest forward's output
   * @param gy the upstream gradient, contiguous
   * @param gx the input gradients to fill
   */
  protected abstract void backward(Tensor[] x, int count, Tensor y, Tensor gy, Tensor[] gx);

  /**
   * Called after {@link #outputShape(List)} accepted new input shapes: size the scratch here.
   *
   * @param inputs the new input shapes
   * @param output their output shape
   */
  protected void prepare(Shape[] inputs, Shape output) {}

  @Override
  public String toString() {
    return typeName();
  }
}

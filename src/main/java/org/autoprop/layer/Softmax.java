package org.autoprop.layer;

import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * y = exp(x - max) / sum(exp(x - max)) along one axis {@code dim} (negative counts from the end),
 * numerically stable for any input; gx = y * (g - sum(g * y)) along the same axis. The last axis
 * (contiguous rows) is the fast path.
 */
public final class Softmax extends Activation {
  private final int dim;

  /** Softmax over the last axis. */
  public Softmax() {
    this(-1);
  }

  /** Softmax over axis {@code dim}, checked against the input's rank in {@link #outputShape}. */
  public Softmax(int dim) {
    this.dim = dim;
  }

  /** The axis as given (possibly negative). */
  public int dim() {
    return dim;
  }

  /**
   * The input shape.
   *
   * @throws IllegalArgumentException if the input has rank 0 or {@code dim} is outside
   *     {@code [-rank, rank)}
   */
  @Override
  public Shape outputShape(Shape input) {
    int rank = input.rank();
    if (rank == 0) {
      throw new IllegalArgumentException(this + ": input " + input + " has rank 0 (expected: rank >= 1)");
    }
    if (dim < -rank || dim >= rank) {
      throw new IllegalArgumentException(this + ": input " + input + " has rank " + rank
          + " (expected: dim in [" + -rank + ", " + (rank - 1) + "])");
    }
    return input;
  }

  /**
   * Five operations per element: the running maximum, the subtraction, exp, the sum and the
   * division.
   */
  @Override
  public long flops(Shape input) {
    return 5L * outputShape(input).size();
  }

  @Override
  protected void apply(Tensor x, Tensor y) {
    Shape s = x.shape();
    int a = s.axisIndex(dim);
    activations.softmax(x.data(), x.offset(), y.data(), 0, s.sizeOf(0, a), s.dim(a), s.sizeOf(a + 1, s.rank()));
  }

  @Override
  protected void applyBackward(Tensor x, Tensor y, Tensor g, Tensor gx) {
    Shape s = y.shape();
    int a = s.axisIndex(dim);
    activations.softmaxBackward(y.data(), 0, g.data(), g.offset(), gx.data(), 0,
        s.sizeOf(0, a), s.dim(a), s.sizeOf(a + 1, s.rank()));
  }

  @Override
  public String toString() {
    return "Softmax(dim=" + dim + ")";
  }
}

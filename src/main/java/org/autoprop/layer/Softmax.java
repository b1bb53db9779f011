package org.autoprop.layer;

import org.autoprop.kernel.Parallel;
import org.autoprop.kernel.ParallelPolicy;
import org.autoprop.kernel.RowKernels;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * y = exp(x - max) / sum(exp(x - max)) along one axis {@code dim} (negative counts from the end),
 * numerically stable for any input; gx = y * (g - sum(g * y)) along the same axis. The last axis
 * (contiguous rows) is the fast path: the row kernel ({@link RowKernels#softmax}), split over the
 * engine threads by rows for large inputs ({@link ParallelPolicy#ROWS}). A row along the last
 * axis whose every element is {@code -inf} gives zeros (and a zero gradient), not NaN as in
 * PyTorch: a masked-out row attends to nothing.
 */
public final class Softmax extends Activation {
  private final int dim;
  private final RowKernels rows = kernels.rows();

  // The arguments of a last-axis pass, in fields so that a parallel pass allocates nothing.
  private float[] pa;
  private int paOff;
  private float[] pb;
  private int pbOff;
  private float[] pc;
  private int len;
  private final Parallel.Chunk forwardRows = this::forwardRows;
  private final Parallel.Chunk backwardRows = this::backwardRows;

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
    if (a == s.rank() - 1) {
      pa = x.data();
      paOff = x.offset();
      pc = y.data();
      len = s.dim(a);
      try {
        ParallelPolicy.ROWS.forChunks(s.size(), len == 0 ? 0 : (int) (s.size() / len), forwardRows);
      } finally {
        pa = null;
        pc = null;
      }
      return;
    }
    activations.softmax(x.data(), x.offset(), y.data(), 0, s.sizeOf(0, a), s.dim(a), s.sizeOf(a + 1, s.rank()));
  }

  private void forwardRows(int r0, int r1) {
    rows.softmax(pa, paOff + r0 * len, pc, r0 * len, r1 - r0, len, 1f, null, 0, 0, false, 0);
  }

  private void backwardRows(int r0, int r1) {
    rows.softmaxBackward(pa, r0 * len, pb, pbOff + r0 * len, pc, r0 * len, r1 - r0, len, 1f, false, 0);
  }

  @Override
  protected void applyBackward(Tensor x, Tensor y, Tensor g, Tensor gx) {
    Shape s = y.shape();
    int a = s.axisIndex(dim);
    if (a == s.rank() - 1) {
      pa = y.data();
      pb = g.data();
      pbOff = g.offset();
      pc = gx.data();
      len = s.dim(a);
      try {
        ParallelPolicy.ROWS.forChunks(s.size(), len == 0 ? 0 : (int) (s.size() / len), backwardRows);
      } finally {
        pa = null;
        pb = null;
        pc = null;
      }
      return;
    }
    activations.softmaxBackward(y.data(), 0, g.data(), g.offset(), gx.data(), 0,
        s.sizeOf(0, a), s.dim(a), s.sizeOf(a + 1, s.rank()));
  }

  @Override
  public String toString() {
    return "Softmax(dim=" + dim + ")";
  }
}

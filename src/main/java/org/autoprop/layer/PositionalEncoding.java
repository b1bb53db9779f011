package org.autoprop.layer;

import org.autoprop.kernel.ElementwiseKernels;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * Adds the fixed sinusoidal position code of "Attention is all you need" (Luma's
 * {@code PositionalEncoding(d_model, max_length)}) to a sequence {@code [N, T, dim]}:
 * {@code y[n, t, :] = x[n, t, :] + pe[t, :]} with
 *
 * <pre>{@code
 * pe[pos, 2i]     = sin(pos / 10000^(2i / dim))
 * pe[pos, 2i + 1] = cos(pos / 10000^(2i / dim))
 * }</pre>
 *
 * computed in double precision once, at construction, for {@code pos < maxLen} (an odd
 * {@code dim} ends with a sine; Luma's code needs an even one). {@code T} may be anything up to
 * {@code maxLen}; longer is an error.
 *
 * <p>No parameters, and no state-dict entry: the table is a function of {@code dim} and
 * {@code maxLen}, as in PyTorch's tutorials, which register it as a non-persistent buffer. The
 * gradient passes through unchanged.
 */
public final class PositionalEncoding extends AbstractLayer {
  /** Luma's default {@code max_length}. */
  public static final int DEFAULT_MAX_LEN = 5000;

  private final int dim;
  private final int maxLen;
  private final float[] pe;
  private final ElementwiseKernels elementwise = kernels.elementwise();
  private final String description;

  /**
   * The code for up to {@link #DEFAULT_MAX_LEN} positions.
   *
   * @param dim the features per position, at least 1
   */
  public PositionalEncoding(int dim) {
    this(dim, DEFAULT_MAX_LEN);
  }

  /**
   * The code for up to {@code maxLen} positions.
   *
   * @param dim the features per position, at least 1
   * @param maxLen the longest sequence, at least 1
   */
  public PositionalEncoding(int dim, int maxLen) {
    this.dim = dim;
    this.maxLen = maxLen;
    this.description = "PositionalEncoding(dim=" + dim + ", maxLen=" + maxLen + ")";
    if (dim < 1 || maxLen < 1) {
      throw new IllegalArgumentException(description + ": dim " + dim + ", maxLen " + maxLen + " (expected: >= 1 each)");
    }
    if ((long) dim * maxLen > Shape.MAX_SIZE) {
      throw new IllegalArgumentException(description + ": a table of " + ((long) dim * maxLen)
          + " elements (expected: <= " + Shape.MAX_SIZE + ")");
    }
    this.pe = new float[dim * maxLen];
    double logBase = Math.log(10000.0);
    for (int i = 0; 2 * i < dim; i++) {
      double freq = Math.exp(-2.0 * i * logBase / dim); // 1 / 10000^(2i / dim), as Luma computes it
      for (int pos = 0; pos < maxLen; pos++) {
        double angle = pos * freq;
        pe[pos * dim + 2 * i] = (float) Math.sin(angle);
        if (2 * i + 1 < dim) {
          pe[pos * dim + 2 * i + 1] = (float) Math.cos(angle);
        }
      }
    }
  }

  /**
   * The code of the first {@code length} positions, {@code [length, dim]} (a copy).
   *
   * @param length how many positions, at most {@code maxLen}
   * @return the table
   */
  public Tensor table(int length) {
    if (length < 0 || length > maxLen) {
      throw new IllegalArgumentException(description + ": length " + length + " (expected: 0 <= length <= " + maxLen + ")");
    }
    Tensor t = Tensor.zeros(length, dim);
    System.arraycopy(pe, 0, t.data(), 0, length * dim);
    return t;
  }

  @Override
  public String toString() {
    return description;
  }

  /**
   * The input shape.
   *
   * @throws IllegalArgumentException unless the input is {@code [N, T, dim]} with
   *     {@code T <= maxLen}
   */
  @Override
  public Shape outputShape(Shape x) {
    if (x.rank() != 3) {
      throw new IllegalArgumentException(description + ": input " + x + " has rank " + x.rank()
          + " (expected: 3, [N, T, " + dim + "])");
    }
    if (x.dim(2) != dim) {
      throw new IllegalArgumentException(description + ": input " + x + " has " + x.dim(2)
          + " features (expected: " + dim + ", [N, T, " + dim + "])");
    }
    if (x.dim(1) > maxLen) {
      throw new IllegalArgumentException(description + ": input " + x + " has " + x.dim(1)
          + " positions (expected: T <= " + maxLen + ", the maxLen)");
    }
    return x;
  }

  /** One addition per element. */
  @Override
  public long flops(Shape x) {
    return outputShape(x).size();
  }

  @Override
  protected void forward(Tensor x, Tensor y, boolean training) {
    int n = x.dim(0);
    int block = x.dim(1) * dim;
    for (int i = 0; i < n; i++) {
      elementwise.add(x.data(), x.offset() + i * block, pe, 0, y.data(), i * block, block);
    }
  }

  @Override
  protected void backward(Tensor x, Tensor y, Tensor gy, Tensor gx) {
    System.arraycopy(gy.data(), gy.offset(), gx.data(), 0, gx.size());
  }
}

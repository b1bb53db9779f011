package org.autoprop.tensor;

import java.util.Arrays;

/**
 * An immutable tensor shape: the extent of each axis, outermost first (NCHW for images).
 *
 * <p>Negative axis indices count from the end, as in numpy: {@code dim(-1)} is the last axis.
 */
public final class Shape {
  /**
   * The largest number of elements of a shape, {@code 2^31 - 9}: the largest Java array. The
   * extents other than zero multiply to at most this too, so strides and offsets fit an int.
   */
  public static final int MAX_SIZE = Integer.MAX_VALUE - 8;

  private final int[] dims;
  private final long size;

  private Shape(int[] dims) {
    boolean empty = false;
    for (int i = 0; i < dims.length; i++) {
      if (dims[i] < 0) {
        throw new IllegalArgumentException(
            "Negative extent " + dims[i] + " at axis " + i + " of shape " + Arrays.toString(dims));
      }
      empty |= dims[i] == 0;
    }
    // The product is checked as it grows: a plain long product wraps (65536^4 is 2^64 = 0). The
    // extents of an empty shape are checked too, since its strides are products of them.
    long n = 1;
    for (int i = 0; i < dims.length; i++) {
      if (dims[i] != 0) {
        n *= dims[i];
        if (n > MAX_SIZE) {
          throw new IllegalArgumentException("Shape " + Arrays.toString(dims) + " has more than " + MAX_SIZE
              + " elements (" + product(dims) + "; expected: <= 2^31 - 9, the largest Java array)");
        }
      }
    }
    this.dims = dims;
    this.size = empty ? 0 : n;
  }

  /** The exact product of the extents, for messages (it may exceed a long). */
  private static String product(int[] dims) {
    java.math.BigInteger p = java.math.BigInteger.ONE;
    for (int d : dims) {
      p = p.multiply(java.math.BigInteger.valueOf(d));
    }
    return p.toString();
  }

  /**
   * A shape with the given extents.
   *
   * @throws IllegalArgumentException naming the shape if an extent is negative or the extents
   *     (zeros left out) multiply to more than {@link #MAX_SIZE}
   */
  public static Shape of(int... dims) {
    java.util.Objects.requireNonNull(dims, "dims");
    return new Shape(dims.clone());
  }

  /** The number of axes. */
  public int rank() {
    return dims.length;
  }

  /** The extent of {@code axis}; negative values count from the end. */
  public int dim(int axis) {
    return dims[axisIndex(axis)];
  }

  /** The normalised index of {@code axis} in {@code [0, rank)}, or an exception naming the shape. */
  public int axisIndex(int axis) {
    int a = axis < 0 ? axis + dims.length : axis;
    if (a < 0 || a >= dims.length) {
      throw new IllegalArgumentException(
          "axis: " + axis + " (expected: " + -dims.length + " <= axis < " + dims.length + ") for shape " + this);
    }
    return a;
  }

  /** A copy of the extents. */
  public int[] dims() {
    return dims.clone();
  }

  /** The number of elements: the product of the extents (1 for rank 0). */
  public int size() {
    return (int) size;
  }

  /** This shape with the extent of {@code axis} replaced. */
  public Shape withDim(int axis, int extent) {
    int[] d = dims.clone();
    d[axisIndex(axis)] = extent;
    return new Shape(d);
  }

  /**
   * The product of the extents of axes {@code [from, to)}.
   *
   * @throws IllegalArgumentException unless {@code 0 <= from <= to <= rank}
   */
  public int sizeOf(int from, int to) {
    if (from < 0 || from > to || to > dims.length) {
      throw new IllegalArgumentException(
          "sizeOf(" + from + ", " + to + ") (expected: 0 <= from <= to <= " + dims.length + ") for shape " + this);
    }
    int n = 1;
    for (int i = from; i < to; i++) {
      n *= dims[i]; // cannot overflow: 0, or a product of non-zero extents (bounded by the constructor)
    }
    return n;
  }

  /**
   * Row-major (C order) strides of this shape. Each is 0 or a product of non-zero extents, which
   * the constructor bounds by {@link #MAX_SIZE}, so none overflows.
   */
  public int[] contiguousStrides() {
    int[] s = new int[dims.length];
    int stride = 1;
    for (int i = dims.length - 1; i >= 0; i--) {
      s[i] = stride;
      stride *= dims[i];
    }
    return s;
  }

  /**
   * The numpy broadcast of two shapes (align trailing axes; an extent of 1 stretches), or an
   * exception naming both shapes.
   */
  public static Shape broadcast(Shape a, Shape b) {
    int rank = Math.max(a.rank(), b.rank());
    int[] out = new int[rank];
    for (int i = 0; i < rank; i++) {
      int da = i < rank - a.rank() ? 1 : a.dims[i - (rank - a.rank())];
      int db = i < rank - b.rank() ? 1 : b.dims[i - (rank - b.rank())];
      if (da != db && da != 1 && db != 1) {
        throw new IllegalArgumentException(
            "Shapes " + a + " and " + b + " do not broadcast: axis " + i + " has " + da + " vs " + db);
      }
      out[i] = da == 1 ? db : da;
    }
    return new Shape(out);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Shape && Arrays.equals(dims, ((Shape) o).dims);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(dims);
  }

  /** Formats as {@code [2, 3, 32, 32]}. */
  @Override
  public String toString() {
    return Arrays.toString(dims);
  }
}

package org.autoprop.tensor;

import java.util.Arrays;

/**
 * An immutable tensor shape: the extent of each axis, outermost first (NCHW for images).
 *
 * <p>Negative axis indices count from the end, as in numpy: {@code dim(-1)} is the last axis.
 */
public final class Shape {
  private final int[] dims;
  private final long size;

  private Shape(int[] dims) {
    long n = 1;
    for (int i = 0; i < dims.length; i++) {
      if (dims[i] < 0) {
        throw new IllegalArgumentException(
            "Negative extent " + dims[i] + " at axis " + i + " of shape " + Arrays.toString(dims));
      }
      n *= dims[i];
    }
    if (n > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(
          "Shape " + Arrays.toString(dims) + " has " + n + " elements (expected: <= 2^31 - 9)");
    }
    this.dims = dims;
    this.size = n;
  }

  /** A shape with the given extents; each must be non-negative. */
  public static Shape of(int... dims) {
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

  /** The product of the extents of axes {@code [from, to)}. */
  public int sizeOf(int from, int to) {
    long n = 1;
    for (int i = from; i < to; i++) {
      n *= dims[i];
    }
    return (int) n;
  }

  /** Row-major (C order) strides of this shape. */
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

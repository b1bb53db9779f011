package org.autoprop.tensor;

import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * An n-dimensional array of {@code float}: a flat {@code float[]}, an offset into it, a
 * {@link Shape} and a stride per axis (in elements).
 *
 * <p>Views ({@link #reshape}, {@link #slice}, {@link #transpose}) share the array. Kernels work on
 * contiguous row-major data; {@link #contiguous()} returns this tensor when it already is.
 */
public final class Tensor {
  private final float[] data;
  private final int offset;
  private final Shape shape;
  private final int[] strides;

  private Tensor(float[] data, int offset, Shape shape, int[] strides) {
    this.data = data;
    this.offset = offset;
    this.shape = shape;
    this.strides = strides;
  }

  /** A new zero-filled contiguous tensor. */
  public static Tensor zeros(Shape shape) {
    return new Tensor(new float[shape.size()], 0, shape, shape.contiguousStrides());
  }

  /** A new zero-filled contiguous tensor. */
  public static Tensor zeros(int... dims) {
    return zeros(Shape.of(dims));
  }

  /**
   * {@code buffer} if it is non-null and has exactly {@code shape}, else a new zero-filled tensor
   * of that shape: how layers reuse their output and scratch buffers across calls. A reused buffer
   * keeps its old contents.
   */
  public static Tensor reuse(Tensor buffer, Shape shape) {
    return buffer != null && buffer.shape.equals(shape) && buffer.offset == 0 && buffer.data.length == shape.size()
        ? buffer
        : zeros(shape);
  }

  /** A new tensor filled with {@code value}. */
  public static Tensor full(Shape shape, float value) {
    Tensor t = zeros(shape);
    Arrays.fill(t.data, value);
    return t;
  }

  /**
   * Wraps {@code data} (not copied) as a contiguous tensor of the given shape.
   *
   * @throws IllegalArgumentException if the array length is not the shape's size
   */
  public static Tensor wrap(float[] data, Shape shape) {
    if (data.length != shape.size()) {
      throw new IllegalArgumentException(
          "data.length: " + data.length + " (expected: " + shape.size() + " for shape " + shape + ")");
    }
    return new Tensor(data, 0, shape, shape.contiguousStrides());
  }

  /** Wraps {@code data} (not copied) as a contiguous tensor of the given extents. */
  public static Tensor wrap(float[] data, int... dims) {
    return wrap(data, Shape.of(dims));
  }

  /** A tensor of values drawn uniformly from {@code [lo, hi)} with a seeded generator. */
  public static Tensor uniform(Shape shape, float lo, float hi, long seed) {
    Tensor t = zeros(shape);
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = 0; i < t.data.length; i++) {
      t.data[i] = (float) (lo + (hi - lo) * r.nextDouble());
    }
    return t;
  }

  /** A tensor of standard-normal values times {@code std}, with a seeded generator. */
  public static Tensor normal(Shape shape, float std, long seed) {
    Tensor t = zeros(shape);
    java.util.Random r = new java.util.Random(seed);
    for (int i = 0; i < t.data.length; i++) {
      t.data[i] = (float) (std * r.nextGaussian());
    }
    return t;
  }

  /** The backing array (shared, not copied). Element {@code i} of a contiguous tensor is {@code data()[offset() + i]}. */
  public float[] data() {
    return data;
  }

  /** Index in {@link #data()} of the first element. */
  public int offset() {
    return offset;
  }

  /** The shape. */
  public Shape shape() {
    return shape;
  }

  /** The extent of {@code axis} (negative counts from the end). */
  public int dim(int axis) {
    return shape.dim(axis);
  }

  /** The number of axes. */
  public int rank() {
    return shape.rank();
  }

  /** The number of elements. */
  public int size() {
    return shape.size();
  }

  /** A copy of the strides, in elements. */
  public int[] strides() {
    return strides.clone();
  }

  /** True when the elements are laid out row-major without gaps from {@link #offset()}. */
  public boolean isContiguous() {
    int expected = 1;
    for (int i = shape.rank() - 1; i >= 0; i--) {
      int d = shape.dim(i);
      if (d != 1 && strides[i] != expected) {
        return false;
      }
      expected *= d;
    }
    return true;
  }

  /** This tensor if contiguous, otherwise a contiguous copy. */
  public Tensor contiguous() {
    return isContiguous() ? this : copy();
  }

  /** A new contiguous tensor holding the same values. */
  public Tensor copy() {
    Tensor out = zeros(shape);
    if (isContiguous()) {
      System.arraycopy(data, offset, out.data, 0, out.data.length);
    } else {
      int[] index = new int[shape.rank()];
      for (int i = 0; i < out.data.length; i++) {
        out.data[i] = data[flatIndex(index)];
        increment(index);
      }
    }
    return out;
  }

  /** Copies {@code src}'s values into this tensor; the shapes must be equal. */
  public Tensor copyFrom(Tensor src) {
    if (!src.shape.equals(shape)) {
      throw new IllegalArgumentException("copyFrom: source shape " + src.shape + " (expected: " + shape + ")");
    }
    if (isContiguous() && src.isContiguous()) {
      System.arraycopy(src.data, src.offset, data, offset, size());
    } else {
      int[] index = new int[shape.rank()];
      for (int i = 0, n = size(); i < n; i++) {
        data[flatIndex(index)] = src.data[src.flatIndex(index)];
        increment(index);
      }
    }
    return this;
  }

  /** Sets every element to {@code value}. */
  public Tensor fill(float value) {
    if (isContiguous()) {
      Arrays.fill(data, offset, offset + size(), value);
    } else {
      int[] index = new int[shape.rank()];
      for (int i = 0, n = size(); i < n; i++) {
        data[flatIndex(index)] = value;
        increment(index);
      }
    }
    return this;
  }

  /** The element at {@code index} (one coordinate per axis). */
  public float get(int... index) {
    return data[checkedIndex(index)];
  }

  /** Sets the element at {@code index} (one coordinate per axis). */
  public void set(float value, int... index) {
    data[checkedIndex(index)] = value;
  }

  /** The {@code i}-th element in row-major order. */
  public float getFlat(int i) {
    if (isContiguous()) {
      return data[offset + i];
    }
    return data[flatIndex(unravel(i))];
  }

  /** The elements in row-major order, as a new array. */
  public float[] toArray() {
    return copy().data;
  }

  /**
   * A view with another shape of the same size. One extent may be -1 (inferred). Requires a
   * contiguous tensor; call {@link #contiguous()} first otherwise.
   */
  public Tensor reshape(int... dims) {
    int[] d = dims.clone();
    int infer = -1;
    long known = 1;
    for (int i = 0; i < d.length; i++) {
      if (d[i] == -1) {
        if (infer >= 0) {
          throw new IllegalArgumentException("reshape " + Arrays.toString(dims) + ": more than one -1");
        }
        infer = i;
      } else {
        known *= d[i];
      }
    }
    if (infer >= 0 && known > 0) {
      d[infer] = (int) (size() / known);
    }
    Shape target = Shape.of(d);
    if (target.size() != size()) {
      throw new IllegalArgumentException(
          "Cannot reshape " + shape + " (" + size() + " elements) to " + Arrays.toString(dims));
    }
    if (!isContiguous()) {
      throw new IllegalStateException("reshape of a non-contiguous tensor " + shape + "; call contiguous() first");
    }
    return new Tensor(data, offset, target, target.contiguousStrides());
  }

  /** A view with the given shape of the same size (see {@link #reshape(int...)}). */
  public Tensor reshape(Shape target) {
    return reshape(target.dims());
  }

  /** A view of indices {@code [from, to)} along {@code axis}. */
  public Tensor slice(int axis, int from, int to) {
    int a = shape.axisIndex(axis);
    if (from < 0 || to > shape.dim(a) || from > to) {
      throw new IllegalArgumentException(
          "slice [" + from + ", " + to + ") (expected: 0 <= from <= to <= " + shape.dim(a) + ") on axis " + a + " of " + shape);
    }
    return new Tensor(data, offset + from * strides[a], shape.withDim(a, to - from), strides.clone());
  }

  /** A view with axes {@code a} and {@code b} swapped. */
  public Tensor transpose(int a, int b) {
    int ia = shape.axisIndex(a);
    int ib = shape.axisIndex(b);
    int[] d = shape.dims();
    int[] s = strides.clone();
    int t = d[ia];
    d[ia] = d[ib];
    d[ib] = t;
    t = s[ia];
    s[ia] = s[ib];
    s[ib] = t;
    return new Tensor(data, offset, Shape.of(d), s);
  }

  /** The largest absolute value (0 for an empty tensor). */
  public double maxAbs() {
    double m = 0;
    for (int i = 0, n = size(); i < n; i++) {
      m = Math.max(m, Math.abs(getFlat(i)));
    }
    return m;
  }

  private int checkedIndex(int[] index) {
    if (index.length != shape.rank()) {
      throw new IllegalArgumentException(
          "index " + Arrays.toString(index) + " has " + index.length + " coordinates (expected: " + shape.rank() + " for shape " + shape + ")");
    }
    for (int i = 0; i < index.length; i++) {
      if (index[i] < 0 || index[i] >= shape.dim(i)) {
        throw new IndexOutOfBoundsException(
            "index " + Arrays.toString(index) + " out of bounds for shape " + shape + " at axis " + i);
      }
    }
    return flatIndex(index);
  }

  private int flatIndex(int[] index) {
    int p = offset;
    for (int i = 0; i < index.length; i++) {
      p += index[i] * strides[i];
    }
    return p;
  }

  private int[] unravel(int flat) {
    int[] index = new int[shape.rank()];
    for (int i = shape.rank() - 1; i >= 0; i--) {
      int d = shape.dim(i);
      index[i] = flat % d;
      flat /= d;
    }
    return index;
  }

  private void increment(int[] index) {
    for (int i = index.length - 1; i >= 0; i--) {
      if (++index[i] < shape.dim(i)) {
        return;
      }
      index[i] = 0;
    }
  }

  private static final int PRINT_EDGE = 3;

  /** Formats as {@code Tensor[2, 3] [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]}, eliding long axes. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("Tensor").append(shape).append(' ');
    if (shape.rank() == 0) {
      return sb.append(format(data[offset])).toString();
    }
    appendAxis(sb, 0, new int[shape.rank()]);
    return sb.toString();
  }

  private void appendAxis(StringBuilder sb, int axis, int[] index) {
    int n = shape.dim(axis);
    sb.append('[');
    for (int i = 0; i < n; i++) {
      if (n > 2 * PRINT_EDGE && i == PRINT_EDGE) {
        sb.append("..., ");
        i = n - PRINT_EDGE;
      }
      index[axis] = i;
      if (axis == shape.rank() - 1) {
        sb.append(format(data[flatIndex(index)]));
      } else {
        appendAxis(sb, axis + 1, index);
      }
      if (i < n - 1) {
        sb.append(", ");
      }
    }
    sb.append(']');
  }

  private static String format(float v) {
    return String.format(Locale.ROOT, "%.4g", v);
  }
}

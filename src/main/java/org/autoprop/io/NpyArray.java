package org.autoprop.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * A numpy array read from or written to a {@code .npy} file: a {@link Npy.DType}, a shape (any
 * rank, {@code []} for a 0-d array) and its elements in row-major (C) order, held in the Java
 * array of the dtype ({@code float[]}, {@code double[]}, {@code long[]}, {@code int[]}, or
 * {@code byte[]} of unsigned bytes). Immutable: the accessors return copies.
 */
public final class NpyArray {
  private final Npy.DType dtype;
  private final int[] shape;
  private final Object data;

  private NpyArray(Npy.DType dtype, int[] shape, Object data, int length) {
    Shape s = Shape.of(shape.clone());
    if (length != s.size()) {
      throw new IllegalArgumentException("NpyArray: " + length + " elements for shape " + s + " (expected: "
          + s.size() + ")");
    }
    this.dtype = dtype;
    this.shape = shape.clone();
    this.data = data;
  }

  /** A float32 array of the given shape (the values are copied). */
  public static NpyArray ofFloats(float[] values, int... shape) {
    return new NpyArray(Npy.DType.FLOAT32, shape, values.clone(), values.length);
  }

  /** A float64 array of the given shape (the values are copied). */
  public static NpyArray ofDoubles(double[] values, int... shape) {
    return new NpyArray(Npy.DType.FLOAT64, shape, values.clone(), values.length);
  }

  /** An int64 array of the given shape (the values are copied). */
  public static NpyArray ofLongs(long[] values, int... shape) {
    return new NpyArray(Npy.DType.INT64, shape, values.clone(), values.length);
  }

  /** An int32 array of the given shape (the values are copied). */
  public static NpyArray ofInts(int[] values, int... shape) {
    return new NpyArray(Npy.DType.INT32, shape, values.clone(), values.length);
  }

  /** A uint8 array of the given shape; each byte is read as unsigned, 0 to 255 (copied). */
  public static NpyArray ofBytes(byte[] values, int... shape) {
    return new NpyArray(Npy.DType.UINT8, shape, values.clone(), values.length);
  }

  /** A float32 array holding a tensor's values and shape. */
  public static NpyArray of(Tensor tensor) {
    Tensor c = tensor.contiguous();
    float[] values = Arrays.copyOfRange(c.data(), c.offset(), c.offset() + c.size());
    return new NpyArray(Npy.DType.FLOAT32, c.shape().dims(), values, values.length);
  }

  /** int64 class labels, a 1-d array (copied). */
  public static NpyArray ofLabels(int[] labels) {
    long[] v = new long[labels.length];
    for (int i = 0; i < v.length; i++) {
      v[i] = labels[i];
    }
    return new NpyArray(Npy.DType.INT64, new int[] {labels.length}, v, v.length);
  }

  /** Decodes the data after header {@code h}, transposing a Fortran-order array into C order. */
  static NpyArray decode(Npy.Header h, ByteBuffer b) {
    int n = (int) h.size();
    int[] index = cOrderIndex(h.shape(), h.fortran());
    switch (h.dtype()) {
      case FLOAT32: {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
          v[i] = b.getFloat(4 * at(index, i));
        }
        return new NpyArray(h.dtype(), h.shape(), v, n);
      }
      case FLOAT64: {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
          v[i] = b.getDouble(8 * at(index, i));
        }
        return new NpyArray(h.dtype(), h.shape(), v, n);
      }
      case INT64: {
        long[] v = new long[n];
        for (int i = 0; i < n; i++) {
          v[i] = b.getLong(8 * at(index, i));
        }
        return new NpyArray(h.dtype(), h.shape(), v, n);
      }
      case INT32: {
        int[] v = new int[n];
        for (int i = 0; i < n; i++) {
          v[i] = b.getInt(4 * at(index, i));
        }
        return new NpyArray(h.dtype(), h.shape(), v, n);
      }
      default: {
        byte[] v = new byte[n];
        for (int i = 0; i < n; i++) {
          v[i] = b.get(at(index, i));
        }
        return new NpyArray(h.dtype(), h.shape(), v, n);
      }
    }
  }

  private static int at(int[] index, int i) {
    return index == null ? i : index[i];
  }

  /**
   * For a Fortran-order array, the position in the file of each element in C order (null for a
   * C-order array, or one of rank below 2, where both orders agree).
   */
  private static int[] cOrderIndex(int[] shape, boolean fortran) {
    int rank = shape.length;
    int size = Shape.of(shape).size();
    if (!fortran || rank < 2 || size == 0) {
      return null;
    }
    int[] fStride = new int[rank];
    int s = 1;
    for (int a = 0; a < rank; a++) {
      fStride[a] = s;
      s *= shape[a];
    }
    int[] index = new int[size];
    int[] i = new int[rank];
    int pos = 0;
    for (int k = 0; k < size; k++) {
      index[k] = pos;
      for (int a = rank - 1; a >= 0; a--) { // advance the C-order counter, last axis fastest
        if (++i[a] < shape[a]) {
          pos += fStride[a];
          break;
        }
        pos -= (i[a] - 1) * fStride[a];
        i[a] = 0;
      }
    }
    return index;
  }

  /** The dtype. */
  public Npy.DType dtype() {
    return dtype;
  }

  /** The extents ({@code []} for a 0-d array; a copy). */
  public int[] shape() {
    return shape.clone();
  }

  /** The number of elements (1 for a 0-d array). */
  public int size() {
    return java.lang.reflect.Array.getLength(data);
  }

  /** Every element as a double (exact for every dtype but int64 beyond 2^53), in C order. */
  public double[] toDoubles() {
    int n = size();
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      out[i] = doubleAt(i);
    }
    return out;
  }

  /** The float32 values of a float32 array (copied). */
  public float[] floats() {
    return ((float[]) expect(Npy.DType.FLOAT32)).clone();
  }

  /** The values of a float64 array (copied). */
  public double[] doubles() {
    return ((double[]) expect(Npy.DType.FLOAT64)).clone();
  }

  /** The values of an int64 or int32 array, widened to long (copied). */
  public long[] longs() {
    if (dtype == Npy.DType.INT32) {
      int[] v = (int[]) data;
      long[] out = new long[v.length];
      for (int i = 0; i < v.length; i++) {
        out[i] = v[i];
      }
      return out;
    }
    return ((long[]) expect(Npy.DType.INT64)).clone();
  }

  /** The unsigned bytes of a uint8 array (copied; read each as {@code b & 0xff}). */
  public byte[] bytes() {
    return ((byte[]) expect(Npy.DType.UINT8)).clone();
  }

  private Object expect(Npy.DType wanted) {
    if (dtype != wanted) {
      throw new IllegalStateException("NpyArray: dtype " + dtype.code() + " (expected: " + wanted.code() + ")");
    }
    return data;
  }

  /**
   * The array as a new float32 tensor of the same shape, if every element converts exactly: any
   * float32 array; float64, int64 and int32 arrays whose values are all float32 values (for
   * integers: at most 2^24 in magnitude, or another float32 value); uint8 arrays as 0 to 255 (not
   * scaled).
   *
   * @throws IllegalArgumentException naming the first element (flat C-order index and value) that
   *     float32 cannot hold exactly; see {@link #tensorRounded()} for float64 data
   */
  public Tensor tensor() {
    return toTensor(false);
  }

  /**
   * The array as a new float32 tensor, float64 values rounded to the nearest float32 (as
   * {@code torch.from_numpy(a).float()}); other dtypes as {@link #tensor()}.
   *
   * @throws IllegalArgumentException naming the first finite float64 element beyond float32's
   *     range (it would become infinite)
   */
  public Tensor tensorRounded() {
    return toTensor(true);
  }

  private Tensor toTensor(boolean round) {
    int n = size();
    float[] out = new float[n];
    if (dtype == Npy.DType.FLOAT32) {
      System.arraycopy((float[]) data, 0, out, 0, n);
    } else if (dtype == Npy.DType.UINT8) {
      byte[] v = (byte[]) data;
      for (int i = 0; i < n; i++) {
        out[i] = v[i] & 0xff;
      }
    } else if (dtype == Npy.DType.FLOAT64) {
      double[] v = (double[]) data;
      for (int i = 0; i < n; i++) {
        out[i] = (float) v[i];
        boolean overflow = Float.isInfinite(out[i]) && !Double.isInfinite(v[i]);
        if (overflow || (!round && out[i] != v[i] && !Double.isNaN(v[i]))) {
          throw new IllegalArgumentException("NpyArray.tensor" + (round ? "Rounded" : "") + ": float64 element "
              + i + " is " + v[i] + (overflow ? ", beyond float32's range" : ", not exactly a float32 value (nearest: "
              + out[i] + "; use tensorRounded() to round)"));
        }
      }
    } else {
      for (int i = 0; i < n; i++) {
        long v = dtype == Npy.DType.INT64 ? ((long[]) data)[i] : ((int[]) data)[i];
        out[i] = v;
        if ((long) out[i] != v || (v == Long.MAX_VALUE)) {
          throw new IllegalArgumentException("NpyArray.tensor: " + dtype.name().toLowerCase(java.util.Locale.ROOT)
              + " element " + i + " is " + v + ", not exactly a float32 value (nearest: " + (double) out[i] + ")");
        }
      }
    }
    return Tensor.wrap(out, Shape.of(shape.clone()));
  }

  /**
   * The array as class labels: a 1-d array of whole numbers in {@code [0, Integer.MAX_VALUE]},
   * of any dtype (float arrays must hold whole numbers, as numpy writes labels as float64 when
   * they passed through a float column).
   *
   * @throws IllegalArgumentException if the array is not 1-d, or naming the first element (index
   *     and value) that is negative, fractional, not finite or beyond {@code Integer.MAX_VALUE}
   */
  public int[] labels() {
    if (shape.length != 1) {
      throw new IllegalArgumentException("NpyArray.labels: shape " + Npy.shapeString(shape)
          + " (expected: 1-d, one label per sample)");
    }
    int n = size();
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      boolean ok;
      String text;
      if (dtype == Npy.DType.INT64 || dtype == Npy.DType.INT32) {
        long v = dtype == Npy.DType.INT64 ? ((long[]) data)[i] : ((int[]) data)[i];
        ok = v >= 0 && v <= Integer.MAX_VALUE;
        text = Long.toString(v);
        out[i] = (int) v;
      } else {
        double v = doubleAt(i);
        ok = v >= 0 && v <= Integer.MAX_VALUE && v == Math.rint(v);
        text = dtype == Npy.DType.FLOAT32 ? Float.toString((float) v) : Double.toString(v);
        out[i] = (int) v;
      }
      if (!ok) {
        throw new IllegalArgumentException("NpyArray.labels: element " + i + " is " + text
            + " (expected: a whole number, 0 <= label <= " + Integer.MAX_VALUE + ")");
      }
    }
    return out;
  }

  private double doubleAt(int i) {
    switch (dtype) {
      case FLOAT32:
        return ((float[]) data)[i];
      case FLOAT64:
        return ((double[]) data)[i];
      case INT64:
        return ((long[]) data)[i];
      case INT32:
        return ((int[]) data)[i];
      default:
        return ((byte[]) data)[i] & 0xff;
    }
  }

  /** Writes the elements little-endian in C order. */
  void writeData(OutputStream out) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
    int n = size();
    for (int i = 0; i < n; i++) {
      if (buf.remaining() < 8) {
        out.write(buf.array(), 0, buf.position());
        buf.clear();
      }
      switch (dtype) {
        case FLOAT32:
          buf.putFloat(((float[]) data)[i]);
          break;
        case FLOAT64:
          buf.putDouble(((double[]) data)[i]);
          break;
        case INT64:
          buf.putLong(((long[]) data)[i]);
          break;
        case INT32:
          buf.putInt(((int[]) data)[i]);
          break;
        default:
          buf.put(((byte[]) data)[i]);
      }
    }
    out.write(buf.array(), 0, buf.position());
  }

  /** Same dtype, shape and elements (NaNs equal by bit pattern, as {@link Arrays#equals}). */
  @Override
  public boolean equals(Object o) {
    if (!(o instanceof NpyArray)) {
      return false;
    }
    NpyArray a = (NpyArray) o;
    return dtype == a.dtype && Arrays.equals(shape, a.shape) && Objects.deepEquals(data, a.data);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(shape) + dtype.hashCode();
  }

  /** The dtype and shape, e.g. {@code float32 (3, 4)}. */
  @Override
  public String toString() {
    return dtype.name().toLowerCase(java.util.Locale.ROOT) + " " + Npy.shapeString(shape);
  }
}

package org.autoprop.tensor;

import java.util.Objects;

/**
 * A NaN or an infinity where only finite values are allowed; the message says where.
 *
 * <p>Thrown by a model's anomaly detection ({@code Layer.detectAnomalies(true)}) for the first
 * non-finite value found, with the node that produced it ({@link #node()}, {@link #layerKind()}),
 * which of its tensors ({@link #what()}: {@code output}, {@code input gradient}, {@code gradient of
 * parameter 'weight'}, ...), the row-major index of the first bad element ({@link #index()}) and
 * its value ({@link #value()}). Other code may throw it with a message only; the accessors then
 * return null, -1 and NaN.
 */
public class NonFiniteException extends ArithmeticException {
  private static final long serialVersionUID = 1L;

  private final String node;
  private final String layerKind;
  private final String what;
  private final transient Shape shape;
  private final int index;
  private final float value;

  /** An exception with this message, not located in a model. */
  public NonFiniteException(String message) {
    super(message);
    this.node = null;
    this.layerKind = null;
    this.what = null;
    this.shape = null;
    this.index = -1;
    this.value = Float.NaN;
  }

  /**
   * The first non-finite element of a tensor of a model node.
   *
   * @param node the node's name (dotted for a node inside a nested container: {@code block1.conv2})
   * @param layerKind the node's layer type ({@code Conv2D})
   * @param what which tensor of the node: {@code output}, {@code input gradient}, ...
   * @param shape the tensor's shape
   * @param index the row-major index of the first non-finite element
   * @param value that element: NaN or an infinity
   */
  public NonFiniteException(String node, String layerKind, String what, Shape shape, int index, float value) {
    super(message(Objects.requireNonNull(node, "node"), Objects.requireNonNull(layerKind, "layerKind"),
        Objects.requireNonNull(what, "what"), Objects.requireNonNull(shape, "shape"), index, value));
    this.node = node;
    this.layerKind = layerKind;
    this.what = what;
    this.shape = shape;
    this.index = index;
    this.value = value;
  }

  private static String message(String node, String layerKind, String what, Shape shape, int index, float value) {
    return value + " at index " + index + " " + coordinates(shape, index) + " of the " + what + " " + shape
        + " of node '" + node + "' (" + layerKind + ")";
  }

  /** The coordinates of row-major {@code index} in {@code shape}, as {@code [0, 1, 2, 3]}. */
  private static String coordinates(Shape shape, int index) {
    int[] c = new int[shape.rank()];
    int rest = index;
    for (int i = shape.rank() - 1; i >= 0; i--) {
      int d = Math.max(shape.dim(i), 1);
      c[i] = rest % d;
      rest /= d;
    }
    return java.util.Arrays.toString(c);
  }

  /**
   * The exception for the first non-finite element of {@code t} (row-major order), or null when
   * every element is finite. Reads every element; meant for debugging passes.
   *
   * @param t the tensor to scan
   * @param node the node's name
   * @param layerKind the node's layer type
   * @param what which tensor of the node
   * @return the exception to throw, or null
   */
  public static NonFiniteException firstIn(Tensor t, String node, String layerKind, String what) {
    Objects.requireNonNull(t, "t");
    int i = firstNonFinite(t);
    return i < 0 ? null : new NonFiniteException(node, layerKind, what, t.shape(), i, t.getFlat(i));
  }

  /**
   * The row-major index of the first NaN or infinity of {@code t}, or -1 when every element is
   * finite.
   *
   * @param t the tensor to scan
   * @return the index, or -1
   */
  public static int firstNonFinite(Tensor t) {
    Objects.requireNonNull(t, "t");
    if (t.isContiguous()) {
      float[] d = t.data();
      int off = t.offset();
      for (int i = 0, n = t.size(); i < n; i++) {
        if (!Float.isFinite(d[off + i])) {
          return i;
        }
      }
      return -1;
    }
    for (int i = 0, n = t.size(); i < n; i++) {
      if (!Float.isFinite(t.getFlat(i))) {
        return i;
      }
    }
    return -1;
  }

  /**
   * This finding as seen from a container one level up: the node becomes
   * {@code prefix.node} (a graph node {@code block1} holding a graph whose node {@code conv2}
   * failed gives {@code block1.conv2}). An exception without a node is returned as is.
   *
   * @param prefix the enclosing node's name
   * @return the renamed exception (same stack trace), or this
   */
  public NonFiniteException withNodePrefix(String prefix) {
    Objects.requireNonNull(prefix, "prefix");
    if (node == null) {
      return this;
    }
    NonFiniteException e = new NonFiniteException(prefix + "." + node, layerKind, what, shape, index, value);
    e.setStackTrace(getStackTrace());
    return e;
  }

  /** The name of the node whose tensor holds the value (dotted when nested), or null if not located. */
  public String node() {
    return node;
  }

  /** The type of that node's layer ({@code Conv2D}), or null if not located. */
  public String layerKind() {
    return layerKind;
  }

  /**
   * Which tensor of the node holds the value: {@code input}, {@code merged input},
   * {@code output}, {@code output gradient}, {@code input gradient} or {@code gradient of
   * parameter 'NAME'}; null if not located.
   */
  public String what() {
    return what;
  }

  /** The shape of that tensor, or null if not located. */
  public Shape shape() {
    return shape;
  }

  /** The row-major index of the first non-finite element in that tensor, or -1 if not located. */
  public int index() {
    return index;
  }

  /** The first non-finite value: NaN, or an infinity (NaN when not located). */
  public float value() {
    return value;
  }
}

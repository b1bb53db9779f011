package org.autoprop.layer;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.autoprop.kernel.ElementwiseKernels;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * A lookup table of {@code vocab} vectors of {@code dim} elements, as PyTorch's
 * {@code nn.Embedding(vocab, dim)}: the input holds token ids, of any shape {@code [...]} (rank 1
 * or more, e.g. {@code [N, T]}), and the output is {@code [..., dim]} with
 * {@code y[..., :] = weight[id, :]}. The weight {@code [vocab, dim]} is named {@code weight} and
 * starts as N(0, 1) (PyTorch's initialization), seeded like {@link Dense}.
 *
 * <p>Ids come as a float tensor whose values are exact integers (every integer below 2^24 is one
 * float). An id that is not an integer, or outside {@code [0, vocab)}, is an
 * {@link IllegalArgumentException} naming the layer, its position in the input, its value and the
 * vocabulary size.
 *
 * <p><b>The ids are not differentiable.</b> The input gradient is all zeros (returned for the
 * contract; a caller that does not need it, such as a network whose first layer this is, gets
 * null from {@code backward(gradOut, false)}). The weight gradient adds {@code gy[..., :]} into row
 * {@code id}, in input order, so a repeated id receives the sum of its positions' gradients.
 *
 * <p>With a {@link Builder#paddingIdx padding index} (PyTorch's {@code padding_idx}), that row
 * starts at zero and never receives a gradient, so it stays what it is set to (the padding token's
 * output stays zero under any optimizer without weight decay).
 */
public final class Embedding extends AbstractLayer {
  private final int vocab;
  private final int dim;
  /** The padding row in {@code [0, vocab)}, or -1 for none. */
  private final int paddingIdx;
  private final Parameter weight;
  private final ElementwiseKernels elementwise = kernels.elementwise();
  private final String description;
  /** The ids of the latest forward. */
  private int[] ids = new int[0];

  /**
   * A {@code vocab x dim} table without a padding index and N(0, 1) weights.
   *
   * @param vocab the vocabulary size, at least 1
   * @param dim the vector size, at least 1
   */
  public Embedding(int vocab, int dim) {
    this(builder(vocab, dim));
  }

  private Embedding(Builder b) {
    this.vocab = b.vocab;
    this.dim = b.dim;
    String pad = b.paddingIdx == null ? "" : ", padding_idx=" + b.paddingIdx;
    this.description = "Embedding(" + vocab + ", " + dim + pad + ")";
    if (vocab < 1 || dim < 1) {
      throw new IllegalArgumentException(description + ": vocab " + vocab + ", dim " + dim + " (expected: >= 1 each)");
    }
    if (b.paddingIdx != null && (b.paddingIdx < -vocab || b.paddingIdx >= vocab)) {
      throw new IllegalArgumentException(description + ": padding_idx " + b.paddingIdx
          + " (expected: " + -vocab + " <= padding_idx < " + vocab + ", negative counted from the end)");
    }
    this.paddingIdx = b.paddingIdx == null ? -1 : b.paddingIdx < 0 ? b.paddingIdx + vocab : b.paddingIdx;
    long seed = b.seed != null ? b.seed : Initializer.nextDefaultSeed();
    Tensor w = Tensor.zeros(vocab, dim);
    b.initializer.fill(w, dim, vocab, seed);
    if (paddingIdx >= 0) {
      Arrays.fill(w.data(), paddingIdx * dim, (paddingIdx + 1) * dim, 0f);
    }
    this.weight = new Parameter("weight", w);
  }

  /**
   * A builder for a {@code vocab x dim} table (defaults: no padding index, N(0, 1) weights).
   *
   * @param vocab the vocabulary size, at least 1
   * @param dim the vector size, at least 1
   * @return the builder
   */
  public static Builder builder(int vocab, int dim) {
    return new Builder(vocab, dim);
  }

  /** The weight {@code [vocab, dim]}. */
  public Parameter weight() {
    return weight;
  }

  /** The vocabulary size. */
  public int vocab() {
    return vocab;
  }

  /** The vector size. */
  public int dim() {
    return dim;
  }

  /** The padding row (in {@code [0, vocab)}), or -1 without one. */
  public int paddingIdx() {
    return paddingIdx;
  }

  @Override
  public String typeName() {
    return "Embedding";
  }

  /** PyTorch's form: {@code Embedding(100, 16)} or {@code Embedding(100, 16, padding_idx=0)}. */
  @Override
  public String toString() {
    return description;
  }

  @Override
  public List<Parameter> parameters() {
    return List.of(weight);
  }

  /**
   * {@code [..., dim]} for ids {@code [...]}; the values are checked by {@link #forward}.
   *
   * @throws IllegalArgumentException for an input of rank 0
   */
  @Override
  public Shape outputShape(Shape ids) {
    if (ids.rank() < 1) {
      throw new IllegalArgumentException(description + ": input " + ids + " has rank 0 (expected: >= 1, [N, ...] ids)");
    }
    int[] d = Arrays.copyOf(ids.dims(), ids.rank() + 1);
    d[ids.rank()] = dim;
    return Shape.of(d);
  }

  /** 0: data movement only (the shape is checked as by {@link #outputShape}). */
  @Override
  public long flops(Shape input) {
    outputShape(input);
    return 0;
  }

  @Override
  protected void prepare(Shape input, Shape output) {
    if (ids.length != input.size()) {
      ids = new int[input.size()];
    }
  }

  /** Only when the caller asks for it: the ids have no gradient. */
  @Override
  protected boolean skipsInputGradient() {
    return true;
  }

  /**
   * Copies row {@code id} of the weight for each id.
   *
   * @throws IllegalArgumentException for an id that is not an integer in {@code [0, vocab)}
   */
  @Override
  protected void forward(Tensor x, Tensor y, boolean training) {
    float[] xd = x.data();
    int off = x.offset();
    int n = x.size();
    for (int i = 0; i < n; i++) {
      float v = xd[off + i];
      int id = (int) v;
      if (!(v >= 0 && v < vocab) || id != v) {
        throw badId(x.shape(), i, v);
      }
      ids[i] = id;
    }
    float[] w = weight.value().data();
    float[] yd = y.data();
    for (int i = 0; i < n; i++) {
      System.arraycopy(w, ids[i] * dim, yd, i * dim, dim);
    }
  }

  private IllegalArgumentException badId(Shape shape, int flat, float v) {
    int[] index = new int[shape.rank()];
    for (int a = shape.rank() - 1, r = flat; a >= 0; a--) {
      index[a] = r % shape.dim(a);
      r /= shape.dim(a);
    }
    String at = " at input index " + Arrays.toString(index) + " of " + shape;
    String expected = " (expected: an integer id in [0, " + vocab + "), the vocabulary size being " + vocab + ")";
    if (Float.isInfinite(v) || Math.rint(v) != v) {
      return new IllegalArgumentException(description + ": id " + v + at + " is not an integer" + expected);
    }
    String value = new java.math.BigDecimal(v).toPlainString();
    return new IllegalArgumentException(description + ": id " + value + at + " is out of range" + expected);
  }

  /** Adds each position's gradient into its id's row (not the padding row); the input gradient is zero. */
  @Override
  protected void backward(Tensor x, Tensor y, Tensor gy, Tensor gx) {
    float[] g = gy.data();
    int off = gy.offset();
    float[] gw = weight.grad().data();
    for (int i = 0, n = x.size(); i < n; i++) {
      int id = ids[i];
      if (id == paddingIdx) {
        continue;
      }
      elementwise.add(gw, id * dim, g, off + i * dim, gw, id * dim, dim);
    }
    if (gx != null) {
      gx.fill(0f);
    }
  }

  /** Configures an {@link Embedding}; every setter returns this builder. */
  public static final class Builder {
    private final int vocab;
    private final int dim;
    private Integer paddingIdx;
    private Initializer initializer = Initializer.normal(1);
    private Long seed;

    private Builder(int vocab, int dim) {
      this.vocab = vocab;
      this.dim = dim;
    }

    /**
     * PyTorch's {@code padding_idx}: the row that starts at zero and gets no gradient (negative
     * counts from the end of the vocabulary).
     */
    public Builder paddingIdx(int idx) {
      this.paddingIdx = idx;
      return this;
    }

    /**
     * The weight initializer (default N(0, 1), {@link Initializer#normal}); it sees fan-in
     * {@code dim} and fan-out {@code vocab}. The padding row is zeroed after it.
     */
    public Builder initializer(Initializer init) {
      this.initializer = Objects.requireNonNull(init, "initializer");
      return this;
    }

    /** The initialization seed (default: {@link Initializer#nextDefaultSeed()}). */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /**
     * The layer.
     *
     * @throws IllegalArgumentException when a size is below 1 or the padding index is outside the
     *     vocabulary
     */
    public Embedding build() {
      return new Embedding(this);
    }
  }
}

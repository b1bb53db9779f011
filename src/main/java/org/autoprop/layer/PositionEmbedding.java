package org.autoprop.layer;

import java.util.List;
import java.util.Objects;
import org.autoprop.kernel.ElementwiseKernels;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * A learned position embedding added to a sequence {@code [N, T, dim]}, as in ViT:
 * {@code y[n, t, :] = x[n, t, :] + weight[0, t, :]} for {@code t < T <= maxLen}. The parameter is
 * named {@code weight}, of shape {@code [1, maxLen, dim]} (ViT's layout; PyTorch ViTs hold it as a
 * bare {@code nn.Parameter}, e.g. torchvision's {@code encoder.pos_embedding} and the peer
 * {@code torch_vit.py}'s {@code pos}, so loading one maps {@code NODE.weight} to that name). It
 * starts as {@code trunc_normal_(std=0.02)} with PyTorch's default bounds -2 and 2
 * ({@link Initializer#truncatedNormal}), seeded like {@link Dense}.
 *
 * <p>A sequence shorter than {@code maxLen} uses the first {@code T} rows, which alone receive
 * gradients: {@code grad[0, t, :] += sum_n gy[n, t, :]}, summed in sample order. The input gradient
 * is the upstream gradient.
 */
public final class PositionEmbedding extends AbstractLayer {
  private final int maxLen;
  private final int dim;
  private final Parameter weight;
  private final ElementwiseKernels elementwise = kernels.elementwise();
  private final String description;

  /**
   * An embedding of {@code maxLen} positions of {@code dim} features with the default
   * initialization.
   *
   * @param maxLen the longest sequence, at least 1
   * @param dim the features per position, at least 1
   */
  public PositionEmbedding(int maxLen, int dim) {
    this(builder(maxLen, dim));
  }

  private PositionEmbedding(Builder b) {
    this.maxLen = b.maxLen;
    this.dim = b.dim;
    this.description = "PositionEmbedding(maxLen=" + maxLen + ", dim=" + dim + ")";
    if (maxLen < 1 || dim < 1) {
      throw new IllegalArgumentException(description + ": maxLen " + maxLen + ", dim " + dim + " (expected: >= 1 each)");
    }
    Tensor w = Tensor.zeros(1, maxLen, dim);
    b.initializer.fill(w, dim, maxLen, b.seed != null ? b.seed : Initializer.nextDefaultSeed());
    this.weight = new Parameter("weight", w);
  }

  /**
   * A builder (default: {@code trunc_normal_(std=0.02)} weights).
   *
   * @param maxLen the longest sequence, at least 1
   * @param dim the features per position, at least 1
   * @return the builder
   */
  public static Builder builder(int maxLen, int dim) {
    return new Builder(maxLen, dim);
  }

  /** The weight {@code [1, maxLen, dim]}. */
  public Parameter weight() {
    return weight;
  }

  @Override
  public String toString() {
    return description;
  }

  @Override
  public List<Parameter> parameters() {
    return List.of(weight);
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
    float[] w = weight.value().data();
    for (int i = 0; i < n; i++) {
      elementwise.add(x.data(), x.offset() + i * block, w, 0, y.data(), i * block, block);
    }
  }

  @Override
  protected void backward(Tensor x, Tensor y, Tensor gy, Tensor gx) {
    int n = x.dim(0);
    int block = x.dim(1) * dim;
    float[] gw = weight.grad().data();
    for (int i = 0; i < n; i++) {
      elementwise.add(gw, 0, gy.data(), gy.offset() + i * block, gw, 0, block);
    }
    System.arraycopy(gy.data(), gy.offset(), gx.data(), 0, gx.size());
  }

  /** Configures a {@link PositionEmbedding}; every setter returns this builder. */
  public static final class Builder {
    private final int maxLen;
    private final int dim;
    private Initializer initializer = Initializer.truncatedNormal(0.02, -2, 2);
    private Long seed;

    private Builder(int maxLen, int dim) {
      this.maxLen = maxLen;
      this.dim = dim;
    }

    /** The weight initializer (default {@code trunc_normal_(std=0.02)}; fan-in {@code dim}, fan-out {@code maxLen}). */
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
     * @throws IllegalArgumentException when a size is below 1
     */
    public PositionEmbedding build() {
      return new PositionEmbedding(this);
    }
  }
}

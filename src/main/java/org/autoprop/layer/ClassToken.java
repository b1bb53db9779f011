package org.autoprop.layer;

import java.util.List;
import java.util.Objects;
import org.autoprop.kernel.ElementwiseKernels;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * Prepends a learned token to a sequence, as ViT's class token: {@code [N, T, dim] -> [N, T + 1,
 * dim]} with {@code y[n, 0, :] = weight[0, 0, :]} and {@code y[n, 1 + t, :] = x[n, t, :]}
 * (PyTorch: {@code torch.cat([cls.expand(N, -1, -1), x], dim=1)}). The parameter is named
 * {@code weight}, of shape {@code [1, 1, dim]} (PyTorch ViTs hold it as a bare
 * {@code nn.Parameter}: torchvision's {@code class_token}, timm's {@code cls_token}, the peer
 * {@code torch_vit.py}'s {@code cls}); it starts as {@code trunc_normal_(std=0.02)} with PyTorch's
 * default bounds -2 and 2 ({@link Initializer#truncatedNormal}), seeded like {@link Dense}.
 *
 * <p>Backward: {@code gx[n, t, :] = gy[n, 1 + t, :]} and the token's gradient is
 * {@code sum_n gy[n, 0, :]}, summed in sample order. {@link Slice#index(int, int)
 * Slice.index(1, 0)} takes the token back out after the encoder.
 */
public final class ClassToken extends AbstractLayer {
  private final int dim;
  private final Parameter weight;
  private final ElementwiseKernels elementwise = kernels.elementwise();
  private final String description;

  /**
   * A token of {@code dim} features with the default initialization.
   *
   * @param dim the features per position, at least 1
   */
  public ClassToken(int dim) {
    this(builder(dim));
  }

  private ClassToken(Builder b) {
    this.dim = b.dim;
    this.description = "ClassToken(" + dim + ")";
    if (dim < 1) {
      throw new IllegalArgumentException(description + ": dim " + dim + " (expected: >= 1)");
    }
    Tensor w = Tensor.zeros(1, 1, dim);
    b.initializer.fill(w, dim, 1, b.seed != null ? b.seed : Initializer.nextDefaultSeed());
    this.weight = new Parameter("weight", w);
  }

  /**
   * A builder (default: {@code trunc_normal_(std=0.02)} weights).
   *
   * @param dim the features per position, at least 1
   * @return the builder
   */
  public static Builder builder(int dim) {
    return new Builder(dim);
  }

  /** The token {@code [1, 1, dim]}. */
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
   * {@code [N, T + 1, dim]}.
   *
   * @throws IllegalArgumentException unless the input is {@code [N, T, dim]}
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
    return x.withDim(1, x.dim(1) + 1);
  }

  /** 0: data movement only (the shape is checked as by {@link #outputShape}). */
  @Override
  public long flops(Shape input) {
    outputShape(input);
    return 0;
  }

  @Override
  protected void forward(Tensor x, Tensor y, boolean training) {
    int n = x.dim(0);
    int block = x.dim(1) * dim;
    float[] yd = y.data();
    for (int i = 0; i < n; i++) {
      int at = i * (block + dim);
      System.arraycopy(weight.value().data(), 0, yd, at, dim);
      System.arraycopy(x.data(), x.offset() + i * block, yd, at + dim, block);
    }
  }

  @Override
  protected void backward(Tensor x, Tensor y, Tensor gy, Tensor gx) {
    int n = x.dim(0);
    int block = x.dim(1) * dim;
    float[] g = gy.data();
    float[] gw = weight.grad().data();
    for (int i = 0; i < n; i++) {
      int at = gy.offset() + i * (block + dim);
      elementwise.add(gw, 0, g, at, gw, 0, dim);
      System.arraycopy(g, at + dim, gx.data(), i * block, block);
    }
  }

  /** Configures a {@link ClassToken}; every setter returns this builder. */
  public static final class Builder {
    private final int dim;
    private Initializer initializer = Initializer.truncatedNormal(0.02, -2, 2);
    private Long seed;

    private Builder(int dim) {
      this.dim = dim;
    }

    /** The initializer (default {@code trunc_normal_(std=0.02)}; fan-in {@code dim}, fan-out 1). */
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
     * @throws IllegalArgumentException when {@code dim} is below 1
     */
    public ClassToken build() {
      return new ClassToken(this);
    }
  }
}

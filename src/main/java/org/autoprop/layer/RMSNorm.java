package org.autoprop.layer;

/**
 * Root-mean-square normalisation over the trailing axes, PyTorch 2.4's {@code nn.RMSNorm} (PyTorch
 * 1.13 has none; the T5 and LLaMA normalisation): {@code y = x / sqrt(mean(x^2) + eps) * weight},
 * the mean over each group of the last {@code normalizedShape.length} axes, with {@code weight}
 * (ones) of the normalized shape when affine (the default). No centring, no bias.
 *
 * <p>eps defaults to {@link #DEFAULT_EPS}, the float32 machine epsilon 2^-23, which is what
 * {@code nn.RMSNorm(eps=None)} uses on float32 input ({@code torch.finfo(torch.float32).eps}).
 */
public final class RMSNorm extends TrailingNorm {
  /** nn.RMSNorm's default on float32 input: {@code torch.finfo(torch.float32).eps}, 2^-23. */
  public static final double DEFAULT_EPS = Math.ulp(1f);

  /**
   * RMSNorm over trailing axes of these sizes, eps 2^-23, with a weight.
   *
   * @param normalizedShape the sizes of the trailing axes, e.g. {@code 512}
   * @throws IllegalArgumentException if the shape is empty or has a size below 1
   */
  public RMSNorm(int... normalizedShape) {
    this(normalizedShape, DEFAULT_EPS, true);
  }

  private RMSNorm(int[] normalizedShape, double eps, boolean affine) {
    super(normalizedShape, eps, affine, false);
  }

  /**
   * A builder for an RMSNorm over trailing axes of these sizes.
   *
   * @param normalizedShape the sizes of the trailing axes
   * @return a builder with nn.RMSNorm's defaults (eps 2^-23, affine)
   */
  public static Builder builder(int... normalizedShape) {
    return new Builder(normalizedShape);
  }

  @Override
  void forwardRows(float[] x, int xOff, float[] y, int r0, int r1) {
    rows.rmsNorm(x, xOff, y, 0, r0, r1, d, gamma(), eps, rstd);
  }

  @Override
  void backwardRows(float[] x, int xOff, float[] g, int gOff, float[] gx, int r0, int r1, float[] gw, int gwOff,
      float[] gb, int gbOff) {
    rows.rmsNormBackward(x, xOff, g, gOff, gx, 0, r0, r1, d, gamma(), rstd, gw, gwOff);
  }

  /** Four operations per element (square, sum, scale, weight). */
  @Override
  public long flops(org.autoprop.tensor.Shape input) {
    return 4L * outputShape(input).size();
  }

  /** The builder of {@link RMSNorm}. */
  public static final class Builder {
    private final int[] normalizedShape;
    private double eps = DEFAULT_EPS;
    private boolean affine = true;

    private Builder(int[] normalizedShape) {
      this.normalizedShape = normalizedShape == null ? null : normalizedShape.clone();
    }

    /**
     * The constant added to the mean square before the square root (default 2^-23).
     *
     * @param eps a positive value
     * @return this
     */
    public Builder eps(double eps) {
      this.eps = eps;
      return this;
    }

    /**
     * Whether the layer has its weight (PyTorch's {@code elementwise_affine}, default true).
     *
     * @param affine false for a plain normalisation
     * @return this
     */
    public Builder affine(boolean affine) {
      this.affine = affine;
      return this;
    }

    /**
     * The layer.
     *
     * @return a new RMSNorm
     * @throws IllegalArgumentException if the shape is empty, has a size below 1, or eps is not
     *     positive and finite
     */
    public RMSNorm build() {
      return new RMSNorm(normalizedShape, eps, affine);
    }
  }
}

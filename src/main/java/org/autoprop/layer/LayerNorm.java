package org.autoprop.layer;

/**
 * Layer normalisation over the trailing axes, PyTorch's {@code nn.LayerNorm}: each group of the
 * last {@code normalizedShape.length} axes (a row of {@code d} elements, their product) is
 * normalised with its own mean and biased variance, {@code y = (x - mean) / sqrt(var + eps) * weight
 * + bias}, with {@code weight} (ones) and {@code bias} (zeros) of the normalized shape when affine
 * (the default). The same in training and evaluation; no running statistics.
 *
 * <p>{@code new LayerNorm(512)} for a [N, T, 512] sequence; {@code LayerNorm.builder(5, 8).eps(1e-6)
 * .affine(false).build()} for the other settings. Forward and backward are one sweep over the rows
 * each ({@link org.autoprop.kernel.RowKernels#layerNorm}); large inputs are split over the engine
 * threads by rows, and the parameter gradients are summed over the rows in a fixed order.
 */
public final class LayerNorm extends TrailingNorm {
  /** PyTorch's default eps. */
  public static final double DEFAULT_EPS = 1e-5;

  /**
   * LayerNorm over trailing axes of these sizes, eps 1e-5, with weight and bias.
   *
   * @param normalizedShape the sizes of the trailing axes, e.g. {@code 512} or {@code 5, 8}
   * @throws IllegalArgumentException if the shape is empty or has a size below 1
   */
  public LayerNorm(int... normalizedShape) {
    this(normalizedShape, DEFAULT_EPS, true);
  }

  private LayerNorm(int[] normalizedShape, double eps, boolean affine) {
    super(normalizedShape, eps, affine, true);
  }

  /**
   * A builder for a LayerNorm over trailing axes of these sizes.
   *
   * @param normalizedShape the sizes of the trailing axes
   * @return a builder with PyTorch's defaults (eps 1e-5, affine)
   */
  public static Builder builder(int... normalizedShape) {
    return new Builder(normalizedShape);
  }

  /**
   * The elementwise shift, of the normalized shape (initialised to zeros).
   *
   * @throws IllegalStateException without affine parameters
   */
  public Parameter bias() {
    if (bias == null) {
      throw new IllegalStateException(this + " has no bias (built with affine(false))");
    }
    return bias;
  }

  @Override
  void forwardRows(float[] x, int xOff, float[] y, int r0, int r1) {
    rows.layerNorm(x, xOff, y, 0, r0, r1, d, gamma(), beta(), eps, mean, rstd);
  }

  @Override
  void backwardRows(float[] x, int xOff, float[] g, int gOff, float[] gx, int r0, int r1, float[] gw, int gwOff,
      float[] gb, int gbOff) {
    rows.layerNormBackward(x, xOff, g, gOff, gx, 0, r0, r1, d, gamma(), mean, rstd, gw, gwOff, gb, gbOff);
  }

  /** The builder of {@link LayerNorm}. */
  public static final class Builder {
    private final int[] normalizedShape;
    private double eps = DEFAULT_EPS;
    private boolean affine = true;

    private Builder(int[] normalizedShape) {
      this.normalizedShape = normalizedShape == null ? null : normalizedShape.clone();
    }

    /**
     * The constant added to the variance before the square root (default 1e-5).
     *
     * @param eps a positive value
     * @return this
     */
    public Builder eps(double eps) {
      this.eps = eps;
      return this;
    }

    /**
     * Whether the layer has its weight and bias (PyTorch's {@code elementwise_affine}, default true).
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
     * @return a new LayerNorm
     * @throws IllegalArgumentException if the shape is empty, has a size below 1, or eps is not
     *     positive and finite
     */
    public LayerNorm build() {
      return new LayerNorm(normalizedShape, eps, affine);
    }
  }
}

package org.autoprop.layer;

import org.autoprop.tensor.Shape;

/**
 * Instance normalisation of an image batch {@code [N, C, H, W]}, PyTorch's {@code nn.InstanceNorm2d}
 * with its defaults ({@code affine=False, track_running_stats=False}): each channel of each sample
 * is normalised over its {@code H * W} positions with its own mean and biased variance,
 * {@code y = (x - mean) / sqrt(var + eps)}, then, when affine, scaled and shifted per channel by
 * {@code weight} (ones) and {@code bias} (zeros), both {@code [C]}. The same in training and
 * evaluation.
 *
 * <p><b>Not supported:</b> running statistics ({@code track_running_stats=True}, and with it
 * {@code momentum} and the buffers {@code running_mean}, {@code running_var},
 * {@code num_batches_tracked}); there is no such option, and a state dict holding those buffers
 * fails the strict {@code StateDict.load}, naming them as unexpected, instead of being half used. Also unlike PyTorch: an unbatched {@code [C, H, W]} input is rejected (add the batch
 * axis), and so is a channel count other than {@code channels} without affine (PyTorch only warns).
 * As PyTorch, a single position ({@code H * W == 1}) is rejected.
 *
 * <p>{@code new InstanceNorm2D(64)}; {@code InstanceNorm2D.builder(64).affine(true).build()}.
 * Computation: a group norm with one channel per group.
 */
public final class InstanceNorm2D extends GroupNormCore {
  /** PyTorch's default eps. */
  public static final double DEFAULT_EPS = 1e-5;

  /**
   * An instance norm with eps 1e-5 and no parameters (PyTorch's defaults).
   *
   * @param channels PyTorch's {@code num_features}, {@literal >=} 1
   * @throws IllegalArgumentException if channels is below 1
   */
  public InstanceNorm2D(int channels) {
    this(channels, DEFAULT_EPS, false);
  }

  private InstanceNorm2D(int channels, double eps, boolean affine) {
    super(Math.max(channels, 1), channels, eps, affine);
  }

  /**
   * A builder with PyTorch's defaults (eps 1e-5, no affine parameters).
   *
   * @param channels PyTorch's {@code num_features}
   * @return the builder
   */
  public static Builder builder(int channels) {
    return new Builder(channels);
  }

  /**
   * Checks {@code [N, C, H, W]} with more than one position.
   *
   * @throws IllegalArgumentException for another rank, another channel count, or {@code H * W == 1}
   */
  @Override
  int checkInput(Shape input) {
    int spatial = ChannelChecks.spatial(this, input, 4, 4, "[N, C, H, W]", channels);
    if (spatial == 1) {
      throw new IllegalArgumentException(this + ": input " + input + " has 1 position per channel (expected: more than"
          + " 1 spatial element, as PyTorch)");
    }
    return spatial;
  }

  @Override
  public String typeName() {
    return "InstanceNorm2D";
  }

  /** {@code InstanceNorm2D(channels)}, with {@code eps} when not 1e-5 and {@code affine} when so. */
  @Override
  public String toString() {
    return "InstanceNorm2D(" + channels + (eps != DEFAULT_EPS ? ", eps=" + eps : "") + (affine ? ", affine" : "") + ")";
  }

  /** The builder of {@link InstanceNorm2D}. */
  public static final class Builder {
    private final int channels;
    private double eps = DEFAULT_EPS;
    private boolean affine;

    private Builder(int channels) {
      this.channels = channels;
    }

    /**
     * The constant added to the variance before the square root (default 1e-5).
     *
     * @param eps finite and positive
     * @return this
     */
    public Builder eps(double eps) {
      this.eps = eps;
      return this;
    }

    /**
     * Whether the layer has a per-channel weight and bias (PyTorch's {@code affine}, default false).
     *
     * @param affine true for the learnable scale and shift
     * @return this
     */
    public Builder affine(boolean affine) {
      this.affine = affine;
      return this;
    }

    /**
     * The layer.
     *
     * @return a new InstanceNorm2D
     * @throws IllegalArgumentException if channels is below 1 or eps is not finite and positive
     */
    public InstanceNorm2D build() {
      return new InstanceNorm2D(channels, eps, affine);
    }
  }
}

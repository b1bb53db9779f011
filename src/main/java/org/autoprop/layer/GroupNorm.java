package org.autoprop.layer;

import org.autoprop.tensor.Shape;

/**
 * Group normalisation, PyTorch's {@code nn.GroupNorm(num_groups, num_channels, eps=1e-5,
 * affine=True)}, on {@code [N, C, *]} of any rank {@literal >=} 2: the {@code C} channels of each
 * sample are split into {@code groups} runs of {@code C / groups} consecutive channels, and each run,
 * over all its positions, is normalised with its own mean and biased variance:
 * {@code y = (x - mean) / sqrt(var + eps) * weight[c] + bias[c]}.
 *
 * <p>Parameters {@code weight} (ones) and {@code bias} (zeros), both {@code [C]}, when affine (the
 * default); no buffers. The same in training and evaluation. As PyTorch, an input with a single
 * value per channel over the whole batch ({@code N * C / groups * positions == 1}) is rejected.
 * {@code groups = 1} normalises each sample as a whole; {@code groups = C} is an instance norm.
 *
 * <p>{@code new GroupNorm(32, 256)}; {@code GroupNorm.builder(2, 6).eps(1e-6).affine(false).build()}
 * for the other settings. Computation: plain loops, statistics in double, on the calling thread.
 */
public final class GroupNorm extends GroupNormCore {
  /** PyTorch's default eps. */
  public static final double DEFAULT_EPS = 1e-5;

  /**
   * A group norm with eps 1e-5, weight and bias.
   *
   * @param groups PyTorch's {@code num_groups}, {@literal >=} 1
   * @param channels PyTorch's {@code num_channels}, a multiple of {@code groups}
   * @throws IllegalArgumentException if a count is below 1 or channels are not divisible by groups
   */
  public GroupNorm(int groups, int channels) {
    this(groups, channels, DEFAULT_EPS, true);
  }

  private GroupNorm(int groups, int channels, double eps, boolean affine) {
    super(groups, channels, eps, affine);
  }

  /**
   * A builder with PyTorch's defaults (eps 1e-5, affine).
   *
   * @param groups PyTorch's {@code num_groups}
   * @param channels PyTorch's {@code num_channels}
   * @return the builder
   */
  public static Builder builder(int groups, int channels) {
    return new Builder(groups, channels);
  }

  /** PyTorch's {@code num_groups}. */
  public int groups() {
    return groups;
  }

  /**
   * Checks {@code [N, C, *]} and PyTorch's "more than 1 value per channel".
   *
   * @throws IllegalArgumentException for a rank below 2, another channel count, or
   *     {@code N * C / groups * positions == 1}
   */
  @Override
  int checkInput(Shape input) {
    int spatial = ChannelChecks.spatial(this, input, 2, Integer.MAX_VALUE, "[N, C, *]", channels);
    if ((long) input.dim(0) * (channels / groups) * spatial == 1) {
      throw new IllegalArgumentException(this + ": input " + input + " has 1 value per channel (expected: more than 1"
          + " value in N * C / groups * positions, as PyTorch)");
    }
    return spatial;
  }

  @Override
  public String typeName() {
    return "GroupNorm";
  }

  /** {@code GroupNorm(groups, channels)}, with {@code eps} when not 1e-5 and {@code affine=false} when so. */
  @Override
  public String toString() {
    return "GroupNorm(" + groups + ", " + channels + (eps != DEFAULT_EPS ? ", eps=" + eps : "")
        + (affine ? "" : ", affine=false") + ")";
  }

  /** The builder of {@link GroupNorm}. */
  public static final class Builder {
    private final int groups;
    private final int channels;
    private double eps = DEFAULT_EPS;
    private boolean affine = true;

    private Builder(int groups, int channels) {
      this.groups = groups;
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
     * Whether the layer has its weight and bias (PyTorch's {@code affine}, default true).
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
     * @return a new GroupNorm
     * @throws IllegalArgumentException if a count is below 1, channels are not divisible by
     *     groups, or eps is not finite and positive
     */
    public GroupNorm build() {
      return new GroupNorm(groups, channels, eps, affine);
    }
  }
}

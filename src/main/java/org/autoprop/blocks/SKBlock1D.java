package org.autoprop.blocks;

/**
 * Luma's {@code SKBlock1D} on {@code [N, C, L]}: branches of several kernel sizes weighed by a
 * per-channel attention over the branches (see {@link SKBlock}).
 *
 * <p>Example: {@code SKBlock1D.builder(32, 64).kernels(3, 5).reduction(8).build()}.
 */
public final class SKBlock1D {
  private SKBlock1D() {}

  /**
   * A builder with Luma's defaults (kernels 3 and 5, reduction 16, one group, ReLU).
   *
   * @param in input channels
   * @param out output channels of every branch and of the block
   * @return the builder
   * @throws IllegalArgumentException if a channel count is below 1
   */
  public static SKBlock.Builder builder(int in, int out) {
    return new SKBlock.Builder(Rank.ONE, in, out);
  }
}

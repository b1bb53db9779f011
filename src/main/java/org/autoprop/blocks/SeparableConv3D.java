package org.autoprop.blocks;

/**
 * Luma's {@code SeparableConv3D} on {@code [N, C, D, H, W]}: a depthwise then a pointwise convolution
 * (see {@link SeparableConv}).
 *
 * <p>Example: {@code SeparableConv3D.builder(16, 32).kernel(5).batchNorm(true).build()}.
 */
public final class SeparableConv3D {
  private SeparableConv3D() {}

  /**
   * A builder with Luma's defaults (kernel 3, padding "same", stride 1, no batch norm).
   *
   * @param in input channels
   * @param out output channels
   * @return the builder
   * @throws IllegalArgumentException if a channel count is below 1
   */
  public static SeparableConv.Builder builder(int in, int out) {
    return new SeparableConv.Builder(Rank.THREE, in, out);
  }
}

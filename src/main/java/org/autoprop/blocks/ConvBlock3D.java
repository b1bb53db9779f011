package org.autoprop.blocks;

/**
 * Luma's {@code ConvBlock3D} on {@code [N, C, D, H, W]}: convolution, batch norm, activation and pool
 * (see {@link ConvBlock}).
 *
 * <p>Example: {@code ConvBlock3D.builder(16, 32).kernel(3).activation(GELU::new).noPool().build()}.
 */
public final class ConvBlock3D {
  private ConvBlock3D() {}

  /**
   * A builder with Luma's defaults (kernel 3, padding "same", batch norm, ReLU, max pool 2).
   *
   * @param in input channels
   * @param out output channels
   * @return the builder
   * @throws IllegalArgumentException if a channel count is below 1
   */
  public static ConvBlock.Builder builder(int in, int out) {
    return new ConvBlock.Builder(Rank.THREE, in, out);
  }
}

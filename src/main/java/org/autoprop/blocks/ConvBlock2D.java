package org.autoprop.blocks;

/**
 * Luma's {@code ConvBlock2D} on {@code [N, C, H, W]}: convolution, batch norm, activation and pool
 * (see {@link ConvBlock}).
 *
 * <p>Example: {@code ConvBlock2D.builder(16, 32).kernel(3).activation(GELU::new).noPool().build()}.
 */
public final class ConvBlock2D {
  private ConvBlock2D() {}

  /**
   * A builder with Luma's defaults (kernel 3, padding "same", batch norm, ReLU, max pool 2).
   *
   * @param in input channels
   * @param out output channels
   * @return the builder
   * @throws IllegalArgumentException if a channel count is below 1
   */
  public static ConvBlock.Builder builder(int in, int out) {
    return new ConvBlock.Builder(Rank.TWO, in, out);
  }
}

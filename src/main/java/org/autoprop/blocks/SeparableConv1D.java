package org.autoprop.blocks;

/**
 * Luma's {@code SeparableConv1D} on {@code [N, C, L]}: a depthwise then a pointwise convolution
 * (see {@link SeparableConv}).
 *
 * <p>Example: {@code SeparableConv1D.builder(16, 32).kernel(5).batchNorm(true).build()}.
 */
public final class SeparableConv1D {
  private SeparableConv1D() {}

  /**
   * A builder with Luma's defaults (kernel 3, padding "same", stride 1, no batch norm).
   *
   * @param in input channels
   * @param out output channels
   * @return the builder
   * @throws IllegalArgumentException if a channel count is below 1
   */
  public static SeparableConv.Builder builder(int in, int out) {
    return new SeparableConv.Builder(Rank.ONE, in, out);
  }
}

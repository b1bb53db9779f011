package org.autoprop.blocks;

/**
 * Luma's {@code SEBlock3D} on {@code [N, C, D, H, W]}: the squeeze-and-excitation channel gate (see
 * {@link SEBlock}).
 *
 * <p>Example: {@code SEBlock3D.builder(64).reduction(16).build()}, then a {@code HADAMARD} merge
 * of its output with the map it gates.
 */
public final class SEBlock3D {
  private SEBlock3D() {}

  /**
   * A builder with Luma's defaults (reduction 4, sigmoid gate, output of the input's shape).
   *
   * @param channels the input's channels
   * @return the builder
   * @throws IllegalArgumentException if {@code channels} is below 1
   */
  public static SEBlock.Builder builder(int channels) {
    return new SEBlock.Builder(Rank.THREE, channels);
  }
}

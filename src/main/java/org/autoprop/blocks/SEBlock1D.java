package org.autoprop.blocks;

/**
 * Luma's {@code SEBlock1D} on {@code [N, C, L]}: the squeeze-and-excitation channel gate (see
 * {@link SEBlock}).
 *
 * <p>Example: {@code SEBlock1D.builder(64).reduction(16).build()}, then a {@code HADAMARD} merge
 * of its output with the map it gates.
 */
public final class SEBlock1D {
  private SEBlock1D() {}

  /**
   * A builder with Luma's defaults (reduction 4, sigmoid gate, output of the input's shape).
   *
   * @param channels the input's channels
   * @return the builder
   * @throws IllegalArgumentException if {@code channels} is below 1
   */
  public static SEBlock.Builder builder(int channels) {
    return new SEBlock.Builder(Rank.ONE, channels);
  }
}

package org.autoprop.layer;

/**
 * Depthwise 3-D convolution under Luma's name: a {@link Conv3D} with one group per input channel
 * ({@code groups = channels}) and {@code multiplier} filters per channel ({@code out = channels *
 * multiplier}), PyTorch's {@code nn.Conv3d(channels, channels * multiplier, k, groups=channels)} on
 * {@code [N, C, D, H, W]}. Output channel {@code c * multiplier + m} is filter {@code m} of input channel
 * {@code c}; the weight is {@code [channels * multiplier, 1, ...kernel]}.
 *
 * <p>Example: {@code DepthConv3D.builder(32, 1).kernel(3).padding("same").build()}.
 */
public final class DepthConv3D {
  private DepthConv3D() {}

  /**
   * A {@link Conv3D} builder set up as a depthwise convolution; set the kernel and the rest on it.
   *
   * @param channels input channels, each convolved on its own
   * @param multiplier filters per input channel (Luma's and Keras' depth multiplier), at least 1
   * @return the builder, with {@code groups = channels} and {@code out = channels * multiplier}
   * @throws IllegalArgumentException if {@code channels} or {@code multiplier} is below 1
   */
  public static Conv3D.Builder builder(int channels, int multiplier) {
    if (channels < 1 || multiplier < 1) {
      throw new IllegalArgumentException("DepthConv3D: channels " + channels + ", multiplier " + multiplier
          + " (expected: >= 1 each)");
    }
    return Conv3D.builder(channels, channels * multiplier).groups(channels);
  }

  /**
   * A depthwise convolution at stride 1 without padding, with a bias.
   *
   * @param channels input channels
   * @param multiplier filters per input channel
   * @param kernel the kernel's extent on every axis
   * @return the layer
   */
  public static Conv3D of(int channels, int multiplier, int kernel) {
    return builder(channels, multiplier).kernel(kernel).build();
  }
}

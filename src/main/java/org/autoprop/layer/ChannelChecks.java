package org.autoprop.layer;

import org.autoprop.tensor.Shape;

/**
 * The input checks of the channel-wise layers ({@code [N, C, *]}), with one wording: the layer
 * (its {@code toString()}), the actual input shape, and what was expected.
 */
final class ChannelChecks {
  private ChannelChecks() {}

  /**
   * Checks the rank and the channel axis of an input.
   *
   * @param layer the layer, named by its {@code toString()}
   * @param input the input shape
   * @param minRank the smallest rank taken
   * @param maxRank the largest rank taken
   * @param layout the layout for the message, e.g. {@code [N, C, H, W]}
   * @param channels the extent axis 1 must have
   * @return the number of elements per sample and channel: the product of the axes after 1
   * @throws IllegalArgumentException if the rank is outside [minRank, maxRank] or axis 1 is not
   *     {@code channels}
   */
  static int spatial(Object layer, Shape input, int minRank, int maxRank, String layout, int channels) {
    int rank = input.rank();
    if (rank < minRank || rank > maxRank) {
      String want = minRank == maxRank ? String.valueOf(minRank) : "at least " + minRank;
      throw new IllegalArgumentException(layer + ": input " + input + " has rank " + rank + " (expected: " + want
          + ", " + layout + ")");
    }
    if (input.dim(1) != channels) {
      throw new IllegalArgumentException(layer + ": input " + input + " has " + input.dim(1) + " channels (expected: "
          + channels + ")");
    }
    return input.sizeOf(2, rank);
  }

  /**
   * Checks that a setting is finite and positive.
   *
   * @throws IllegalArgumentException naming the layer, the setting and its value otherwise
   */
  static void positive(Object layer, String name, double value) {
    if (!(value > 0) || Double.isInfinite(value)) {
      throw new IllegalArgumentException(layer + ": " + name + " " + value + " (expected: finite and > 0)");
    }
  }

  /**
   * Checks a channel count.
   *
   * @throws IllegalArgumentException naming the layer and the value when it is below 1
   */
  static void channels(Object layer, int channels) {
    if (channels < 1) {
      throw new IllegalArgumentException(layer + ": channels " + channels + " (expected: >= 1)");
    }
  }
}

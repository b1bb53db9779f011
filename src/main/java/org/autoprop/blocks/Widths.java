package org.autoprop.blocks;

/**
 * torchvision's channel rounding for scaled networks ({@code _make_divisible}), shared by the
 * MobileNet and EfficientNet blocks and models.
 */
public final class Widths {
  private Widths() {}

  /**
   * torchvision's {@code _make_divisible(v, divisor)}: {@code v} to the nearest multiple of
   * {@code divisor} (halves up), at least {@code divisor}, plus {@code divisor} if rounding down
   * lost more than 10% of {@code v}.
   *
   * @param v the width before rounding, {@code >= 0}
   * @param divisor the multiple, {@code >= 1}
   * @return the rounded width
   * @throws IllegalArgumentException if {@code v} is negative or not finite, or the result
   *     exceeds {@code Integer.MAX_VALUE}
   */
  public static int makeDivisible(double v, int divisor) {
    if (!(v >= 0 && v <= Integer.MAX_VALUE) || divisor < 1) {
      throw new IllegalArgumentException("makeDivisible: v " + v + ", divisor " + divisor
          + " (expected: 0 <= v <= " + Integer.MAX_VALUE + ", divisor >= 1)");
    }
    long rounded = Math.max(divisor, (long) (v + divisor / 2.0) / divisor * divisor);
    long result = rounded < 0.9 * v ? rounded + divisor : rounded;
    if (result > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("makeDivisible: v " + v + " rounds to " + result
          + " (expected: <= " + Integer.MAX_VALUE + ")");
    }
    return (int) result;
  }
}

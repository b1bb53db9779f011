package org.autoprop.layer;

import java.util.Locale;

/**
 * The zero padding of a convolution: explicit (per side, for height and width), {@link #SAME}
 * or {@link #VALID}.
 *
 * <p>{@code SAME} keeps the spatial size at stride 1 by padding {@code dilation*(k-1)/2} on each
 * side; like PyTorch's {@code padding="same"} it needs stride 1, and since padding here is
 * symmetric it also needs {@code dilation*(k-1)} even (an even kernel at dilation 1 is rejected).
 * {@code VALID} is no padding.
 */
public final class Padding {
  private enum Mode { EXPLICIT, SAME, VALID }

  /** Output size equals input size at stride 1: {@code dilation*(k-1)/2} on each side. */
  public static final Padding SAME = new Padding(Mode.SAME, 0, 0);

  /** No padding. */
  public static final Padding VALID = new Padding(Mode.VALID, 0, 0);

  private final Mode mode;
  private final int h;
  private final int w;

  private Padding(Mode mode, int h, int w) {
    this.mode = mode;
    this.h = h;
    this.w = w;
  }

  /** {@code p} zeros on every side. */
  public static Padding of(int p) {
    return of(p, p);
  }

  /** {@code h} zeros above and below, {@code w} left and right. */
  public static Padding of(int h, int w) {
    if (h < 0 || w < 0) {
      throw new IllegalArgumentException("padding: " + h + "x" + w + " (expected: >= 0 on both axes)");
    }
    return new Padding(Mode.EXPLICIT, h, w);
  }

  /**
   * Parses {@code "same"}, {@code "valid"} (any case), an integer {@code "2"} or a pair
   * {@code "1,2"} / {@code "(1, 2)"} (height, width).
   */
  public static Padding parse(String text) {
    java.util.Objects.requireNonNull(text, "text");
    String t = text.trim().toLowerCase(Locale.ROOT);
    if (t.equals("same")) {
      return SAME;
    }
    if (t.equals("valid")) {
      return VALID;
    }
    if (t.startsWith("(") && t.endsWith(")")) {
      t = t.substring(1, t.length() - 1);
    }
    String[] parts = t.split(",", -1);
    try {
      if (parts.length == 1) {
        return of(Integer.parseInt(parts[0].trim()));
      }
      if (parts.length == 2) {
        return of(Integer.parseInt(parts[0].trim()), Integer.parseInt(parts[1].trim()));
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(
        "padding: \"" + text + "\" (expected: \"same\", \"valid\", an integer or \"h,w\")");
  }

  /** True for {@link #SAME}. */
  public boolean isSame() {
    return mode == Mode.SAME;
  }

  /**
   * The padding per side as {@code {h, w}} for a kernel, dilation and stride.
   *
   * @throws IllegalArgumentException for {@code SAME} with a stride other than 1, or when
   *     {@code dilation*(k-1)} is odd on an axis (the message names the kernel)
   */
  public int[] resolve(int kernelH, int kernelW, int strideH, int strideW, int dilationH, int dilationW) {
    switch (mode) {
      case VALID:
        return new int[] {0, 0};
      case EXPLICIT:
        return new int[] {h, w};
      default:
        break;
    }
    if (strideH != 1 || strideW != 1) {
      // TensorFlow's stride-s 'same' pads by an amount that depends on the input size and may be
      // asymmetric; PyTorch refuses it. Point to the symmetric padding that gives ceil(size / s).
      throw new IllegalArgumentException("padding 'same' needs stride 1 (got stride " + strideH + "x" + strideW
          + "), as in PyTorch; use explicit padding " + suggestion(dilationH * (kernelH - 1) / 2, dilationW * (kernelW - 1) / 2)
          + ": with an odd kernel it gives ceil(size / stride) outputs as TensorFlow's 'same' does, with the same values "
          + "wherever TensorFlow pads symmetrically");
    }
    int th = dilationH * (kernelH - 1);
    int tw = dilationW * (kernelW - 1);
    if (th % 2 != 0 || tw % 2 != 0) {
      throw new IllegalArgumentException("padding 'same' with kernel " + kernelH + "x" + kernelW + " and dilation "
          + dilationH + "x" + dilationW + " needs an asymmetric padding (total " + th + "x" + tw
          + " is odd); use an odd kernel or explicit padding");
    }
    return new int[] {th / 2, tw / 2};
  }

  private static String suggestion(int h, int w) {
    return h == w ? ".padding(" + h + ")" : ".padding(Padding.of(" + h + ", " + w + "))";
  }

  /** {@code same}, {@code valid}, {@code 1} or {@code 1x2}. */
  @Override
  public String toString() {
    switch (mode) {
      case SAME:
        return "same";
      case VALID:
        return "valid";
      default:
        return h == w ? Integer.toString(h) : h + "x" + w;
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Padding && ((Padding) o).mode == mode && ((Padding) o).h == h && ((Padding) o).w == w;
  }

  @Override
  public int hashCode() {
    return (mode.hashCode() * 31 + h) * 31 + w;
  }
}

package org.autoprop.layer;

import java.util.Arrays;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * Zero padding of the last two axes of {@code [N, C, H, W]} (PyTorch's {@code nn.ZeroPad2d}):
 * {@code left} and {@code right} zero columns, {@code top} and {@code bottom} zero rows, so the
 * output is {@code [N, C, H + top + bottom, W + left + right]} with
 * {@code y[.., r, c] = x[.., r - top, c - left]} where that is inside the input and 0 elsewhere.
 *
 * <p>A negative amount crops that side, as PyTorch allows; the padded size must stay at least
 * 1x1 (PyTorch also accepts an empty output). The gradient is the adjoint: the upstream gradient
 * of the copied window, 0 for the cropped input positions.
 */
public final class ZeroPad2D extends AbstractLayer {
  private final int left;
  private final int right;
  private final int top;
  private final int bottom;

  /**
   * The same padding on all four sides, as {@code nn.ZeroPad2d(p)}.
   *
   * @param padding zeros on each side (negative crops)
   */
  public ZeroPad2D(int padding) {
    this(padding, padding, padding, padding);
  }

  /**
   * Padding per side in PyTorch's order, as {@code nn.ZeroPad2d((left, right, top, bottom))}; a
   * negative amount crops that side.
   *
   * @param left zero columns before the first
   * @param right zero columns after the last
   * @param top zero rows before the first
   * @param bottom zero rows after the last
   */
  public ZeroPad2D(int left, int right, int top, int bottom) {
    this.left = left;
    this.right = right;
    this.top = top;
    this.bottom = bottom;
  }

  /** The padding as PyTorch orders it: {@code {left, right, top, bottom}} (a copy). */
  public int[] padding() {
    return new int[] {left, right, top, bottom};
  }

  @Override
  public Shape outputShape(Shape input) {
    if (input.rank() != 4) {
      throw new IllegalArgumentException(this + ": input " + input + " has rank " + input.rank()
          + " (expected: 4, [N, C, H, W])");
    }
    long oh = (long) input.dim(2) + top + bottom;
    long ow = (long) input.dim(3) + left + right;
    if (oh < 1 || ow < 1 || oh > Integer.MAX_VALUE || ow > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(this + ": input " + input + " padded to " + oh + "x" + ow
          + " (expected: at least 1x1 and below 2^31)");
    }
    return Shape.of(input.dim(0), input.dim(1), (int) oh, (int) ow);
  }

  @Override
  protected void forward(Tensor x, Tensor y, boolean training) {
    shift(x.data(), x.offset(), x.dim(2), x.dim(3), y.data(), y.dim(2), y.dim(3), top, left,
        x.dim(0) * x.dim(1));
  }

  @Override
  protected void backward(Tensor x, Tensor y, Tensor gy, Tensor gx) {
    // The adjoint of a shift with zero fill is the opposite shift with zero fill.
    shift(gy.data(), gy.offset(), gy.dim(2), gy.dim(3), gx.data(), gx.dim(2), gx.dim(3), -top, -left,
        gx.dim(0) * gx.dim(1));
  }

  /**
   * {@code dst[p, r, c] = src[p, r - down, c - across]} where that is inside {@code src}, else 0,
   * for each of {@code planes} planes.
   */
  private static void shift(float[] src, int srcOff, int sh, int sw, float[] dst, int dh, int dw, int down,
      int across, int planes) {
    int r0 = Math.max(0, down);
    int r1 = Math.min(dh, sh + down);
    int c0 = Math.max(0, across);
    int c1 = Math.min(dw, sw + across);
    for (int p = 0; p < planes; p++) {
      int from = srcOff + p * sh * sw;
      int to = p * dh * dw;
      Arrays.fill(dst, to, to + dh * dw, 0f);
      for (int r = r0; r < r1; r++) {
        if (c1 > c0) {
          System.arraycopy(src, from + (r - down) * sw + (c0 - across), dst, to + r * dw + c0, c1 - c0);
        }
      }
    }
  }

  @Override
  public String toString() {
    return "ZeroPad2D(left=" + left + ", right=" + right + ", top=" + top + ", bottom=" + bottom + ")";
  }
}

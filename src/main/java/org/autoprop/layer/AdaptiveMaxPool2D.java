package org.autoprop.layer;

import java.util.Arrays;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * Adaptive max pooling of {@code [N, C, H, W]} to {@code [N, C, outH, outW]} (PyTorch's
 * {@code nn.AdaptiveMaxPool2d(output_size)}): output row {@code i} takes the maximum over input rows
 * {@code [floor(i H / outH), ceil((i + 1) H / outH))}, and likewise for columns; windows may
 * overlap, and an output larger than the input repeats rows or columns.
 *
 * <p>As PyTorch's kernel, each window is scanned in row order starting from -inf at its first
 * element, and an element replaces the maximum if it is greater or NaN: the gradient goes to the
 * first maximum of a window (ties go to the earliest), and a NaN in a window is its output.
 */
public final class AdaptiveMaxPool2D extends AbstractLayer {
  private final int oh;
  private final int ow;

  // For the current shape: the flat input index (from the tensor's start) of each output's maximum.
  private int[] argmax = new int[0];

  /**
   * Pools to {@code size x size}, as {@code nn.AdaptiveMaxPool2d(size)}.
   *
   * @param size the output height and width, at least 1
   */
  public AdaptiveMaxPool2D(int size) {
    this(size, size);
  }

  /**
   * Pools to {@code outH x outW}, as {@code nn.AdaptiveMaxPool2d((outH, outW))}.
   *
   * @param outH the output height, at least 1
   * @param outW the output width, at least 1
   * @throws IllegalArgumentException if either is below 1
   */
  public AdaptiveMaxPool2D(int outH, int outW) {
    if (outH < 1 || outW < 1) {
      throw new IllegalArgumentException(
          "AdaptiveMaxPool2D: output size " + outH + "x" + outW + " (expected: >= 1x1)");
    }
    this.oh = outH;
    this.ow = outW;
  }

  @Override
  public Shape outputShape(Shape input) {
    if (input.rank() != 4) {
      throw new IllegalArgumentException(this + ": input " + input + " has rank " + input.rank()
          + " (expected: 4, [N, C, H, W])");
    }
    if (input.dim(2) < 1 || input.dim(3) < 1) {
      throw new IllegalArgumentException(this + ": input " + input
          + " has an empty spatial size (expected: at least 1x1)");
    }
    return Shape.of(input.dim(0), input.dim(1), oh, ow);
  }

  @Override
  protected void prepare(Shape input, Shape output) {
    argmax = new int[output.size()];
  }

  @Override
  protected void forward(Tensor x, Tensor y, boolean training) {
    float[] src = x.data();
    int off = x.offset();
    float[] dst = y.data();
    int h = x.dim(2);
    int w = x.dim(3);
    int planes = x.dim(0) * x.dim(1);
    int o = 0;
    for (int p = 0; p < planes; p++) {
      int plane = p * h * w;
      for (int i = 0; i < oh; i++) {
        int r0 = start(i, h, oh);
        int r1 = end(i, h, oh);
        for (int j = 0; j < ow; j++) {
          int c0 = start(j, w, ow);
          int c1 = end(j, w, ow);
          int best = plane + r0 * w + c0;
          float max = Float.NEGATIVE_INFINITY;
          for (int r = r0; r < r1; r++) {
            for (int c = c0; c < c1; c++) {
              int at = plane + r * w + c;
              float v = src[off + at];
              if (v > max || Float.isNaN(v)) {
                max = v;
                best = at;
              }
            }
          }
          dst[o] = max;
          argmax[o] = best;
          o++;
        }
      }
    }
  }

  @Override
  protected void backward(Tensor x, Tensor y, Tensor gy, Tensor gx) {
    float[] up = gy.data();
    int off = gy.offset();
    float[] dst = gx.data();
    Arrays.fill(dst, 0, gx.size(), 0f);
    for (int o = 0, n = gy.size(); o < n; o++) {
      dst[argmax[o]] += up[off + o];
    }
  }

  /** floor(i * in / out), PyTorch's window start. */
  static int start(int i, int in, int out) {
    return (int) ((long) i * in / out);
  }

  /** ceil((i + 1) * in / out), PyTorch's window end (exclusive). */
  static int end(int i, int in, int out) {
    return (int) (((long) (i + 1) * in + out - 1) / out);
  }

  /** One comparison per element of every window. */
  @Override
  public long flops(Shape input) {
    Shape y = outputShape(input);
    long planes = (long) y.dim(0) * y.dim(1);
    return planes * windowSum(input.dim(2), oh) * windowSum(input.dim(3), ow);
  }

  private static long windowSum(int in, int out) {
    long s = 0;
    for (int i = 0; i < out; i++) {
      s += end(i, in, out) - start(i, in, out);
    }
    return s;
  }

  @Override
  public String toString() {
    return "AdaptiveMaxPool2D(" + oh + "x" + ow + ")";
  }
}

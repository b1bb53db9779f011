package org.autoprop.layer;

import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * Channel shuffle (ShuffleNet; PyTorch's {@code nn.ChannelShuffle(groups)}) on {@code [N, C, *]}
 * with {@code C = groups * k}: the channels are viewed as a {@code [groups, k]} grid, transposed
 * to {@code [k, groups]} and flattened, so output channel {@code j * groups + i} is input channel
 * {@code i * k + j}. The gradient is the inverse permutation.
 *
 * <p>PyTorch 1.13 has no derivative for {@code channel_shuffle}; this layer's backward is that of
 * the equivalent {@code x.view(N, g, k, *).transpose(1, 2).reshape(N, C, *)}.
 */
public final class ChannelShuffle extends AbstractLayer {
  private final int groups;

  /**
   * Shuffles the channels in {@code groups} groups.
   *
   * @param groups the number of groups, at least 1; the input's channels must be a multiple of it
   * @throws IllegalArgumentException if {@code groups < 1}
   */
  public ChannelShuffle(int groups) {
    if (groups < 1) {
      throw new IllegalArgumentException("ChannelShuffle: groups " + groups + " (expected: >= 1)");
    }
    this.groups = groups;
  }

  /** The number of groups. */
  public int groups() {
    return groups;
  }

  @Override
  public Shape outputShape(Shape input) {
    if (input.rank() < 3) {
      throw new IllegalArgumentException(this + ": input " + input + " has rank " + input.rank()
          + " (expected: >= 3, [N, C, *])");
    }
    if (input.dim(1) % groups != 0) {
      throw new IllegalArgumentException(this + ": input " + input + " has " + input.dim(1)
          + " channels (expected: a multiple of groups " + groups + ")");
    }
    return input;
  }

  @Override
  protected void forward(Tensor x, Tensor y, boolean training) {
    permute(x.shape(), x.data(), x.offset(), y.data(), true);
  }

  @Override
  protected void backward(Tensor x, Tensor y, Tensor gy, Tensor gx) {
    permute(x.shape(), gy.data(), gy.offset(), gx.data(), false);
  }

  /**
   * Copies each channel plane of {@code src} to its place in {@code dst}: input channel
   * {@code i * k + j} to output channel {@code j * groups + i} (forward), or back (backward).
   */
  private void permute(Shape shape, float[] src, int srcOff, float[] dst, boolean forward) {
    int n = shape.dim(0);
    int c = shape.dim(1);
    int k = c / groups;
    int plane = shape.sizeOf(2, shape.rank());
    for (int b = 0; b < n; b++) {
      int base = b * c * plane;
      for (int i = 0; i < groups; i++) {
        for (int j = 0; j < k; j++) {
          int grouped = (base + (i * k + j) * plane);
          int shuffled = (base + (j * groups + i) * plane);
          if (forward) {
            System.arraycopy(src, srcOff + grouped, dst, shuffled, plane);
          } else {
            System.arraycopy(src, srcOff + shuffled, dst, grouped, plane);
          }
        }
      }
    }
  }

  @Override
  public String toString() {
    return "ChannelShuffle(groups=" + groups + ")";
  }
}

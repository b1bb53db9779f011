package org.autoprop.layer;

import org.autoprop.kernel.Parallel;
import org.autoprop.kernel.ParallelPolicy;
import org.autoprop.kernel.PoolKernels;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * Adaptive average pooling of {@code [N, C, H, W]} to {@code [N, C, outH, outW]} (PyTorch's
 * {@code AdaptiveAvgPool2d}): output row {@code i} averages input rows
 * {@code [floor(i H / outH), ceil((i + 1) H / outH))}, and likewise for columns.
 */
public class AdaptiveAvgPool2D extends AbstractLayer {
  private final int oh;
  private final int ow;
  private final PoolKernels pool = kernels.pool();
  private final Pass pass = new Pass();

  /** Pools to {@code outH x outW}. */
  public AdaptiveAvgPool2D(int outH, int outW) {
    if (outH < 1 || outW < 1) {
      throw new IllegalArgumentException(
          typeName() + ": output size " + outH + "x" + outW + " (expected: >= 1x1)");
    }
    this.oh = outH;
    this.ow = outW;
  }

  String describe() {
    return typeName() + "(" + oh + "x" + ow + ")";
  }

  @Override
  public Shape outputShape(Shape input) {
    if (input.rank() != 4) {
      throw new IllegalArgumentException(describe() + ": input " + input + " has rank " + input.rank()
          + " (expected: 4, [N, C, H, W])");
    }
    if (input.dim(2) < 1 || input.dim(3) < 1) {
      throw new IllegalArgumentException(describe() + ": input " + input
          + " has an empty spatial size (expected: at least 1x1)");
    }
    return Shape.of(input.dim(0), input.dim(1), oh, ow);
  }

  @Override
  protected void forward(Tensor x, Tensor y, boolean training) {
    pass.run(true, x.shape(), x.data(), x.offset(), y.data());
  }

  @Override
  protected void backward(Tensor x, Tensor y, Tensor gy, Tensor gx) {
    pass.run(false, x.shape(), gy.data(), gy.offset(), gx.data());
  }

  /**
   * The arguments of a forward or backward pass over planes, reused so that a parallel pass
   * allocates nothing; {@link #run(int, int)} handles planes [p0, p1).
   */
  private final class Pass implements Parallel.Chunk {
    private boolean forward;
    private int h;
    private int w;
    private float[] src;
    private int srcOff;
    private float[] dst;

    void run(boolean fwd, Shape input, float[] from, int fromOff, float[] to) {
      forward = fwd;
      h = input.dim(2);
      w = input.dim(3);
      src = from;
      srcOff = fromOff;
      dst = to;
      int planes = input.dim(0) * input.dim(1);
      try {
        if (ParallelPolicy.POOL.parallel(input.size(), planes)) {
          Parallel.forChunks(planes, this);
        } else {
          run(0, planes);
        }
      } finally {
        src = null;
        dst = null;
      }
    }

    @Override
    public void run(int p0, int p1) {
      if (forward) {
        pool.adaptiveAvgForward(src, srcOff, p0, p1, h, w, oh, ow, dst, 0);
      } else {
        pool.adaptiveAvgBackward(src, srcOff, p0, p1, h, w, oh, ow, dst, 0);
      }
    }
  }

  /** One add per element of every window plus one division per output element. */
  @Override
  public long flops(Shape input) {
    Shape y = outputShape(input);
    long planes = (long) y.dim(0) * y.dim(1);
    return planes * (windowSum(input.dim(2), oh) * windowSum(input.dim(3), ow) + (long) oh * ow);
  }

  /** The summed lengths of the {@code out} adaptive windows over an axis of length {@code in}. */
  private static long windowSum(int in, int out) {
    long s = 0;
    for (int i = 0; i < out; i++) {
      long start = (long) i * in / out;
      long end = ((long) (i + 1) * in + out - 1) / out;
      s += end - start;
    }
    return s;
  }

  @Override
  public String typeName() {
    return "AdaptiveAvgPool2D";
  }

  @Override
  public String toString() {
    return describe();
  }
}

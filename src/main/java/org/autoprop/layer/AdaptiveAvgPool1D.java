package org.autoprop.layer;

import org.autoprop.kernel.Parallel;
import org.autoprop.kernel.ParallelPolicy;
import org.autoprop.kernel.PoolKernels;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * Adaptive average pooling of {@code [N, C, L]} to {@code [N, C, outL]} (PyTorch's
 * {@code AdaptiveAvgPool1d}): output {@code i} averages inputs {@code [floor(i L / outL), ceil((i + 1) L / outL))}.
 * Runs on the 2-D adaptive kernels with planes of height 1.
 */
public class AdaptiveAvgPool1D extends AbstractLayer {
  private final int ol;
  private final PoolKernels pool = kernels.pool();
  private final Pass pass = new Pass();

  /** Pools to length {@code outL}. */
  public AdaptiveAvgPool1D(int outL) {
    if (outL < 1) {
      throw new IllegalArgumentException(typeName() + ": output size " + outL + " (expected: >= 1)");
    }
    this.ol = outL;
  }

  String describe() {
    return typeName() + "(" + ol + ")";
  }

  @Override
  public Shape outputShape(Shape input) {
    if (input.rank() != 3) {
      throw new IllegalArgumentException(describe() + ": input " + input + " has rank " + input.rank()
          + " (expected: 3, [N, C, L])");
    }
    if (input.dim(2) < 1) {
      throw new IllegalArgumentException(describe() + ": input " + input + " is empty (expected: L >= 1)");
    }
    return Shape.of(input.dim(0), input.dim(1), ol);
  }

  @Override
  protected void forward(Tensor x, Tensor y, boolean training) {
    pass.run(true, x.shape(), x.data(), x.offset(), y.data());
  }

  @Override
  protected void backward(Tensor x, Tensor y, Tensor gy, Tensor gx) {
    pass.run(false, x.shape(), gy.data(), gy.offset(), gx.data());
  }

  /** The arguments of a pass over planes, reused so that a parallel pass allocates nothing. */
  private final class Pass implements Parallel.Chunk {
    private boolean forward;
    private int l;
    private float[] src;
    private int srcOff;
    private float[] dst;

    void run(boolean fwd, Shape input, float[] from, int fromOff, float[] to) {
      forward = fwd;
      l = input.dim(2);
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
        pool.adaptiveAvgForward(src, srcOff, p0, p1, 1, l, 1, ol, dst, 0);
      } else {
        pool.adaptiveAvgBackward(src, srcOff, p0, p1, 1, l, 1, ol, dst, 0);
      }
    }
  }

  /** One add per element of every window plus one division per output element. */
  @Override
  public long flops(Shape input) {
    Shape y = outputShape(input);
    return (long) y.dim(0) * y.dim(1) * (AdaptiveAvgPool3D.windowSum(input.dim(2), ol) + ol);
  }

  @Override
  public String typeName() {
    return "AdaptiveAvgPool1D";
  }

  @Override
  public String toString() {
    return describe();
  }
}

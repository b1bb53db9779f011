package org.autoprop.layer;

import org.autoprop.kernel.Parallel;
import org.autoprop.kernel.ParallelPolicy;
import org.autoprop.kernel.PoolKernels;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * Adaptive average pooling of {@code [N, C, D, H, W]} to {@code [N, C, outD, outH, outW]} (PyTorch's
 * {@code AdaptiveAvgPool3d}): output {@code (a, i, j)} averages input depths
 * {@code [floor(a D / outD), ceil((a + 1) D / outD))} and likewise rows and columns.
 *
 * <p>Computation on the 2-D adaptive kernels, in two separable passes: every depth slice pooled
 * to {@code outH x outW}, then each channel's {@code [D, outH*outW]} plane pooled along depth to
 * {@code [outD, outH*outW]} (columns kept: a window of one). The windows of the first pass do not
 * depend on the depth, so the mean of their means is the mean of the 3-D window. To 1x1x1 (global)
 * it is one pass over each contiguous volume. Backward runs the two adjoints in reverse order.
 */
public class AdaptiveAvgPool3D extends AbstractLayer {
  private final int od;
  private final int oh;
  private final int ow;
  private final PoolKernels pool = kernels.pool();
  private final Pass pass = new Pass();
  /** The first pass's output (forward) or the second pass's input gradient (backward). */
  private float[] stage = new float[0];

  /** Pools to {@code outD x outH x outW}. */
  public AdaptiveAvgPool3D(int outD, int outH, int outW) {
    if (outD < 1 || outH < 1 || outW < 1) {
      throw new IllegalArgumentException(
          typeName() + ": output size " + outD + "x" + outH + "x" + outW + " (expected: >= 1x1x1)");
    }
    this.od = outD;
    this.oh = outH;
    this.ow = outW;
  }

  String describe() {
    return typeName() + "(" + od + "x" + oh + "x" + ow + ")";
  }

  private boolean global() {
    return od == 1 && oh == 1 && ow == 1;
  }

  @Override
  public Shape outputShape(Shape input) {
    if (input.rank() != 5) {
      throw new IllegalArgumentException(describe() + ": input " + input + " has rank " + input.rank()
          + " (expected: 5, [N, C, D, H, W])");
    }
    if (input.dim(2) < 1 || input.dim(3) < 1 || input.dim(4) < 1) {
      throw new IllegalArgumentException(describe() + ": input " + input
          + " has an empty spatial size (expected: at least 1x1x1)");
    }
    return Shape.of(input.dim(0), input.dim(1), od, oh, ow);
  }

  @Override
  protected void prepare(Shape input, Shape output) {
    stage = global() ? new float[0] : new float[input.dim(0) * input.dim(1) * input.dim(2) * oh * ow];
  }

  @Override
  protected void forward(Tensor x, Tensor y, boolean training) {
    pass.run(true, x.shape(), x.data(), x.offset(), y.data());
  }

  @Override
  protected void backward(Tensor x, Tensor y, Tensor gy, Tensor gx) {
    pass.run(false, x.shape(), gy.data(), gy.offset(), gx.data());
  }

  /** The arguments of a pass over channels, reused so that a parallel pass allocates nothing. */
  private final class Pass implements Parallel.Chunk {
    private boolean forward;
    private int d;
    private int h;
    private int w;
    private float[] src;
    private int srcOff;
    private float[] dst;

    void run(boolean fwd, Shape input, float[] from, int fromOff, float[] to) {
      forward = fwd;
      d = input.dim(2);
      h = input.dim(3);
      w = input.dim(4);
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

    /** Channels [p0, p1) of the batch. */
    @Override
    public void run(int p0, int p1) {
      if (global()) {
        if (forward) {
          pool.adaptiveAvgForward(src, srcOff, p0, p1, 1, d * h * w, 1, 1, dst, 0);
        } else {
          pool.adaptiveAvgBackward(src, srcOff, p0, p1, 1, d * h * w, 1, 1, dst, 0);
        }
        return;
      }
      int q = oh * ow;
      if (forward) {
        pool.adaptiveAvgForward(src, srcOff, p0 * d, p1 * d, h, w, oh, ow, stage, 0);
        pool.adaptiveAvgForward(stage, 0, p0, p1, d, q, od, q, dst, 0);
      } else {
        pool.adaptiveAvgBackward(src, srcOff, p0, p1, d, q, od, q, stage, 0);
        pool.adaptiveAvgBackward(stage, 0, p0 * d, p1 * d, h, w, oh, ow, dst, 0);
      }
    }
  }

  /** One add per element of every window plus one division per output element. */
  @Override
  public long flops(Shape input) {
    Shape y = outputShape(input);
    long planes = (long) y.dim(0) * y.dim(1);
    return planes * (windowSum(input.dim(2), od) * windowSum(input.dim(3), oh) * windowSum(input.dim(4), ow)
        + (long) od * oh * ow);
  }

  /** The summed lengths of the {@code out} adaptive windows over an axis of length {@code in}. */
  static long windowSum(int in, int out) {
    long s = 0;
    for (int i = 0; i < out; i++) {
      s += PoolKernels.adaptiveEnd(i, in, out) - PoolKernels.adaptiveStart(i, in, out);
    }
    return s;
  }

  @Override
  public String typeName() {
    return "AdaptiveAvgPool3D";
  }

  @Override
  public String toString() {
    return describe();
  }
}

package org.autoprop.layer;

import java.util.Arrays;
import org.autoprop.kernel.ElementwiseKernels;
import org.autoprop.kernel.Parallel;
import org.autoprop.kernel.ParallelPolicy;
import org.autoprop.kernel.PoolKernels;
import org.autoprop.kernel.PoolKernels.Window;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * The shared logic of {@link Pool1D} and {@link Pool3D}: max or average pooling over the last one or
 * three axes with PyTorch's kernel, stride, padding, {@code ceil_mode} and {@code count_include_pad},
 * on the 2-D {@link PoolKernels}.
 *
 * <p>1-D: planes of height 1. 3-D: two separable passes, every depth slice pooled over height and
 * width ({@code [D, H, W] -> [D, oH*oW]}), then each channel's {@code [D, oH*oW]} plane pooled along
 * depth with a {@code kd x 1} window; max of maxima (the first maximum in depth, row, column order,
 * as PyTorch, since each pass keeps the first), sum of sums. Backward runs the adjoints in reverse.
 * The kernels divide an average by the whole kernel volume; where PyTorch divides by less (a ceil-mode
 * window past the padded input, or {@code count_include_pad=false}), the output (and the upstream
 * gradient) is multiplied by {@code volume / divisor}, a factor per output position computed once per
 * shape.
 */
abstract class PoolCore extends AbstractLayer {
  private final boolean max;
  private final int[] k;
  private final int[] s;
  private final int[] p;
  private final boolean ceil;
  private final boolean countPad;
  private final PoolKernels pool = kernels.pool();
  private final ElementwiseKernels elementwise = kernels.elementwise();
  private final Pass pass = new Pass();

  // Plans for the current shape.
  private int depth;
  private Window plane;
  private Window depthWindow;
  private float[] stage = new float[0];
  private int[] argPlane = new int[0];
  private int[] argDepth = new int[0];
  /** volume / divisor per output position of a channel, or null when all are 1. */
  private float[] factor;
  private float[] scaledGrad = new float[0];

  PoolCore(boolean max, int[] k, int[] s, int[] p, boolean ceil, boolean countPad) {
    this.max = max;
    this.k = k.clone();
    this.s = s.clone();
    this.p = p.clone();
    this.ceil = ceil;
    this.countPad = countPad;
    for (int a = 0; a < k.length; a++) {
      if (k[a] < 1) {
        throw new IllegalArgumentException(describe() + ": kernel " + join(k) + " (expected: >= 1)");
      }
      if (s[a] < 1) {
        throw new IllegalArgumentException(describe() + ": stride " + join(s) + " (expected: >= 1)");
      }
      if (p[a] < 0) {
        throw new IllegalArgumentException(describe() + ": padding " + join(p) + " (expected: >= 0)");
      }
    }
    for (int a = 0; a < k.length; a++) {
      if (p[a] > k[a] / 2) {
        int[] half = k.clone();
        for (int b = 0; b < half.length; b++) {
          half[b] /= 2;
        }
        throw new IllegalArgumentException(describe() + ": padding " + join(p)
            + " must be at most half the kernel (expected: <= " + join(half) + ")");
      }
    }
  }

  static String join(int[] v) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < v.length; i++) {
      b.append(i == 0 ? "" : "x").append(v[i]);
    }
    return b.toString();
  }

  /** The spatial rank: 1 or 3. */
  abstract int rank();

  /** The input layout for messages, e.g. {@code [N, C, L]}. */
  abstract String layout();

  /** True for max pooling, false for average pooling. */
  public final boolean isMax() {
    return max;
  }

  final String describe() {
    StringBuilder b = new StringBuilder(typeName()).append("(k=").append(join(k)).append(", s=").append(join(s))
        .append(", p=").append(join(p));
    if (ceil) {
      b.append(", ceil_mode");
    }
    if (!max && !countPad) {
      b.append(", count_include_pad=false");
    }
    return b.append(')').toString();
  }

  @Override
  public String toString() {
    return describe();
  }

  /** PyTorch's output extent along axis {@code a} for input extent {@code in}. */
  private int outExtent(int in, int a) {
    int span = in + 2 * p[a] - k[a];
    int o = (ceil ? (span + s[a] - 1) / s[a] : span / s[a]) + 1;
    // The last window must start inside the input or its left padding.
    if (ceil && (o - 1) * s[a] >= in + p[a]) {
      o--;
    }
    return o;
  }

  @Override
  public Shape outputShape(Shape x) {
    int r = rank();
    if (x.rank() != r + 2) {
      throw new IllegalArgumentException(describe() + ": input " + x + " has rank " + x.rank() + " (expected: "
          + (r + 2) + ", " + layout() + ")");
    }
    int[] padded = new int[r];
    boolean small = false;
    for (int a = 0; a < r; a++) {
      padded[a] = x.dim(2 + a) + 2 * p[a];
      small |= padded[a] < k[a];
    }
    if (small) {
      throw new IllegalArgumentException(describe() + ": input " + x + " has padded size " + join(padded)
          + " (expected: at least the kernel " + join(k) + ")");
    }
    int[] dims = x.dims();
    for (int a = 0; a < r; a++) {
      dims[2 + a] = outExtent(x.dim(2 + a), a);
    }
    return Shape.of(dims);
  }

  @Override
  protected void prepare(Shape x, Shape y) {
    int channels = x.dim(0) * x.dim(1);
    if (rank() == 1) {
      depth = 1;
      plane = new Window(1, x.dim(2), 1, k[0], 1, s[0], 0, p[0], 1, y.dim(2));
      depthWindow = null;
    } else {
      depth = x.dim(2);
      plane = new Window(x.dim(3), x.dim(4), k[1], k[2], s[1], s[2], p[1], p[2], y.dim(3), y.dim(4));
      int q = plane.outPlane();
      depthWindow = new Window(depth, q, k[0], 1, s[0], 1, p[0], 0, y.dim(2), q);
      stage = new float[channels * depth * q];
      if (max) {
        argDepth = new int[y.size()];
      }
    }
    if (max) {
      argPlane = new int[channels * depth * plane.outPlane()];
    }
    factor = max ? null : factor(x, y);
    scaledGrad = factor == null ? new float[0] : new float[y.size()];
  }

  /** volume / divisor per output position, PyTorch's divisor (see the class comment); null if all are 1. */
  private float[] factor(Shape x, Shape y) {
    int r = rank();
    double[][] axis = new double[r][];
    boolean ones = true;
    for (int a = 0; a < r; a++) {
      int in = x.dim(2 + a);
      axis[a] = new double[y.dim(2 + a)];
      for (int o = 0; o < axis[a].length; o++) {
        int start = o * s[a] - p[a];
        int end = Math.min(start + k[a], in + p[a]);
        int size = end - start;
        if (!countPad) {
          size = Math.min(end, in) - Math.max(start, 0);
        }
        axis[a][o] = (double) k[a] / size;
        ones &= size == k[a];
      }
    }
    if (ones) {
      return null;
    }
    int n = y.sizeOf(2, y.rank());
    float[] f = new float[n];
    Arrays.fill(f, 1f);
    for (int i = 0; i < n; i++) {
      double v = 1;
      int rest = i;
      for (int a = r - 1; a >= 0; a--) {
        int len = axis[a].length;
        v *= axis[a][rest % len];
        rest /= len;
      }
      f[i] = (float) v;
    }
    return f;
  }

  @Override
  protected void forward(Tensor x, Tensor y, boolean training) {
    pass.run(true, x.dim(0) * x.dim(1), x.size(), x.data(), x.offset(), y.data());
  }

  @Override
  protected void backward(Tensor x, Tensor y, Tensor gy, Tensor gx) {
    float[] g = gy.data();
    int gOff = gy.offset();
    if (factor != null) {
      int n = factor.length;
      for (int c = 0, channels = x.dim(0) * x.dim(1); c < channels; c++) {
        elementwise.mul(g, gOff + c * n, factor, 0, scaledGrad, c * n, n);
      }
      g = scaledGrad;
      gOff = 0;
    }
    pass.run(false, x.dim(0) * x.dim(1), x.size(), g, gOff, gx.data());
  }

  /** The arguments of a pass over channels, reused so that a parallel pass allocates nothing. */
  private final class Pass implements Parallel.Chunk {
    private boolean forward;
    private float[] src;
    private int srcOff;
    private float[] dst;

    void run(boolean fwd, int channels, int work, float[] from, int fromOff, float[] to) {
      forward = fwd;
      src = from;
      srcOff = fromOff;
      dst = to;
      try {
        if (ParallelPolicy.POOL.parallel(work, channels)) {
          Parallel.forChunks(channels, this);
        } else {
          run(0, channels);
        }
      } finally {
        src = null;
        dst = null;
      }
    }

    /** Channels [c0, c1) of the batch. */
    @Override
    public void run(int c0, int c1) {
      if (forward) {
        forwardChannels(c0, c1);
      } else {
        backwardChannels(c0, c1);
      }
    }

    private void forwardChannels(int c0, int c1) {
      if (depthWindow == null) {
        if (max) {
          pool.maxForward(src, srcOff, c0, c1, plane, dst, 0, argPlane, 0);
        } else {
          pool.avgForward(src, srcOff, c0, c1, plane, dst, 0);
        }
      } else if (max) {
        pool.maxForward(src, srcOff, c0 * depth, c1 * depth, plane, stage, 0, argPlane, 0);
        pool.maxForward(stage, 0, c0, c1, depthWindow, dst, 0, argDepth, 0);
      } else {
        pool.avgForward(src, srcOff, c0 * depth, c1 * depth, plane, stage, 0);
        pool.avgForward(stage, 0, c0, c1, depthWindow, dst, 0);
      }
      if (factor != null) {
        int n = factor.length;
        for (int c = c0; c < c1; c++) {
          elementwise.mul(dst, c * n, factor, 0, dst, c * n, n);
        }
      }
    }

    private void backwardChannels(int c0, int c1) {
      if (depthWindow == null) {
        if (max) {
          pool.maxBackward(src, srcOff, argPlane, 0, c0, c1, plane, dst, 0);
        } else {
          pool.avgBackward(src, srcOff, c0, c1, plane, dst, 0);
        }
      } else if (max) {
        pool.maxBackward(src, srcOff, argDepth, 0, c0, c1, depthWindow, stage, 0);
        pool.maxBackward(stage, 0, argPlane, 0, c0 * depth, c1 * depth, plane, dst, 0);
      } else {
        pool.avgBackward(src, srcOff, c0, c1, depthWindow, stage, 0);
        pool.avgBackward(stage, 0, c0 * depth, c1 * depth, plane, dst, 0);
      }
    }
  }

  /** The kernel volume per output element: the comparisons, or the adds and the division. */
  @Override
  public long flops(Shape x) {
    long v = 1;
    for (int kk : k) {
      v *= kk;
    }
    return outputShape(x).size() * v;
  }
}

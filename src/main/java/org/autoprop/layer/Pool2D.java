package org.autoprop.layer;

import org.autoprop.kernel.Parallel;
import org.autoprop.kernel.ParallelPolicy;
import org.autoprop.kernel.PoolKernels;
import org.autoprop.kernel.PoolKernels.Window;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * Max or average pooling over the spatial axes of {@code [N, C, H, W]} (PyTorch's
 * {@code MaxPool2d} and {@code AvgPool2d}): {@code out = (in + 2 * padding - kernel) / stride + 1}
 * per axis; max pooling also in PyTorch's {@code ceil_mode} ({@link #maxCeilMode}): the quotient
 * rounded up, as long as the last window starts inside the input or its left padding (a window
 * hanging past the padded input takes the maximum of the taps it covers).
 *
 * <p>Max pooling treats padding as -inf and sends each output's gradient to the first maximum of its
 * window in row order (indices remembered from the forward pass). Average pooling divides by the
 * full kernel area, padding included ({@code count_include_pad=True}). Padding must be at most half
 * the kernel, as in PyTorch.
 */
public final class Pool2D extends AbstractLayer {
  private final boolean max;
  private final int kh;
  private final int kw;
  private final int sh;
  private final int sw;
  private final int ph;
  private final int pw;
  private final boolean ceil;
  private final PoolKernels pool = kernels.pool();

  // The window of the current input shape, and max pooling's argmax per output element.
  private Window window;
  private int[] argmax = new int[0];
  private final Pass pass = new Pass();

  private Pool2D(boolean max, int[] kernel, int[] stride, int[] padding, boolean ceil) {
    String type = max ? "MaxPool2D" : "AvgPool2D";
    checkPair(type, "kernel", kernel);
    checkPair(type, "stride", stride);
    checkPair(type, "padding", padding);
    this.max = max;
    this.kh = kernel[0];
    this.kw = kernel[1];
    this.sh = stride[0];
    this.sw = stride[1];
    this.ph = padding[0];
    this.pw = padding[1];
    this.ceil = ceil;
    if (kh < 1 || kw < 1) {
      throw new IllegalArgumentException(describe() + ": kernel " + kh + "x" + kw + " (expected: >= 1)");
    }
    if (sh < 1 || sw < 1) {
      throw new IllegalArgumentException(describe() + ": stride " + sh + "x" + sw + " (expected: >= 1)");
    }
    if (ph < 0 || pw < 0) {
      throw new IllegalArgumentException(describe() + ": padding " + ph + "x" + pw + " (expected: >= 0)");
    }
    if (ph > kh / 2 || pw > kw / 2) {
      throw new IllegalArgumentException(describe() + ": padding " + ph + "x" + pw
          + " must be at most half the kernel (expected: <= " + kh / 2 + "x" + kw / 2 + ")");
    }
  }

  private static void checkPair(String type, String what, int[] pair) {
    if (pair == null || pair.length != 2) {
      throw new IllegalArgumentException(type + ": " + what + " must be a pair {h, w}, got "
          + (pair == null ? "null" : java.util.Arrays.toString(pair)));
    }
  }

  /** Max pooling with a square kernel, stride = kernel, no padding. */
  public static Pool2D max(int kernel) {
    return max(kernel, kernel, 0);
  }

  /** Max pooling with a square kernel and stride, no padding. */
  public static Pool2D max(int kernel, int stride) {
    return max(kernel, stride, 0);
  }

  /** Max pooling with a square kernel, stride and padding. */
  public static Pool2D max(int kernel, int stride, int padding) {
    return max(new int[] {kernel, kernel}, new int[] {stride, stride}, new int[] {padding, padding});
  }

  /** Max pooling with {h, w} pairs of kernel, stride and padding; stride may be null (= kernel). */
  public static Pool2D max(int[] kernel, int[] stride, int[] padding) {
    return new Pool2D(true, kernel, stride == null ? kernel : stride, padding, false);
  }

  /**
   * Max pooling with a square kernel, stride and padding in PyTorch's {@code ceil_mode}
   * ({@code MaxPool2d(kernel, stride, padding, ceil_mode=True)}, GoogLeNet's pools).
   */
  public static Pool2D maxCeilMode(int kernel, int stride, int padding) {
    return new Pool2D(true, new int[] {kernel, kernel}, new int[] {stride, stride}, new int[] {padding, padding}, true);
  }

  /** Average pooling with a square kernel, stride = kernel, no padding. */
  public static Pool2D avg(int kernel) {
    return avg(kernel, kernel, 0);
  }

  /** Average pooling with a square kernel and stride, no padding. */
  public static Pool2D avg(int kernel, int stride) {
    return avg(kernel, stride, 0);
  }

  /** Average pooling with a square kernel, stride and padding. */
  public static Pool2D avg(int kernel, int stride, int padding) {
    return avg(new int[] {kernel, kernel}, new int[] {stride, stride}, new int[] {padding, padding});
  }

  /** Average pooling with {h, w} pairs of kernel, stride and padding; stride may be null (= kernel). */
  public static Pool2D avg(int[] kernel, int[] stride, int[] padding) {
    return new Pool2D(false, kernel, stride == null ? kernel : stride, padding, false);
  }

  /** True for max pooling, false for average pooling. */
  public boolean isMax() {
    return max;
  }

  private String describe() {
    return typeName() + "(k=" + kh + "x" + kw + ", s=" + sh + "x" + sw + ", p=" + ph + "x" + pw
        + (ceil ? ", ceil_mode" : "") + ")";
  }

  private Window window(Shape input) {
    if (input.rank() != 4) {
      throw new IllegalArgumentException(describe() + ": input " + input + " has rank " + input.rank()
          + " (expected: 4, [N, C, H, W])");
    }
    int h = input.dim(2);
    int w = input.dim(3);
    if (h + 2 * ph < kh || w + 2 * pw < kw) {
      throw new IllegalArgumentException(describe() + ": input " + input + " has padded spatial size "
          + (h + 2 * ph) + "x" + (w + 2 * pw) + " (expected: at least the kernel " + kh + "x" + kw + ")");
    }
    return new Window(h, w, kh, kw, sh, sw, ph, pw, extent(h, kh, sh, ph), extent(w, kw, sw, pw));
  }

  /** PyTorch's output extent along one axis. */
  private int extent(int in, int k, int s, int p) {
    int span = in + 2 * p - k;
    int o = (ceil ? (span + s - 1) / s : span / s) + 1;
    // The last window must start inside the input or its left padding.
    if (ceil && (o - 1) * s >= in + p) {
      o--;
    }
    return o;
  }

  @Override
  public Shape outputShape(Shape input) {
    Window win = window(input);
    return Shape.of(input.dim(0), input.dim(1), win.oh(), win.ow());
  }

  @Override
  protected void prepare(Shape input, Shape output) {
    window = window(input);
    if (max) {
      argmax = new int[output.size()];
    }
  }

  @Override
  protected void forward(Tensor x, Tensor y, boolean training) {
    pass.run(true, planes(x), y.size(), x.data(), x.offset(), y.data());
  }

  @Override
  protected void backward(Tensor x, Tensor y, Tensor gy, Tensor gx) {
    pass.run(false, planes(x), x.size(), gy.data(), gy.offset(), gx.data());
  }

  private static int planes(Tensor x) {
    return x.dim(0) * x.dim(1);
  }

  /**
   * The arguments of a forward or backward pass over planes, reused so that a parallel pass
   * allocates nothing; {@link #run(int, int)} handles planes [p0, p1).
   */
  private final class Pass implements Parallel.Chunk {
    private boolean forward;
    private float[] src;
    private int srcOff;
    private float[] dst;

    void run(boolean fwd, int planes, int work, float[] from, int fromOff, float[] to) {
      forward = fwd;
      src = from;
      srcOff = fromOff;
      dst = to;
      try {
        if (ParallelPolicy.POOL.parallel(work, planes)) {
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
      Window win = window;
      if (forward) {
        if (max) {
          pool.maxForward(src, srcOff, p0, p1, win, dst, 0, argmax, 0);
        } else {
          pool.avgForward(src, srcOff, p0, p1, win, dst, 0);
        }
      } else if (max) {
        pool.maxBackward(src, srcOff, argmax, 0, p0, p1, win, dst, 0);
      } else {
        pool.avgBackward(src, srcOff, p0, p1, win, dst, 0);
      }
    }
  }

  /** {@code kh * kw} per output element: the comparisons, or the adds and the division. */
  @Override
  public long flops(Shape input) {
    return (long) outputShape(input).size() * kh * kw;
  }

  @Override
  public String typeName() {
    return max ? "MaxPool2D" : "AvgPool2D";
  }

  @Override
  public String toString() {
    return describe();
  }
}

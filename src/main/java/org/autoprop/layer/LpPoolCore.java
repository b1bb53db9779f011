package org.autoprop.layer;

import org.autoprop.kernel.ElementwiseKernels;
import org.autoprop.kernel.KernelProvider;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * The shared logic of {@link LpPool1D}, {@link LpPool2D} and {@link LpPool3D}: power-average pooling
 * computed as PyTorch's {@code LPPool} does, {@code y = (K * avg_pool(x^p))^(1/p)} with {@code K} the
 * kernel volume, no padding, {@code ceil_mode} optional ({@code count_include_pad=true}: a ceil-mode
 * window past the input is divided by its clipped size and then multiplied by the whole {@code K},
 * exactly as PyTorch).
 *
 * <p>The average runs on an inner {@link Pool1D} (1-D) or {@link Pool3D} (2-D as depth 1, 3-D) on a
 * buffer holding {@code x^p}; the same layouts, so no copy between them. Gradient:
 * {@code gx = p x^(p-1) * avg_pool'(K gy s^(1/p-1) / p)} with {@code s = K * avg}; where
 * {@code s = 0} (a window of zeros) the gradient is 0, as PyTorch's
 * {@code sign(s) * relu(|s|)} makes it.
 */
abstract class LpPoolCore extends AbstractLayer {
  private final double p;
  private final int[] k;
  private final int[] s;
  private final boolean ceil;
  private final float volume;
  private final Layer average;
  private final ElementwiseKernels elementwise = kernels.elementwise();

  // Buffers for the current shape: x^p in the inner pool's input shape, and the gradient of its output.
  private Tensor powered;
  private Tensor averageGrad;
  private Tensor averaged;

  LpPoolCore(double p, int[] k, int[] s, boolean ceil) {
    this.p = p;
    this.k = k.clone();
    this.s = s.clone();
    this.ceil = ceil;
    if (!(p > 0) || Double.isInfinite(p)) {
      throw new IllegalArgumentException(describe() + ": norm_type " + p + " (expected: finite and > 0)");
    }
    long v = 1;
    for (int a = 0; a < k.length; a++) {
      if (k[a] < 1) {
        throw new IllegalArgumentException(describe() + ": kernel " + PoolCore.join(k) + " (expected: >= 1)");
      }
      if (s[a] < 1) {
        throw new IllegalArgumentException(describe() + ": stride " + PoolCore.join(s) + " (expected: >= 1)");
      }
      v *= k[a];
    }
    this.volume = v;
    this.average = KernelProvider.building(kernels, () -> average(k, s, ceil));
  }

  /** The inner average pool on the same kernels: 1-D, or 3-D with depth kernel 1 for 2-D. */
  private static Layer average(int[] k, int[] s, boolean ceil) {
    if (k.length == 1) {
      return Pool1D.builder(false).kernel(k[0]).stride(s[0]).ceilMode(ceil).build();
    }
    Pool3D.Builder b = Pool3D.builder(false).ceilMode(ceil);
    return k.length == 2 ? b.kernel(1, k[0], k[1]).stride(1, s[0], s[1]).build()
        : b.kernel(k[0], k[1], k[2]).stride(s[0], s[1], s[2]).build();
  }

  /** The spatial rank: 1, 2 or 3. */
  abstract int rank();

  /** The input layout for messages, e.g. {@code [N, C, L]}. */
  abstract String layout();

  /** PyTorch's {@code norm_type}. */
  public final double normType() {
    return p;
  }

  final String describe() {
    StringBuilder b = new StringBuilder(typeName()).append("(p=").append(p).append(", k=").append(PoolCore.join(k))
        .append(", s=").append(PoolCore.join(s));
    if (ceil) {
      b.append(", ceil_mode");
    }
    return b.append(')').toString();
  }

  @Override
  public String toString() {
    return describe();
  }

  /** The inner pool's shape: a 2-D input as depth 1. */
  private static Shape inner(Shape x) {
    if (x.rank() != 4) {
      return x;
    }
    return Shape.of(x.dim(0), x.dim(1), 1, x.dim(2), x.dim(3));
  }

  @Override
  public Shape outputShape(Shape x) {
    int r = rank();
    if (x.rank() != r + 2) {
      throw new IllegalArgumentException(describe() + ": input " + x + " has rank " + x.rank() + " (expected: "
          + (r + 2) + ", " + layout() + ")");
    }
    int[] size = new int[r];
    boolean small = false;
    for (int a = 0; a < r; a++) {
      size[a] = x.dim(2 + a);
      small |= size[a] < k[a];
    }
    if (small) {
      throw new IllegalArgumentException(describe() + ": input " + x + " has size " + PoolCore.join(size)
          + " (expected: at least the kernel " + PoolCore.join(k) + ")");
    }
    Shape o = average.outputShape(inner(x));
    return r == 2 ? Shape.of(o.dim(0), o.dim(1), o.dim(3), o.dim(4)) : o;
  }

  @Override
  protected void prepare(Shape x, Shape y) {
    Shape in = inner(x);
    powered = Tensor.zeros(in);
    averageGrad = Tensor.zeros(average.outputShape(in));
  }

  @Override
  protected void forward(Tensor x, Tensor y, boolean training) {
    float[] xd = x.data();
    int xo = x.offset();
    float[] t = powered.data();
    int n = x.size();
    if (p == 2) {
      elementwise.mul(xd, xo, xd, xo, t, 0, n);
    } else {
      for (int i = 0; i < n; i++) {
        t[i] = (float) Math.pow(xd[xo + i], p);
      }
    }
    averaged = average.forward(powered, training);
    float[] a = averaged.data();
    int ao = averaged.offset();
    float[] yd = y.data();
    double root = 1 / p;
    for (int j = 0, m = y.size(); j < m; j++) {
      yd[j] = (float) Math.pow(volume * a[ao + j], root);
    }
  }

  @Override
  protected void backward(Tensor x, Tensor y, Tensor gy, Tensor gx) {
    float[] a = averaged.data();
    int ao = averaged.offset();
    float[] g = gy.data();
    int go = gy.offset();
    float[] ga = averageGrad.data();
    double root = 1 / p;
    for (int j = 0, m = y.size(); j < m; j++) {
      double sum = volume * (double) a[ao + j];
      ga[j] = sum == 0 ? 0f : (float) (volume * g[go + j] * Math.pow(sum, root - 1) / p);
    }
    Tensor gt = average.backward(averageGrad);
    float[] gtd = gt.data();
    int gto = gt.offset();
    float[] xd = x.data();
    int xo = x.offset();
    float[] gxd = gx.data();
    int n = x.size();
    if (p == 2) {
      elementwise.mul(xd, xo, gtd, gto, gxd, 0, n);
      elementwise.scale(2f, gxd, 0, gxd, 0, n);
    } else {
      for (int i = 0; i < n; i++) {
        gxd[i] = (float) (gtd[gto + i] * p * Math.pow(xd[xo + i], p - 1));
      }
    }
  }

  /** The inner average pool's FLOPs plus one power per input and per output element. */
  @Override
  public long flops(Shape input) {
    Shape out = outputShape(input);
    return average.flops(inner(input)) + input.size() + out.size();
  }
}

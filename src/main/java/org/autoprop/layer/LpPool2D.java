package org.autoprop.layer;

/**
 * Power-average pooling over the 2-D spatial axes of {@code [N, C, H, W]} (PyTorch's {@code LPPool2d}): {@code y = (sum over the window of x^p)^(1/p)}, computed as
 * PyTorch computes it, {@code (K * avg_pool(x^p))^(1/p)} with {@code K} the kernel volume, no padding,
 * {@code out = floor((in - kernel) / stride) + 1} per axis or with {@code ceil_mode} the ceiling (a
 * last, partial window whose average PyTorch divides by its clipped size and multiplies by the whole
 * {@code K}). {@code p = 1} is sum pooling; a large {@code p} approaches max pooling.
 *
 * <p>Gradient: {@code p x^(p-1)} times the average pool's adjoint of {@code K gy s^(1/p-1) / p}, with
 * {@code s = K * avg}; 0 for a window whose sum is 0 (PyTorch's value). A non-integer {@code p} on
 * negative inputs gives NaN, as in PyTorch. Luma's {@code LpPool2D} (whose padding we do not take:
 * PyTorch has none). Computation: the average-pooling kernels of {@link Pool3D}.
 */
public final class LpPool2D extends LpPoolCore {
  private LpPool2D(Builder b) {
    super(b.p, b.k, b.s == null ? b.k : b.s, b.ceil);
  }

  /**
   * A builder for norm {@code p} (PyTorch's {@code norm_type}); set the kernel; the stride defaults to
   * the kernel, as in PyTorch.
   *
   * @param p the power, finite and positive
   * @return the builder
   */
  public static Builder builder(double p) {
    return new Builder(p);
  }

  /** Norm {@code p}, kernel and stride {@code kernel} on every axis. */
  public static LpPool2D of(double p, int kernel) {
    return builder(p).kernel(kernel).build();
  }

  @Override
  int rank() {
    return 2;
  }

  @Override
  String layout() {
    return "[N, C, H, W]";
  }

  @Override
  public String typeName() {
    return "LpPool2D";
  }

  /** Configures an {@link LpPool2D}; every setter returns this builder. */
  public static final class Builder {
    private final double p;
    private int[] k;
    private int[] s;
    private boolean ceil;

    private Builder(double p) {
      this.p = p;
    }

    /** The same kernel extent on every axis. */
    public Builder kernel(int k) {
      this.k = new int[2];
      java.util.Arrays.fill(this.k, k);
      return this;
    }

    /** The kernel extent per axis. */
    public Builder kernel(int kh, int kw) {
      this.k = new int[] {kh, kw};
      return this;
    }

    /** The same stride on every axis (default: the kernel). */
    public Builder stride(int s) {
      this.s = new int[2];
      java.util.Arrays.fill(this.s, s);
      return this;
    }

    /** The stride per axis (default: the kernel). */
    public Builder stride(int sh, int sw) {
      this.s = new int[] {sh, sw};
      return this;
    }

    /** PyTorch's {@code ceil_mode}: the output extent rounded up (default false). */
    public Builder ceilMode(boolean on) {
      this.ceil = on;
      return this;
    }

    /**
     * The layer.
     *
     * @throws IllegalArgumentException naming the layer for a missing or non-positive kernel or
     *     stride, or a power that is not finite and positive
     */
    public LpPool2D build() {
      if (k == null) {
        throw new IllegalArgumentException("LpPool2D: no kernel size (expected: .kernel(k), as PyTorch's kernel_size)");
      }
      return new LpPool2D(this);
    }
  }
}

package org.autoprop.layer;

/**
 * Max or average pooling over the 1-D spatial axes of {@code [N, C, L]} (PyTorch's
 * {@code MaxPool1d} and {@code AvgPool1d}): {@code out = floor((in + 2 padding - kernel) / stride) + 1}
 * per axis, or with {@code ceil_mode} the ceiling (a last window that starts inside the input or its
 * left padding).
 *
 * <p>Max pooling treats padding as -inf and sends each output's gradient to the first maximum of its
 * window (indices remembered from the forward pass). Average pooling divides by the kernel volume
 * clipped to the padded input ({@code count_include_pad=true}, PyTorch's default) or by the number
 * of input elements in the window ({@code countIncludePad(false)}). Padding must be at most half the
 * kernel, as in PyTorch. Computation: the 2-D pooling kernels on planes of height 1.
 */
public final class Pool1D extends PoolCore {
  private Pool1D(Builder b) {
    super(b.max, b.k, b.s == null ? b.k : b.s, b.p, b.ceil, b.countPad);
  }

  /**
   * A builder: max pooling ({@code max = true}) or average pooling. Set the kernel; the stride
   * defaults to the kernel, the padding to 0, as in PyTorch.
   *
   * @param max true for max pooling, false for average pooling
   * @return the builder
   */
  public static Builder builder(boolean max) {
    return new Builder(max);
  }

  /** Max pooling with kernel and stride {@code kernel}, no padding. */
  public static Pool1D max(int kernel) {
    return builder(true).kernel(kernel).build();
  }

  /** Max pooling with the given kernel, stride and padding (the same on every axis). */
  public static Pool1D max(int kernel, int stride, int padding) {
    return builder(true).kernel(kernel).stride(stride).padding(padding).build();
  }

  /** Average pooling with kernel and stride {@code kernel}, no padding. */
  public static Pool1D avg(int kernel) {
    return builder(false).kernel(kernel).build();
  }

  /** Average pooling with the given kernel, stride and padding (the same on every axis). */
  public static Pool1D avg(int kernel, int stride, int padding) {
    return builder(false).kernel(kernel).stride(stride).padding(padding).build();
  }

  @Override
  int rank() {
    return 1;
  }

  @Override
  String layout() {
    return "[N, C, L]";
  }

  @Override
  public String typeName() {
    return isMax() ? "MaxPool1D" : "AvgPool1D";
  }

  /** Configures a {@link Pool1D}; every setter returns this builder. */
  public static final class Builder {
    private final boolean max;
    private int[] k;
    private int[] s;
    private int[] p = new int[1];
    private boolean ceil;
    private boolean countPad = true;

    private Builder(boolean max) {
      this.max = max;
    }

    private static int[] all(int v) {
      int[] a = new int[1];
      java.util.Arrays.fill(a, v);
      return a;
    }

    /** The same kernel extent on every axis. */
    public Builder kernel(int k) {
      this.k = all(k);
      return this;
    }

    /** The same stride on every axis (default: the kernel). */
    public Builder stride(int s) {
      this.s = all(s);
      return this;
    }

    /** The same padding on every axis (default 0). */
    public Builder padding(int p) {
      this.p = all(p);
      return this;
    }

    /** PyTorch's {@code ceil_mode}: the output extent rounded up (default false). */
    public Builder ceilMode(boolean on) {
      this.ceil = on;
      return this;
    }

    /** PyTorch's {@code count_include_pad} of average pooling (default true): whether padding counts in the divisor. */
    public Builder countIncludePad(boolean on) {
      this.countPad = on;
      return this;
    }

    /**
     * The layer.
     *
     * @throws IllegalArgumentException naming the layer for a missing or non-positive kernel or
     *     stride, a negative padding or one larger than half the kernel
     */
    public Pool1D build() {
      if (k == null) {
        throw new IllegalArgumentException((max ? "MaxPool1D" : "AvgPool1D")
            + ": no kernel size (expected: .kernel(k), as PyTorch's kernel_size)");
      }
      return new Pool1D(this);
    }
  }
}

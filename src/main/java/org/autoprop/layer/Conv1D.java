package org.autoprop.layer;

import java.util.List;
import java.util.Objects;
import org.autoprop.kernel.ConvKernels.Geometry;
import org.autoprop.kernel.KernelProvider;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * 1-D convolution over {@code [N, C, L]} inputs with PyTorch's semantics ({@code nn.Conv1d}):
 * {@code y[n, o, ox] = bias[o] + sum_{c in group(o), j} weight[o, c, j] * x[n, c, ox*s - p + j*d]}
 * (zero outside the input), weight {@code [out, in/groups, k]}, bias {@code [out]}.
 *
 * <p>Computation: a {@link Conv2D} with a {@code 1 x k} kernel on the same floats seen as
 * {@code [N, C, 1, L]} (views, no copy; the weight is that layer's {@code [out, in/groups, 1, k]}
 * under the 1-D shape), so every path of the 2-D layer serves this one: implicit-column GEMMs
 * parallel over the batch, the direct depthwise kernels when {@code groups == in == out}, the
 * pointwise GEMM for {@code k = 1}, and its input-gradient strategies. A row of height 1 is what
 * the 2-D kernels' wide-row layout handles best: each output row is one contiguous run.
 *
 * <p>Weights default to {@link Initializer#HE_UNIFORM} with {@code fanIn = in/groups * k}, biases to
 * zeros; without {@link Builder#seed} the seed is {@link Initializer#nextDefaultSeed()}.
 */
public final class Conv1D extends AbstractLayer {
  private final int in;
  private final int out;
  private final int k;
  private final int stride;
  private final int pad;
  private final int dilation;
  private final int groups;
  private final Padding padding;
  private final String description;
  private final Conv2D core;
  // The 4-D views the core runs on, rebuilt only when the tensor under them changes.
  private Tensor xView;
  private Tensor yView;
  private Tensor gyView;
  private Tensor gxView;

  /**
   * A {@code kernel}-wide convolution at stride 1 without padding, with a bias: PyTorch's
   * {@code nn.Conv1d(in, out, kernel)}. For other settings use {@link #builder}.
   *
   * @param in input channels
   * @param out output channels
   * @param kernel the kernel's length
   */
  public Conv1D(int in, int out, int kernel) {
    this(builder(in, out).kernel(kernel));
  }

  private Conv1D(Builder b) {
    this.in = b.in;
    this.out = b.out;
    this.k = b.k;
    this.stride = b.stride;
    this.dilation = b.dilation;
    this.groups = b.groups;
    this.padding = b.padding;
    this.description = describe();
    validate();
    int[] p;
    try {
      p = padding.resolve(k, k, stride, stride, dilation, dilation);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(description + ": " + e.getMessage(), e);
    }
    if (p[0] != p[1]) {
      throw new IllegalArgumentException(description + ": padding " + padding
          + " (expected: one length, as PyTorch's Conv1d padding)");
    }
    this.pad = p[1];
    Conv2D.Builder cb = Conv2D.builder(in, out).kernel(1, k).stride(1, stride).padding(Padding.of(0, pad))
        .dilation(1, dilation).groups(groups).bias(b.bias).initializer(b.initializer)
        .biasInitializer(b.biasInitializer).weightShape(out, in / groups, k);
    if (b.seed != null) {
      cb.seed(b.seed);
    }
    this.core = KernelProvider.building(kernels, cb::build);
  }

  /**
   * A builder for an {@code in -> out} channel convolution. The kernel must be set; the defaults
   * are PyTorch's: stride 1, padding 0, dilation 1, one group, a bias.
   *
   * @param in input channels
   * @param out output channels
   * @return the builder
   */
  public static Builder builder(int in, int out) {
    return new Builder(in, out);
  }

  private String describe() {
    StringBuilder s = new StringBuilder("Conv1D(").append(in).append("->").append(out).append(", k=").append(k);
    if (stride != 1) {
      s.append(", stride=").append(stride);
    }
    if (!Padding.VALID.equals(padding) && !Padding.of(0).equals(padding)) {
      s.append(", padding=").append(padding);
    }
    if (dilation != 1) {
      s.append(", dilation=").append(dilation);
    }
    if (groups != 1) {
      s.append(", groups=").append(groups);
    }
    return s.append(')').toString();
  }

  private void validate() {
    if (in < 1 || out < 1) {
      throw new IllegalArgumentException(description + ": channels " + in + "->" + out + " (expected: >= 1 each)");
    }
    if (k < 1) {
      throw new IllegalArgumentException(description + ": kernel " + k + " (expected: >= 1)");
    }
    if (stride < 1) {
      throw new IllegalArgumentException(description + ": stride " + stride + " (expected: >= 1)");
    }
    if (dilation < 1) {
      throw new IllegalArgumentException(description + ": dilation " + dilation + " (expected: >= 1)");
    }
    if (groups < 1 || in % groups != 0 || out % groups != 0) {
      throw new IllegalArgumentException(description + ": groups " + groups
          + " (expected: a divisor of both in channels " + in + " and out channels " + out + ")");
    }
  }

  /** The weight {@code [out, in/groups, k]}. */
  public Parameter weight() {
    return core.weight();
  }

  /** The bias {@code [out]}, or null when the layer has none. */
  public Parameter bias() {
    return core.bias();
  }

  /** The padding per side as resolved for this kernel. */
  public int resolvedPadding() {
    return pad;
  }

  @Override
  public String typeName() {
    return "Conv1D";
  }

  @Override
  public String toString() {
    return description;
  }

  @Override
  public List<Parameter> parameters() {
    return core.parameters();
  }

  @Override
  public Shape outputShape(Shape x) {
    if (x.rank() != 3) {
      throw new IllegalArgumentException(description + ": input " + x + " has rank " + x.rank()
          + " (expected: 3, [N, " + in + ", L])");
    }
    if (x.dim(1) != in) {
      throw new IllegalArgumentException(description + ": input " + x + " has " + x.dim(1)
          + " channels (expected: " + in + ")");
    }
    int span = dilation * (k - 1) + 1;
    int padded = x.dim(2) + 2 * pad;
    if (padded < span) {
      throw new IllegalArgumentException(description + ": input " + x + " padded by " + pad + " has length "
          + padded + ", shorter than the dilated kernel " + span + " (expected: at least " + span + ")");
    }
    return Shape.of(x.dim(0), out, Geometry.outExtent(x.dim(2), k, stride, pad, dilation));
  }

  @Override
  public long flops(Shape x) {
    Shape y = outputShape(x);
    return 2L * y.dim(0) * out * y.dim(2) * (in / groups) * k;
  }

  private static Shape as4d(Shape s) {
    return Shape.of(s.dim(0), s.dim(1), 1, s.dim(2));
  }

  /** {@code t} as {@code [N, C, 1, L]}: {@code cached} when it already is that view (no allocation in a warm step). */
  private static Tensor view(Tensor cached, Tensor t) {
    if (cached != null && cached.data() == t.data() && cached.offset() == t.offset() && cached.dim(0) == t.dim(0)
        && cached.dim(1) == t.dim(1) && cached.dim(3) == t.dim(2)) {
      return cached;
    }
    return t.reshape(t.dim(0), t.dim(1), 1, t.dim(2));
  }

  @Override
  protected void prepare(Shape x, Shape y) {
    core.prepare(as4d(x), as4d(y));
  }

  @Override
  protected void forward(Tensor x, Tensor y, boolean training) {
    xView = view(xView, x);
    yView = view(yView, y);
    core.forward(xView, yView, training);
  }

  /** The first layer of a network computes no input gradient (its input is data). */
  @Override
  protected boolean skipsInputGradient() {
    return true;
  }

  @Override
  protected void backward(Tensor x, Tensor y, Tensor gy, Tensor gx) {
    xView = view(xView, x);
    yView = view(yView, y);
    gyView = view(gyView, gy);
    if (gx != null) {
      gxView = view(gxView, gx);
    }
    core.backward(xView, yView, gyView, gx == null ? null : gxView);
  }

  /** Configures a {@link Conv1D}; every setter returns this builder. */
  public static final class Builder {
    private final int in;
    private final int out;
    /** 0 until {@link #kernel} is called. */
    private int k;
    private int stride = 1;
    private int dilation = 1;
    private int groups = 1;
    private Padding padding = Padding.VALID;
    private boolean bias = true;
    private Initializer initializer = Initializer.HE_UNIFORM;
    private Initializer biasInitializer = Initializer.ZEROS;
    private Long seed;

    private Builder(int in, int out) {
      this.in = in;
      this.out = out;
    }

    /** The kernel's length. */
    public Builder kernel(int k) {
      this.k = k;
      return this;
    }

    /** The stride (default 1). */
    public Builder stride(int s) {
      this.stride = s;
      return this;
    }

    /** The padding (default {@link Padding#VALID}); an explicit one must be the same on both of its axes. */
    public Builder padding(Padding p) {
      this.padding = Objects.requireNonNull(p, "p");
      return this;
    }

    /** The padding as text: {@code "same"}, {@code "valid"} or an integer (see {@link Padding#parse}). */
    public Builder padding(String p) {
      return padding(Padding.parse(p));
    }

    /** {@code p} zeros at each end. */
    public Builder padding(int p) {
      return padding(Padding.of(p));
    }

    /** The dilation (default 1). */
    public Builder dilation(int d) {
      this.dilation = d;
      return this;
    }

    /** The number of groups, dividing both channel counts (default 1; {@code in} for depthwise). */
    public Builder groups(int g) {
      this.groups = g;
      return this;
    }

    /** Whether the layer has a bias (default true). */
    public Builder bias(boolean b) {
      this.bias = b;
      return this;
    }

    /** The weight initializer (default {@link Initializer#HE_UNIFORM}). */
    public Builder initializer(Initializer init) {
      this.initializer = Objects.requireNonNull(init, "initializer");
      return this;
    }

    /** The bias initializer (default {@link Initializer#ZEROS}). */
    public Builder biasInitializer(Initializer init) {
      this.biasInitializer = Objects.requireNonNull(init, "biasInitializer");
      return this;
    }

    /** The initialization seed (default: {@link Initializer#nextDefaultSeed()}). */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /**
     * The layer.
     *
     * @throws IllegalArgumentException naming the configuration for non-positive channels, kernel,
     *     stride or dilation, groups not dividing both channel counts, or a padding it cannot do
     */
    public Conv1D build() {
      if (k == 0) {
        throw new IllegalArgumentException("Conv1D(" + in + "->" + out
            + "): no kernel size (expected: .kernel(k), as PyTorch's kernel_size)");
      }
      return new Conv1D(this);
    }
  }
}

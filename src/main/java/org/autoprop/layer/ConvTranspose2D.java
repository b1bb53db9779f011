package org.autoprop.layer;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.IntConsumer;
import org.autoprop.kernel.ConvKernels;
import org.autoprop.kernel.ConvKernels.Geometry;
import org.autoprop.kernel.ElementwiseKernels;
import org.autoprop.kernel.Parallel;
import org.autoprop.kernel.ParallelPolicy;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * 2-D transposed convolution over {@code [N, C, H, W]} inputs with PyTorch's semantics
 * ({@code nn.ConvTranspose2d}): every input pixel scatters its kernel-weighted value into the output,
 * {@code y[n, o, iy*sH - pH + i*dH, ix*sW - pW + j*dW] += weight[c, o - group(c)*out/groups, i, j] * x[n, c, iy, ix]}
 * for every input channel {@code c} of the group of {@code o}, plus {@code bias[o]}; taps that land
 * outside the output are dropped. Weight {@code [in, out/groups, kh, kw]} (PyTorch's layout: in
 * first), bias {@code [out]}. The output extent is
 * {@code (H - 1)*sH - 2*pH + dH*(kh - 1) + opH + 1} (and the same along the width), where the
 * output padding {@code op} adds rows and columns at the bottom and right that only the taps and
 * the bias reach; PyTorch requires {@code op < stride} or {@code op < dilation} on each axis.
 *
 * <p>Computation: this layer is the input gradient of the {@link Conv2D} with the same weight
 * read as {@code [in, out/groups, kh, kw]} = that convolution's {@code [out', in'/groups, kh, kw]},
 * run on an image of this layer's output size; so the forward is that convolution's data gradient
 * ({@link ConvKernels#backwardData}, phase by phase, no column matrix), the input gradient is that
 * convolution's forward on {@code dY} ({@link ConvKernels#forwardImages}, implicit columns) and the
 * weight gradient is its weight gradient with input and output gradient swapped
 * ({@link ConvKernels#backwardWeightTransposed} of {@code dY} against {@code x}). The forward runs
 * in parallel over the batch; the weight and bias gradients split the batch into a fixed number of
 * parts ({@link ParallelPolicy#parts}, never the thread count), each summed into its own partial,
 * the partials added in part order: the same bits for any thread count. When {@code op >= stride}
 * (possible only with {@code dilation > stride}), that convolution has {@code op / stride} more
 * output rows (columns) than this layer has input rows (columns); the input is then copied into a
 * buffer zero-extended by those rows and columns (the extra rows contribute nothing), and the input
 * gradient is computed at the extended size and cropped.
 *
 * <p>Weights and biases default to {@link Initializer#PYTORCH_DEFAULT}, {@code U(-b, b)} with
 * {@code b = 1/sqrt(fanIn)}, where {@code fanIn = out/groups * kh * kw} as PyTorch computes it from
 * a transposed weight ({@code weight.size(1)} times the kernel area); without {@link Builder#seed}
 * the seed is {@link Initializer#nextDefaultSeed()}.
 */
public final class ConvTranspose2D extends AbstractLayer {
  private final int in;
  private final int out;
  private final int kh;
  private final int kw;
  private final int sh;
  private final int sw;
  private final int ph;
  private final int pw;
  private final int oph;
  private final int opw;
  private final int dh;
  private final int dw;
  private final int groups;
  private final Parameter weight;
  private final Parameter bias;
  private final ConvKernels conv = kernels.conv();
  private final ElementwiseKernels elementwise = kernels.elementwise();
  private final String description;

  // Plans and scratch for the current input shape (sized in prepare).
  /**
   * One group of the convolution whose data gradient this layer's forward is: {@code out/groups}
   * channels of this layer's output size; its output extent is the (extended) input's.
   */
  private Geometry geometry;
  /** Whether the input is zero-extended to the geometry's output extent (op {@literal >=} stride). */
  private boolean extended;
  /** The batch's input, zero-extended to {@code [N, in, extH, extW]}; empty unless extended. */
  private float[] extendedInput = new float[0];
  /** The input gradient at the extended size, cropped into gx; empty unless extended. */
  private float[] extendedGrad = new float[0];
  private float[][] gradWeight;
  private double[][] gradBias;
  // The tensors of the pass running now, for the chunk and part bodies below; gradInput is null
  // when the backward skips the input gradient.
  private Tensor input;
  private Tensor output;
  private Tensor gy;
  private Tensor gradInput;
  private int chunks;
  private int parts;
  // Built once: a capturing lambda per call would allocate.
  private final IntConsumer forwardChunk = this::forwardChunk;
  private final Parallel.Part backwardPart = this::backwardPart;

  /**
   * A {@code kernel x kernel} transposed convolution at stride 1 without padding, with a bias:
   * PyTorch's {@code nn.ConvTranspose2d(in, out, kernel)}. For other settings use {@link #builder},
   * e.g. {@code ConvTranspose2D.builder(in, out).kernel(4).stride(2).padding(1).build()} to double
   * the size.
   *
   * @param in input channels
   * @param out output channels
   * @param kernel the kernel's height and width
   */
  public ConvTranspose2D(int in, int out, int kernel) {
    this(builder(in, out).kernel(kernel));
  }

  private ConvTranspose2D(Builder b) {
    this.in = b.in;
    this.out = b.out;
    this.kh = b.kh;
    this.kw = b.kw;
    this.sh = b.sh;
    this.sw = b.sw;
    this.ph = b.ph;
    this.pw = b.pw;
    this.oph = b.oph;
    this.opw = b.opw;
    this.dh = b.dh;
    this.dw = b.dw;
    this.groups = b.groups;
    this.description = describe();
    validate();
    long seed = b.seed != null ? b.seed : Initializer.nextDefaultSeed();
    // PyTorch's fans of a [in, out/groups, kh, kw] weight: size(1) and size(0) times the kernel area.
    int fanIn = out / groups * kh * kw;
    int fanOut = in * kh * kw;
    Tensor w = Tensor.zeros(in, out / groups, kh, kw);
    b.initializer.fill(w, fanIn, fanOut, seed);
    this.weight = new Parameter("weight", w);
    if (b.bias) {
      Tensor bt = Tensor.zeros(out);
      b.biasInitializer.fill(bt, fanIn, fanOut, seed ^ 0xB1A5B1A5B1A5B1A5L);
      this.bias = new Parameter("bias", bt);
    } else {
      this.bias = null;
    }
  }

  /**
   * A builder for an {@code in -> out} channel transposed convolution. The kernel must be set; the
   * defaults are PyTorch's: stride 1, padding 0, output padding 0, dilation 1, one group, a bias.
   *
   * @param in input channels
   * @param out output channels
   * @return the builder
   */
  public static Builder builder(int in, int out) {
    return new Builder(in, out);
  }

  private static String pair(int h, int w) {
    return h == w ? Integer.toString(h) : h + "x" + w;
  }

  private String describe() {
    StringBuilder s = new StringBuilder("ConvTranspose2D(").append(in).append("->").append(out)
        .append(", k=").append(kh).append('x').append(kw);
    if (sh != 1 || sw != 1) {
      s.append(", stride=").append(sh).append('x').append(sw);
    }
    if (ph != 0 || pw != 0) {
      s.append(", padding=").append(pair(ph, pw));
    }
    if (oph != 0 || opw != 0) {
      s.append(", output_padding=").append(pair(oph, opw));
    }
    if (dh != 1 || dw != 1) {
      s.append(", dilation=").append(dh).append('x').append(dw);
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
    if (kh < 1 || kw < 1) {
      throw new IllegalArgumentException(description + ": kernel " + kh + "x" + kw + " (expected: >= 1 on both axes)");
    }
    if (sh < 1 || sw < 1) {
      throw new IllegalArgumentException(description + ": stride " + sh + "x" + sw + " (expected: >= 1 on both axes)");
    }
    if (dh < 1 || dw < 1) {
      throw new IllegalArgumentException(description + ": dilation " + dh + "x" + dw + " (expected: >= 1 on both axes)");
    }
    if (ph < 0 || pw < 0) {
      throw new IllegalArgumentException(description + ": padding " + ph + "x" + pw + " (expected: >= 0 on both axes)");
    }
    if (oph < 0 || opw < 0 || (oph >= sh && oph >= dh) || (opw >= sw && opw >= dw)) {
      throw new IllegalArgumentException(description + ": output padding " + oph + "x" + opw
          + " (expected: >= 0 and smaller than the stride " + sh + "x" + sw + " or the dilation " + dh + "x" + dw
          + " on each axis, as PyTorch requires)");
    }
    if (groups < 1 || in % groups != 0 || out % groups != 0) {
      throw new IllegalArgumentException(description + ": groups " + groups
          + " (expected: a divisor of both in channels " + in + " and out channels " + out + ")");
    }
  }

  /**
   * The weight {@code [in, out/groups, kh, kw]} (PyTorch's transposed layout).
   *
   * @return the weight parameter, named {@code weight}
   */
  public Parameter weight() {
    return weight;
  }

  /**
   * The bias {@code [out]}, or null when the layer has none.
   *
   * @return the bias parameter, named {@code bias}, or null
   */
  public Parameter bias() {
    return bias;
  }

  @Override
  public String typeName() {
    return "ConvTranspose2D";
  }

  /** The type name and settings, e.g. {@code ConvTranspose2D(8->4, k=4x4, stride=2x2, padding=1)}. */
  @Override
  public String toString() {
    return description;
  }

  @Override
  public List<Parameter> parameters() {
    return bias == null ? List.of(weight) : List.of(weight, bias);
  }

  /** {@code (in - 1)*stride - 2*padding + dilation*(kernel - 1) + outputPadding + 1}, PyTorch's rule. */
  private static int outExtent(int in, int k, int stride, int pad, int dilation, int outputPad) {
    return (in - 1) * stride - 2 * pad + dilation * (k - 1) + outputPad + 1;
  }

  /**
   * {@code [N, out, Hout, Wout]} with {@code Hout = (H - 1)*sH - 2*pH + dH*(kh - 1) + opH + 1} and
   * the same along the width.
   *
   * @throws IllegalArgumentException naming the layer for an input that is not
   *     {@code [N, in, H, W]} or whose output would be empty
   */
  @Override
  public Shape outputShape(Shape x) {
    if (x.rank() != 4) {
      throw new IllegalArgumentException(description + ": input " + x + " has rank " + x.rank()
          + " (expected: 4, [N, " + in + ", H, W])");
    }
    if (x.dim(1) != in) {
      throw new IllegalArgumentException(description + ": input " + x + " has " + x.dim(1)
          + " channels (expected: " + in + ")");
    }
    int outH = outExtent(x.dim(2), kh, sh, ph, dh, oph);
    int outW = outExtent(x.dim(3), kw, sw, pw, dw, opw);
    if (outH < 1 || outW < 1) {
      throw new IllegalArgumentException(description + ": input " + x + " gives an output of " + outH + "x" + outW
          + " (expected: at least 1x1; (in - 1)*stride - 2*padding + dilation*(kernel - 1) + output_padding + 1)");
    }
    return Shape.of(x.dim(0), out, outH, outW);
  }

  /** Two flops per multiply-add: {@code 2 N in H W (out/groups) kh kw}. */
  @Override
  public long flops(Shape x) {
    outputShape(x);
    return 2 * macs(x.dim(0), x.dim(2) * x.dim(3));
  }

  private long macs(int n, int inPixels) {
    return (long) n * in * inPixels * (out / groups) * kh * kw;
  }

  @Override
  protected void prepare(Shape x, Shape y) {
    int n = x.dim(0);
    geometry = new Geometry(out / groups, y.dim(2), y.dim(3), kh, kw, sh, sw, ph, pw, dh, dw);
    extended = geometry.outH() != x.dim(2) || geometry.outW() != x.dim(3);
    int extendedSize = extended ? n * in * geometry.colCols() : 0;
    // New arrays are zero, and the copies only ever write the input's own rows and columns: the
    // extension stays zero.
    extendedInput = new float[extendedSize];
    extendedGrad = new float[extendedSize];
    int partials = partsFor(n);
    gradWeight = new float[partials][weight.value().size()];
    gradBias = new double[partials][out];
  }

  /** Parts of the batch for the weight and bias gradient sums: a function of the shapes only. */
  private int partsFor(int n) {
    return ParallelPolicy.CONV.parts(macs(n, geometry.colCols()), n);
  }

  @Override
  protected void forward(Tensor x, Tensor y, boolean training) {
    input = x;
    output = y;
    int n = x.dim(0);
    chunks = ParallelPolicy.CONV.chunks(macs(n, geometry.colCols()), n);
    if (chunks == 1) {
      forwardChunk.accept(0);
    } else {
      Parallel.forRange(chunks, forwardChunk);
    }
  }

  /** Forward over chunk {@code t} of the batch: one data-gradient call per group. */
  private void forwardChunk(int t) {
    int n = input.dim(0);
    int first = n * t / chunks;
    int end = n * (t + 1) / chunks;
    if (extended) {
      for (int img = first; img < end; img++) {
        extend(input.data(), input.offset() + img * in * input.dim(2) * input.dim(3), extendedInput,
            img * in * geometry.colCols());
      }
    }
    int pixels = geometry.colCols(); // of the (extended) input
    int plane = output.dim(2) * output.dim(3);
    int inG = in / groups;
    int outG = out / groups;
    int k = geometry.colRows();
    float[] src = extended ? extendedInput : input.data();
    int srcOff = extended ? 0 : input.offset();
    Tensor w = weight.value();
    for (int grp = 0; grp < groups; grp++) {
      conv.backwardData(inG, geometry, w.data(), w.offset() + grp * inG * k, k,
          src, srcOff + (first * in + grp * inG) * pixels, in * pixels,
          output.data(), (first * out + grp * outG) * plane, out * plane, end - first);
    }
    if (bias != null) {
      float[] b = bias.value().data();
      int bOff = bias.value().offset();
      float[] yd = output.data();
      for (int img = first; img < end; img++) {
        for (int o = 0; o < out; o++) {
          int at = (img * out + o) * plane;
          elementwise.affine(1f, yd, at, b[bOff + o], yd, at, plane);
        }
      }
    }
  }

  /** Copies the {@code [in, H, W]} image at {@code srcOff} into the top-left of the extended one at {@code dstOff}. */
  private void extend(float[] src, int srcOff, float[] dst, int dstOff) {
    int h = input.dim(2);
    int w = input.dim(3);
    int extW = geometry.outW();
    int extPlane = geometry.colCols();
    for (int c = 0; c < in; c++) {
      for (int iy = 0; iy < h; iy++) {
        System.arraycopy(src, srcOff + (c * h + iy) * w, dst, dstOff + c * extPlane + iy * extW, w);
      }
    }
  }

  /** Copies the top-left {@code [in, H, W]} of the extended image at {@code srcOff} into the one at {@code dstOff}. */
  private void crop(float[] src, int srcOff, float[] dst, int dstOff) {
    int h = input.dim(2);
    int w = input.dim(3);
    int extW = geometry.outW();
    int extPlane = geometry.colCols();
    for (int c = 0; c < in; c++) {
      for (int iy = 0; iy < h; iy++) {
        System.arraycopy(src, srcOff + c * extPlane + iy * extW, dst, dstOff + (c * h + iy) * w, w);
      }
    }
  }

  /** The first layer of a network computes no input gradient (its input is data). */
  @Override
  protected boolean skipsInputGradient() {
    return true;
  }

  @Override
  protected void backward(Tensor x, Tensor y, Tensor gy, Tensor gx) {
    this.input = x;
    this.gy = gy;
    this.gradInput = gx;
    int n = x.dim(0);
    parts = partsFor(n);
    if (parts == 1) {
      backwardPart.run(0, 0);
    } else {
      Parallel.forParts(parts, backwardPart);
    }
    // The partials hold each group's gradient transposed, [K, in/groups] with K = out/groups*kh*kw.
    Tensor gw = weight.grad();
    float[] gwd = gw.data();
    int inG = in / groups;
    int k = geometry.colRows();
    for (int t = 0; t < parts; t++) {
      float[] part = gradWeight[t];
      for (int grp = 0; grp < groups; grp++) {
        int base = grp * inG * k;
        for (int c = 0; c < inG; c++) {
          int row = gw.offset() + base + c * k;
          for (int kk = 0; kk < k; kk++) {
            gwd[row + kk] += part[base + kk * inG + c];
          }
        }
      }
    }
    if (bias != null) {
      Tensor gb = bias.grad();
      for (int o = 0; o < out; o++) {
        double s = 0;
        for (int t = 0; t < parts; t++) {
          s += gradBias[t][o];
        }
        gb.data()[gb.offset() + o] += (float) s;
      }
    }
    this.gy = null;
    this.gradInput = null;
  }

  /**
   * Backward over part {@code t} of the batch: the input gradient of its images, and their weight
   * and bias gradients summed into partial {@code t}. The slot is unused (the kernels keep their
   * scratch per thread).
   */
  private void backwardPart(int t, int slot) {
    int n = input.dim(0);
    int first = n * t / parts;
    int end = n * (t + 1) / parts;
    float[] gwPart = gradWeight[t];
    double[] gbPart = gradBias[t];
    Arrays.fill(gwPart, 0f);
    Arrays.fill(gbPart, 0.0);
    int pixels = geometry.colCols();
    int plane = gy.dim(2) * gy.dim(3);
    int inG = in / groups;
    int outG = out / groups;
    int k = geometry.colRows();
    float[] gyd = gy.data();
    int gyOff = gy.offset();
    Tensor w = weight.value();
    if (gradInput != null) {
      // dx = the convolution of dY with the same weight, at the (extended) input's size.
      float[] dst = extended ? extendedGrad : gradInput.data();
      for (int grp = 0; grp < groups; grp++) {
        conv.forwardImages(inG, geometry, w.data(), w.offset() + grp * inG * k, k, null, 0,
            gyd, gyOff + (first * out + grp * outG) * plane, out * plane,
            dst, (first * in + grp * inG) * pixels, in * pixels, pixels, end - first);
      }
      if (extended) {
        int size = in * input.dim(2) * input.dim(3);
        for (int img = first; img < end; img++) {
          crop(extendedGrad, img * in * pixels, gradInput.data(), img * size);
        }
      }
    }
    float[] src = extended ? extendedInput : input.data();
    int srcOff = extended ? 0 : input.offset();
    for (int img = first; img < end; img++) {
      for (int grp = 0; grp < groups; grp++) {
        // dW^T[K x inG] += cols(dY) x^T: dY is the convolution's input, x its output gradient.
        conv.backwardWeightTransposed(inG, geometry, gyd, gyOff + (img * out + grp * outG) * plane,
            src, srcOff + (img * in + grp * inG) * pixels, pixels, gwPart, grp * inG * k, inG);
      }
      if (bias != null) {
        for (int o = 0; o < out; o++) {
          gbPart[o] += elementwise.sum(gyd, gyOff + (img * out + o) * plane, plane);
        }
      }
    }
  }

  /** Configures a {@link ConvTranspose2D}; every setter returns this builder. */
  public static final class Builder {
    private final int in;
    private final int out;
    /** 0 until {@link #kernel} is called. */
    private int kh;
    private int kw;
    private int sh = 1;
    private int sw = 1;
    private int ph;
    private int pw;
    private int oph;
    private int opw;
    private int dh = 1;
    private int dw = 1;
    private int groups = 1;
    private boolean bias = true;
    private Initializer initializer = Initializer.PYTORCH_DEFAULT;
    private Initializer biasInitializer = Initializer.PYTORCH_DEFAULT;
    private Long seed;

    private Builder(int in, int out) {
      this.in = in;
      this.out = out;
    }

    /**
     * A square {@code k x k} kernel.
     *
     * @param k the kernel's height and width
     * @return this builder
     */
    public Builder kernel(int k) {
      return kernel(k, k);
    }

    /**
     * A {@code kh x kw} kernel (PyTorch's {@code kernel_size}).
     *
     * @param kh the kernel's height
     * @param kw the kernel's width
     * @return this builder
     */
    public Builder kernel(int kh, int kw) {
      this.kh = kh;
      this.kw = kw;
      return this;
    }

    /**
     * The same stride on both axes (default 1): the output grows by this factor.
     *
     * @param s the stride
     * @return this builder
     */
    public Builder stride(int s) {
      return stride(s, s);
    }

    /**
     * Strides along height and width.
     *
     * @param sh the stride along the height
     * @param sw the stride along the width
     * @return this builder
     */
    public Builder stride(int sh, int sw) {
      this.sh = sh;
      this.sw = sw;
      return this;
    }

    /**
     * The same padding on both axes (default 0): PyTorch's {@code padding}, the rows and columns
     * cropped from each side of the full transposed convolution (so that a convolution with this
     * padding and a transposed one with the same undo each other's change of size).
     *
     * @param p the padding, {@code >= 0}
     * @return this builder
     */
    public Builder padding(int p) {
      return padding(p, p);
    }

    /**
     * Paddings along height and width (each cropped from both sides of the full output).
     *
     * @param ph the padding along the height
     * @param pw the padding along the width
     * @return this builder
     */
    public Builder padding(int ph, int pw) {
      this.ph = ph;
      this.pw = pw;
      return this;
    }

    /**
     * The same output padding on both axes (default 0): PyTorch's {@code output_padding}, extra
     * rows and columns at the bottom and right that resolve which of the input sizes a strided
     * convolution maps to the same size is meant. Must be smaller than the stride or the dilation.
     *
     * @param op the output padding
     * @return this builder
     */
    public Builder outputPadding(int op) {
      return outputPadding(op, op);
    }

    /**
     * Output paddings along height and width.
     *
     * @param oph the output padding along the height
     * @param opw the output padding along the width
     * @return this builder
     */
    public Builder outputPadding(int oph, int opw) {
      this.oph = oph;
      this.opw = opw;
      return this;
    }

    /**
     * The same dilation on both axes (default 1).
     *
     * @param d the dilation
     * @return this builder
     */
    public Builder dilation(int d) {
      return dilation(d, d);
    }

    /**
     * Dilations along height and width.
     *
     * @param dh the dilation along the height
     * @param dw the dilation along the width
     * @return this builder
     */
    public Builder dilation(int dh, int dw) {
      this.dh = dh;
      this.dw = dw;
      return this;
    }

    /**
     * The number of groups, dividing both channel counts (default 1).
     *
     * @param g the groups
     * @return this builder
     */
    public Builder groups(int g) {
      this.groups = g;
      return this;
    }

    /**
     * Whether the layer has a bias (default true).
     *
     * @param b true for a bias
     * @return this builder
     */
    public Builder bias(boolean b) {
      this.bias = b;
      return this;
    }

    /**
     * The weight initializer (default {@link Initializer#PYTORCH_DEFAULT}); it gets
     * {@code fanIn = out/groups*kh*kw} and {@code fanOut = in*kh*kw}.
     *
     * @param init the initializer
     * @return this builder
     */
    public Builder initializer(Initializer init) {
      this.initializer = Objects.requireNonNull(init, "initializer");
      return this;
    }

    /**
     * The bias initializer (default {@link Initializer#PYTORCH_DEFAULT}, with the weight's fans).
     *
     * @param init the initializer
     * @return this builder
     */
    public Builder biasInitializer(Initializer init) {
      this.biasInitializer = Objects.requireNonNull(init, "biasInitializer");
      return this;
    }

    /**
     * The initialization seed (default: {@link Initializer#nextDefaultSeed()}).
     *
     * @param seed the seed
     * @return this builder
     */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /**
     * The layer.
     *
     * @return the layer
     * @throws IllegalArgumentException naming the configuration for no kernel, non-positive
     *     channels, kernel, stride or dilation, negative padding, an output padding that is neither
     *     smaller than the stride nor than the dilation, or groups not dividing both channel counts
     */
    public ConvTranspose2D build() {
      if (kh == 0 && kw == 0) {
        throw new IllegalArgumentException("ConvTranspose2D(" + in + "->" + out + "): no kernel size (expected: "
            + ".kernel(k) or .kernel(kh, kw), as PyTorch's kernel_size)");
      }
      return new ConvTranspose2D(this);
    }
  }
}

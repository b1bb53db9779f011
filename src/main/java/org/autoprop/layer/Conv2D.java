package org.autoprop.layer;

import java.util.Arrays;
import java.util.List;
import java.util.function.IntConsumer;
import org.autoprop.kernel.ConvKernels;
import org.autoprop.kernel.ConvKernels.Geometry;
import org.autoprop.kernel.Gemm;
import org.autoprop.kernel.GemmKernels;
import org.autoprop.kernel.ElementwiseKernels;
import org.autoprop.kernel.Parallel;
import org.autoprop.kernel.ParallelPolicy;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * 2-D convolution over {@code [N, C, H, W]} inputs with PyTorch's semantics:
 * {@code y[n, o, oy, ox] = bias[o] + sum_{c in group(o), i, j} weight[o, c, i, j] * x[n, c, oy*sH - pH + i*dH, ox*sW - pW + j*dW]}
 * (zero outside the input), weight {@code [out, in/groups, kh, kw]}, bias {@code [out]}.
 *
 * <p>Computation: per image, one GEMM per group whose packing reads the columns straight from the
 * image ({@link ConvKernels#forwardImages}: the column matrix is never materialised), in parallel over
 * the batch; a 1x1 kernel at stride 1 without padding multiplies the image directly. Backward:
 * weight gradient {@code dY x cols^T} with implicit columns, the batch split into a fixed number of
 * parts ({@link Parallel#PARTS}, not one per thread) each summed into its own partial, the
 * partials added in part order after the loop (no races, and the same bits for any thread count
 * and any scheduling); input gradient at
 * stride 1 as the convolution of {@code dY} with the flipped, transposed kernel (again implicit
 * columns, no col2im), at larger strides phase by phase ({@link ConvKernels#backwardData}:
 * one stride-1 correlation of {@code dY} per phase of the input, no col2im); with fewer than
 * {@code TRANSPOSED_MIN_IN} input channels per group (or, at stride 1, padding beyond the
 * dilated kernel), {@code W^T x dY} then an accumulating col2im. Depthwise convolutions
 * ({@code groups == in == out}) use a direct kernel instead.
 *
 * <p>Weights default to {@link Initializer#HE_UNIFORM} (He for ReLU networks, {@code U(-b, b)},
 * {@code b = sqrt(6 / fanIn)}), biases to zeros; without {@link Builder#seed} the seed is
 * {@link Initializer#nextDefaultSeed()}.
 */
public final class Conv2D extends AbstractLayer {
  private final int in;
  private final int out;
  private final int kh;
  private final int kw;
  private final int sh;
  private final int sw;
  private final int dh;
  private final int dw;
  private final int groups;
  private final Padding padding;
  private final int ph;
  private final int pw;
  private final boolean depthwise;
  private final boolean pointwise;
  private final Parameter weight;
  private final Parameter bias;
  private final GemmKernels gemm = kernels.gemm();
  private final ConvKernels conv = kernels.conv();
  private final ElementwiseKernels elementwise = kernels.elementwise();
  private final String description;

  // Plans and scratch for the current input shape (sized in prepare).
  private Geometry geometry;
  // One group's view of the input (channels = in/groups), for the implicit-column GEMMs.
  private Geometry groupGeometry;
  // The input gradient at stride 1 as a convolution over dY; null when col2im is used.
  private Geometry transposedGeometry;
  private float[] flippedWeight;
  // The input gradient at stride > 1, phase by phase (ConvKernels.backwardData); false when col2im is used.
  private boolean phased;
  // The tensors of the pass running now, for the chunk and part bodies below; gradInput is null
  // when the backward skips the input gradient.
  private Tensor input;
  private Tensor output;
  private Tensor gy;
  private Tensor gradInput;
  private int chunks;
  /** Parts of the batch in the current backward, each with its own weight and bias gradient partial. */
  private int parts;
  // Built once: a capturing lambda per call would allocate.
  private final IntConsumer forwardChunk = this::forwardChunk;
  private final Parallel.Part backwardPart = this::backwardPart;
  private float[][] cols;
  private float[][] gradCols;
  private float[][] gradWeight;
  private double[][] gradBias;

  /**
   * A {@code kernel x kernel} convolution at stride 1 without padding, with a bias: PyTorch's
   * {@code nn.Conv2d(in, out, kernel)}. For other settings use {@link #builder}, e.g.
   * {@code Conv2D.builder(in, out).kernel(3).padding("same").build()} to keep the size.
   *
   * @param in input channels
   * @param out output channels
   * @param kernel the kernel's height and width
   */
  public Conv2D(int in, int out, int kernel) {
    this(builder(in, out).kernel(kernel));
  }

  private Conv2D(Builder b) {
    this.in = b.in;
    this.out = b.out;
    this.kh = b.kh;
    this.kw = b.kw;
    this.sh = b.sh;
    this.sw = b.sw;
    this.dh = b.dh;
    this.dw = b.dw;
    this.groups = b.groups;
    this.padding = b.padding;
    this.description = describe();
    validate();
    int[] p;
    try {
      p = padding.resolve(kh, kw, sh, sw, dh, dw);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(description + ": " + e.getMessage(), e);
    }
    this.ph = p[0];
    this.pw = p[1];
    this.depthwise = groups == in && in == out;
    this.pointwise = kh == 1 && kw == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0;
    long seed = b.seed != null ? b.seed : Initializer.nextDefaultSeed();
    int fanIn = in / groups * kh * kw;
    int fanOut = out * kh * kw;
    // Conv1D keeps its [out, in/groups, k] layout on the same floats (kh = 1).
    Tensor w = b.weightShape != null ? Tensor.zeros(b.weightShape) : Tensor.zeros(out, in / groups, kh, kw);
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
   * A builder for an {@code in -> out} channel convolution. The kernel must be set; the defaults
   * are PyTorch's: stride 1, padding 0 ({@link Padding#VALID}), dilation 1, one group, a bias.
   *
   * @param in input channels
   * @param out output channels
   * @return the builder
   */
  public static Builder builder(int in, int out) {
    return new Builder(in, out);
  }

  private String describe() {
    StringBuilder s = new StringBuilder("Conv2D(").append(in).append("->").append(out)
        .append(", k=").append(kh).append('x').append(kw);
    if (sh != 1 || sw != 1) {
      s.append(", stride=").append(sh).append('x').append(sw);
    }
    if (!Padding.VALID.equals(padding) && !Padding.of(0).equals(padding)) {
      s.append(", padding=").append(padding);
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
    if (groups < 1 || in % groups != 0 || out % groups != 0) {
      throw new IllegalArgumentException(description + ": groups " + groups
          + " (expected: a divisor of both in channels " + in + " and out channels " + out + ")");
    }
  }

  /** The weight {@code [out, in/groups, kh, kw]}. */
  public Parameter weight() {
    return weight;
  }

  /** The bias {@code [out]}, or null when the layer has none. */
  public Parameter bias() {
    return bias;
  }

  /**
   * A new convolution computing this one followed by {@code bn} in evaluation mode: the same
   * geometry, with a bias, its weight {@code w * s} and bias {@code (b - mean) * s + beta} per
   * output channel, {@code s = gamma / sqrt(running_var + eps)} (in double, rounded once). It is a
   * snapshot: later changes to this layer or {@code bn} do not reach it. Training it trains a
   * convolution without batch normalisation.
   *
   * @throws IllegalArgumentException when {@code bn} has not one channel per output channel
   */
  public Conv2D foldBatchNorm(BatchNorm2D bn) {
    java.util.Objects.requireNonNull(bn, "bn");
    if (bn.channels() != out) {
      throw new IllegalArgumentException(description + ": cannot fold " + bn + ": it has " + bn.channels()
          + " channels (expected: " + out + ", the output channels)");
    }
    Conv2D folded = builder(in, out).kernel(kh, kw).stride(sh, sw).padding(padding).dilation(dh, dw).groups(groups)
        .bias(true).initializer(Initializer.ZEROS).seed(0).build();
    float[] w = weight.value().data();
    float[] fw = folded.weight.value().data();
    float[] fb = folded.bias.value().data();
    float[] gamma = bn.weight().value().data();
    float[] beta = bn.bias().value().data();
    float[] mean = bn.runningMean().data();
    float[] var = bn.runningVar().data();
    int perOut = w.length / out;
    for (int o = 0; o < out; o++) {
      double s = gamma[o] / Math.sqrt(var[o] + bn.eps());
      for (int i = o * perOut; i < (o + 1) * perOut; i++) {
        fw[i] = (float) (w[i] * s);
      }
      double b = bias == null ? 0 : bias.value().data()[o];
      fb[o] = (float) ((b - mean[o]) * s + beta[o]);
    }
    return folded;
  }

  /** The padding per side as resolved for this kernel: {@code {h, w}}. */
  public int[] resolvedPadding() {
    return new int[] {ph, pw};
  }

  @Override
  public String typeName() {
    return "Conv2D";
  }

  @Override
  public String toString() {
    return description;
  }

  @Override
  public List<Parameter> parameters() {
    return bias == null ? List.of(weight) : List.of(weight, bias);
  }

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
    int spanH = dh * (kh - 1) + 1;
    int spanW = dw * (kw - 1) + 1;
    int paddedH = x.dim(2) + 2 * ph;
    int paddedW = x.dim(3) + 2 * pw;
    if (paddedH < spanH || paddedW < spanW) {
      throw new IllegalArgumentException(description + ": input " + x + " padded by " + ph + "x" + pw + " is "
          + paddedH + "x" + paddedW + ", smaller than the dilated kernel " + spanH + "x" + spanW
          + " (expected: at least " + spanH + "x" + spanW + ")");
    }
    return Shape.of(x.dim(0), out, Geometry.outExtent(x.dim(2), kh, sh, ph, dh),
        Geometry.outExtent(x.dim(3), kw, sw, pw, dw));
  }

  @Override
  public long flops(Shape x) {
    Shape y = outputShape(x);
    return 2L * y.dim(0) * out * y.dim(2) * y.dim(3) * (in / groups) * kh * kw;
  }

  /**
   * Weight-gradient row length (in/groups * kh * kw) up to which {@code dY x cols^T} runs as
   * register-blocked dot products; above, as a GEMM into a transposed partial. Short rows leave
   * the GEMM's packing and register tile mostly idle, long rows amortise them (measured on CONV-STEM,
   * row 9, and CONV-64, row 576; see jmh/RESULTS.md).
   */
  static final int DOT_WEIGHT_GRAD = 32;

  /**
   * Fewest input channels per group for which the input gradient runs as a transposed
   * convolution: its GEMM has that many rows, and the register tile is 8 tall (CONV-STEM, 1 input
   * channel, would waste 7/8 of it; there W^T x dY plus col2im is cheaper).
   */
  static final int TRANSPOSED_MIN_IN = 12;

  /** Floats of dY per group of images in the backward pass (see backwardPart). */
  private static final int GROUP_FLOATS = 128 * 1024;

  private long macs(int n) {
    return (long) n * out * geometry.colCols() * (in / groups) * kh * kw;
  }

  private int chunksFor(int n) {
    return ParallelPolicy.CONV.chunks(macs(n), n);
  }

  /**
   * Parts of the batch for the weight and bias gradient sums: a function of the shapes only (never
   * of the thread count), so that the sums are added in the same order on every machine.
   */
  private int partsFor(int n) {
    return ParallelPolicy.CONV.parts(macs(n), n);
  }

  @Override
  protected void prepare(Shape x, Shape y) {
    geometry = new Geometry(in, x.dim(2), x.dim(3), kh, kw, sh, sw, ph, pw, dh, dw);
    int inG = in / groups;
    groupGeometry = new Geometry(inG, x.dim(2), x.dim(3), kh, kw, sh, sw, ph, pw, dh, dw);
    // dx[c, iy, ix] = sum w[o, c, i, j] dY[o, iy + ph - i*dh, ix + pw - j*dw]: at stride 1 a
    // convolution of dY with the kernel flipped, padded by dilation*(k-1) - pad.
    int tph = dh * (kh - 1) - ph;
    int tpw = dw * (kw - 1) - pw;
    boolean transposed = !depthwise && !pointwise && sh == 1 && sw == 1 && tph >= 0 && tpw >= 0
        && inG >= TRANSPOSED_MIN_IN;
    transposedGeometry = transposed
        ? new Geometry(out / groups, geometry.outH(), geometry.outW(), kh, kw, 1, 1, tph, tpw, dh, dw)
        : null;
    flippedWeight = transposed ? new float[weight.value().size()] : null;
    phased = !depthwise && !pointwise && (sh > 1 || sw > 1) && inG >= TRANSPOSED_MIN_IN;
    // Column scratch per worker slot; gradient partials per part.
    int threads = Parallel.threads();
    int colSize = depthwise || pointwise ? 0 : geometry.colRows() * geometry.colCols();
    cols = new float[threads][dotWeightGrad() ? colSize : 0];
    gradCols = new float[threads][transposed || phased ? 0 : colSize];
    int partials = partsFor(x.dim(0)); // as many as this batch is split into, often fewer than PARTS
    gradWeight = new float[partials][weight.value().size()];
    gradBias = new double[partials][out];
  }

  @Override
  protected void forward(Tensor x, Tensor y, boolean training) {
    input = x;
    output = y;
    chunks = chunksFor(x.dim(0));
    if (chunks == 1) {
      forwardChunk.accept(0);
    } else {
      Parallel.forRange(chunks, forwardChunk);
    }
  }

  /** Forward over chunk {@code t} of the batch. */
  private void forwardChunk(int t) {
    int n = input.dim(0);
    int first = n * t / chunks;
    int end = n * (t + 1) / chunks;
    if (depthwise || pointwise) {
      for (int img = first; img < end; img++) {
        forwardImage(img);
      }
      return;
    }
    // One call per group for the whole chunk: the kernel prepares the weights once.
    Geometry g = geometry;
    int p = g.colCols();
    int inSize = in * g.inH() * g.inW();
    int outG = out / groups;
    int kG = in / groups * kh * kw;
    int inGSize = in / groups * g.inH() * g.inW();
    float[] b = bias == null ? null : bias.value().data();
    for (int grp = 0; grp < groups; grp++) {
      conv.forwardImages(outG, groupGeometry, weight.value().data(), grp * outG * kG, kG,
          b, grp * outG, input.data(), input.offset() + first * inSize + grp * inGSize, inSize,
          output.data(), (first * out + grp * outG) * p, out * p, p, end - first);
    }
  }

  /** Forward of one image through the depthwise or pointwise kernels. */
  private void forwardImage(int img) {
    Geometry g = geometry;
    int p = g.colCols();
    int inSize = in * g.inH() * g.inW();
    float[] x = input.data();
    int xOff = input.offset() + img * inSize;
    float[] w = weight.value().data();
    float[] y = output.data();
    int yOff = img * out * p;
    if (depthwise) {
      conv.depthwiseForward(g, x, xOff, w, 0, bias == null ? null : bias.value().data(), 0, y, yOff);
      return;
    }
    int outG = out / groups;
    int kG = in / groups * kh * kw;
    for (int grp = 0; grp < groups; grp++) {
      Gemm.multiplySerial(gemm, false, false, outG, p, kG, w, grp * outG * kG, kG, x, xOff + grp * kG * p, p,
          y, yOff + grp * outG * p, p, false);
    }
    if (bias != null) {
      float[] b = bias.value().data();
      for (int o = 0; o < out; o++) {
        elementwise.affine(1f, y, yOff + o * p, b[o], y, yOff + o * p, p);
      }
    }
  }

  /** Whether the weight gradient runs as dot products (partials in weight layout) or as a GEMM (transposed partials). */
  private boolean dotWeightGrad() {
    // Pointwise: the GEMM on the image itself (no im2col) beats the dot products even for short
    // rows: the image is already the column matrix, so nothing is copied.
    return depthwise || !pointwise && in / groups * kh * kw <= DOT_WEIGHT_GRAD;
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
    if (gx != null && transposedGeometry != null) {
      flipWeight();
    }
    int n = input.dim(0);
    parts = partsFor(n);
    if (parts == 1) {
      backwardPart.run(0, 0);
    } else {
      Parallel.forParts(parts, backwardPart);
    }
    Tensor gw = weight.grad();
    float[] gwd = gw.data();
    if (dotWeightGrad()) {
      for (int t = 0; t < parts; t++) {
        elementwise.add(gwd, gw.offset(), gradWeight[t], 0, gwd, gw.offset(), gw.size());
      }
    } else {
      // The partials hold each group's gradient transposed, [kG, outG].
      int outG = out / groups;
      int kG = in / groups * kh * kw;
      for (int t = 0; t < parts; t++) {
        float[] part = gradWeight[t];
        for (int grp = 0; grp < groups; grp++) {
          int base = grp * outG * kG;
          for (int o = 0; o < outG; o++) {
            int row = gw.offset() + base + o * kG;
            for (int k = 0; k < kG; k++) {
              gwd[row + k] += part[base + k * outG + o];
            }
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
  }

  /**
   * flippedWeight[grp][c][(o*kh + i)*kw + j] := weight[grp*outG + o][c][kh-1-i][kw-1-j]: per group
   * the {@code [in/groups, out/groups*kh*kw]} matrix of the transposed convolution.
   */
  private void flipWeight() {
    float[] w = weight.value().data();
    int wOff = weight.value().offset();
    int outG = out / groups;
    int inG = in / groups;
    int khw = kh * kw;
    int rowLen = outG * khw;
    for (int grp = 0; grp < groups; grp++) {
      int base = grp * outG * inG * khw;
      for (int o = 0; o < outG; o++) {
        for (int c = 0; c < inG; c++) {
          int src = wOff + base + (o * inG + c) * khw;
          int dst = base + c * rowLen + o * khw + khw - 1;
          for (int t = 0; t < khw; t++) {
            flippedWeight[dst - t] = w[src + t];
          }
        }
      }
    }
  }

  /**
   * Backward over part {@code t} of the batch, into that part's weight and bias gradient partials,
   * with the column scratch of worker slot {@code slot}.
   */
  private void backwardPart(int t, int slot) {
    int n = input.dim(0);
    Arrays.fill(gradWeight[t], 0f);
    Arrays.fill(gradBias[t], 0.0);
    int p = geometry.colCols();
    int first = n * t / parts;
    int end = n * (t + 1) / parts;
    // At stride 1, images in groups whose dY (about 512 KB) is still in L2 when the weight
    // gradient reads it again after the input gradient; the kernel packs the flipped weights once
    // per group. The phased kernel's packing (every phase's taps, selected one by one) cost more
    // per call than the reuse gains: one group per chunk there.
    int group = transposedGeometry != null ? Math.max(1, GROUP_FLOATS / (out * p)) : end - first;
    for (int g0 = first; g0 < end; g0 += group) {
      int g1 = Math.min(end, g0 + group);
      if (gradInput != null) {
        inputGradient(g0, g1);
      }
      for (int img = g0; img < g1; img++) {
        backwardImage(img, cols[slot], gradCols[slot], gradWeight[t]);
        if (bias != null) {
          // Here, while this image's gradient is still in cache (after the loop it would be
          // streamed from memory again).
          double[] gb = gradBias[t];
          for (int o = 0; o < out; o++) {
            gb[o] += elementwise.sum(gy.data(), gy.offset() + (img * out + o) * p, p);
          }
        }
      }
    }
  }

  /**
   * The input gradient of images [first, end) where it runs over whole images: at stride 1 as a
   * convolution of dY with the flipped kernel, at larger strides phase by phase. Otherwise
   * (col2im) backwardImage computes it.
   */
  private void inputGradient(int first, int end) {
    int p = geometry.colCols();
    int outG = out / groups;
    int inG = in / groups;
    int kG = inG * kh * kw;
    int plane = geometry.inH() * geometry.inW();
    for (int grp = 0; grp < groups; grp++) {
      int gyOff = gy.offset() + (first * out + grp * outG) * p;
      int gxOff = (first * in + grp * inG) * plane;
      if (transposedGeometry != null) {
        conv.forwardImages(inG, transposedGeometry, flippedWeight, grp * outG * kG, outG * kh * kw,
            null, 0, gy.data(), gyOff, out * p, gradInput.data(), gxOff, in * plane, plane, end - first);
      } else if (phased) {
        conv.backwardData(outG, groupGeometry, weight.value().data(),
            weight.value().offset() + grp * outG * kG, kG, gy.data(), gyOff, out * p, gradInput.data(), gxOff,
            in * plane, end - first);
      }
    }
  }

  private void backwardImage(int img, float[] colBuf, float[] gradColBuf, float[] gwPart) {
    Geometry g = geometry;
    int p = g.colCols();
    int inSize = in * g.inH() * g.inW();
    float[] x = input.data();
    int xOff = input.offset() + img * inSize;
    float[] w = weight.value().data();
    float[] gyd = gy.data();
    int gyOff = gy.offset() + img * out * p;
    float[] gx = gradInput != null ? gradInput.data() : null;
    int gxOff = img * inSize;
    if (depthwise) {
      if (gx != null) {
        Arrays.fill(gx, gxOff, gxOff + inSize, 0f);
        conv.depthwiseBackwardData(g, gyd, gyOff, w, 0, gx, gxOff);
      }
      conv.depthwiseBackwardWeight(g, x, xOff, gyd, gyOff, gwPart, 0);
      return;
    }
    boolean dot = dotWeightGrad();
    float[] colArr = x;
    int colOff = xOff;
    if (!pointwise && dot) {
      conv.im2col(g, x, xOff, colBuf, 0);
      colArr = colBuf;
      colOff = 0;
    }
    int outG = out / groups;
    int inG = in / groups;
    int kG = inG * kh * kw;
    int inGSize = inG * g.inH() * g.inW();
    // Either way the input gradient is already written (backwardPart).
    boolean transposed = transposedGeometry != null || phased;
    // Pointwise: the input gradient is W^T x dY written straight into gx; otherwise into columns.
    float[] dst = pointwise ? gx : gradColBuf;
    int dstOff = pointwise ? gxOff : 0;
    for (int grp = 0; grp < groups; grp++) {
      int wOff = grp * outG * kG;
      int gyG = gyOff + grp * outG * p;
      int colG = colOff + grp * kG * p;
      if (dot) {
        Gemm.accumulateABt(gemm, outG, kG, p, gyd, gyG, p, colArr, colG, p, gwPart, wOff, kG);
      } else if (pointwise) {
        // dW^T = cols x dY^T: the GEMM packs the small dY transposed instead of the large columns.
        Gemm.multiplySerial(gemm, false, true, kG, outG, p, colArr, colG, p, gyd, gyG, p, gwPart, wOff, outG, true);
      } else {
        conv.backwardWeightTransposed(outG, groupGeometry, x, xOff + grp * inGSize, gyd, gyG, p, gwPart, wOff, outG);
      }
      if (gx != null && !transposed) {
        Gemm.multiplySerial(gemm, true, false, kG, p, outG, w, wOff, kG, gyd, gyG, p, dst, dstOff + grp * kG * p, p, false);
      }
    }
    if (gx != null && !pointwise && !transposed) {
      Arrays.fill(gx, gxOff, gxOff + inSize, 0f);
      conv.col2im(g, gradColBuf, 0, gx, gxOff);
    }
  }

  /** Configures a {@link Conv2D}; every setter returns this builder. */
  public static final class Builder {
    private final int in;
    private final int out;
    /** 0 until {@link #kernel} is called. */
    private int kh;
    private int kw;
    private int sh = 1;
    private int sw = 1;
    private int dh = 1;
    private int dw = 1;
    private int groups = 1;
    private Padding padding = Padding.VALID;
    private boolean bias = true;
    private Initializer initializer = Initializer.HE_UNIFORM;
    private Initializer biasInitializer = Initializer.ZEROS;
    private Long seed;
    /** The weight's shape when another layer (Conv1D) runs on this one; null for {@code [out, in/groups, kh, kw]}. */
    private int[] weightShape;

    private Builder(int in, int out) {
      this.in = in;
      this.out = out;
    }

    /** A square {@code k x k} kernel. */
    public Builder kernel(int k) {
      return kernel(k, k);
    }

    /** A {@code kh x kw} kernel. */
    public Builder kernel(int kh, int kw) {
      this.kh = kh;
      this.kw = kw;
      return this;
    }

    /** The same stride on both axes (default 1). */
    public Builder stride(int s) {
      return stride(s, s);
    }

    /** Strides along height and width. */
    public Builder stride(int sh, int sw) {
      this.sh = sh;
      this.sw = sw;
      return this;
    }

    /** The padding (default {@link Padding#VALID}, like PyTorch's 0). */
    public Builder padding(Padding p) {
      this.padding = java.util.Objects.requireNonNull(p, "p");
      return this;
    }

    /** The padding as text, see {@link Padding#parse}. */
    public Builder padding(String p) {
      return padding(Padding.parse(p));
    }

    /** {@code p} zeros on every side. */
    public Builder padding(int p) {
      return padding(Padding.of(p));
    }

    /** The same dilation on both axes (default 1). */
    public Builder dilation(int d) {
      return dilation(d, d);
    }

    /** Dilations along height and width. */
    public Builder dilation(int dh, int dw) {
      this.dh = dh;
      this.dw = dw;
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
      this.initializer = java.util.Objects.requireNonNull(init, "initializer");
      return this;
    }

    /** The bias initializer (default {@link Initializer#ZEROS}). */
    public Builder biasInitializer(Initializer init) {
      this.biasInitializer = java.util.Objects.requireNonNull(init, "biasInitializer");
      return this;
    }

    /** The initialization seed (default: {@link Initializer#nextDefaultSeed()}). */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /** The weight's shape, of the same size (Conv1D's {@code [out, in/groups, k]}). */
    Builder weightShape(int... dims) {
      this.weightShape = dims.clone();
      return this;
    }

    /**
     * The layer.
     *
     * @throws IllegalArgumentException naming the configuration for non-positive channels, kernel,
     *     stride or dilation, groups not dividing both channel counts, or 'same' padding it cannot do
     */
    public Conv2D build() {
      if (kh == 0 && kw == 0) {
        throw new IllegalArgumentException("Conv2D(" + in + "->" + out + "): no kernel size (expected: .kernel(k) or "
            + ".kernel(kh, kw), as PyTorch's kernel_size)");
      }
      return new Conv2D(this);
    }
  }
}

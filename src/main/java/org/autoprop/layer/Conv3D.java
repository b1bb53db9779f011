package org.autoprop.layer;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
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
 * 3-D convolution over {@code [N, C, D, H, W]} inputs with PyTorch's semantics ({@code nn.Conv3d}):
 * {@code y[n, o, z, oy, ox] = bias[o] + sum_{c in group(o), a, i, j} weight[o, c, a, i, j] *
 * x[n, c, z*sD - pD + a*dD, oy*sH - pH + i*dH, ox*sW - pW + j*dW]} (zero outside the input), weight
 * {@code [out, in/groups, kd, kh, kw]}, bias {@code [out]}.
 *
 * <p>Computation: lowered onto the 2-D implicit-GEMM kernels ({@link ConvKernels}) by moving depth
 * into channels. Each image is copied once into a depth-major buffer {@code [groups, D + 2 pD,
 * in/groups, H, W]} whose padding slices are zero (with a dilation {@code dD > 1} the depth slices are
 * ordered by phase, {@code d mod dD} first, so that the slices one output reads are adjacent again).
 * The {@code kd} slices that output depth {@code z} reads are then one contiguous CHW image of
 * {@code kd * in/groups} channels, and output slice {@code z} is the 2-D convolution of that image with
 * the weights reordered to {@code [out, kd, in/groups, kh, kw]}: one GEMM of depth {@code kd*kh*kw*in/groups}
 * per output slice, with the columns read straight from the image (no column matrix), all slices of
 * an image in one {@link ConvKernels#forwardImages} call (the weights are packed once per image).
 * This beats summing {@code kd} 2-D convolutions of depth {@code kh*kw*in/groups}, which would read
 * and write each output slice {@code kd} times. The buffer of the whole batch is kept for the
 * backward (it is the input's size plus its padding slices).
 *
 * <p>Backward: the weight gradient per output slice with {@link ConvKernels#backwardWeightTransposed}
 * on the same images, the batch split into a fixed number of parts each summed into its own partial
 * (added in part order: the same bits for any thread count); the input gradient per output slice
 * at stride 1 (and {@code in/groups >= 12}, the GEMM's row tile) as one convolution of dY, copied
 * depth-major with depth padding {@code dD (kd - 1) - pD}, with the flipped kernel: the same
 * implicit-column GEMMs as the forward, every input slice written once, no col2im, no accumulation;
 * otherwise per output slice with {@link ConvKernels#backwardData} (one transposed 2-D convolution of
 * that slice's gradient), accumulated into a depth-major gradient buffer that is then copied back to
 * {@code [C, D, H, W]}.
 *
 * <p>Weights default to {@link Initializer#HE_UNIFORM} ({@code fanIn = in/groups * kd*kh*kw}),
 * biases to zeros; without {@link Builder#seed} the seed is {@link Initializer#nextDefaultSeed()}.
 */
public final class Conv3D extends AbstractLayer {
  private final int in;
  private final int out;
  private final int groups;
  private final int kd;
  private final int kh;
  private final int kw;
  private final int sd;
  private final int sh;
  private final int sw;
  private final int pd;
  private final int ph;
  private final int pw;
  private final int dd;
  private final int dh;
  private final int dw;
  private final Parameter weight;
  private final Parameter bias;
  private final ConvKernels conv = kernels.conv();
  private final ElementwiseKernels elementwise = kernels.elementwise();
  private final String description;

  // Plans for the current input shape (set in prepare).
  /** One output slice's 2-D convolution: {@code kd * in/groups} channels of {@code H x W}. */
  private Geometry slab;
  private int depth;
  private int outD;
  /** Slices per depth phase in the depth-major buffer: {@code ceil((D + 2 pD) / dD)}. */
  private int phaseLen;
  /** Floats of one image in the depth-major buffer. */
  private int packedSize;
  /** The weights as {@code [out, kd, in/groups, kh, kw]}, reordered at every forward. */
  private final float[] arranged;
  /** The depth-major copies of the latest forward's batch, kept for the backward. */
  private float[] packed = new float[0];
  private float[][] gradPacked;
  private float[][] gradSlab;
  private float[][] gyMajor;
  // The input gradient at stride 1 as a convolution of dY (depth-major, padded by the dilated kernel
  // minus the padding) with the flipped kernel; null when it runs slice by slice.
  private Geometry transposedSlab;
  private int transposedPhaseLen;
  private float[] flipped;
  private float[][] gyPacked;
  private float[][] gradWeight;
  private double[][] gradBias;
  // The tensors of the pass running now, for the chunk and part bodies.
  private Tensor input;
  private Tensor output;
  private Tensor gy;
  private Tensor gradInput;
  private int chunks;
  private int parts;
  private final IntConsumer forwardChunk = this::forwardChunk;
  private final Parallel.Part backwardPart = this::backwardPart;

  /**
   * A {@code kernel^3} convolution at stride 1 without padding, with a bias: PyTorch's
   * {@code nn.Conv3d(in, out, kernel)}. For other settings use {@link #builder}.
   *
   * @param in input channels
   * @param out output channels
   * @param kernel the kernel's depth, height and width
   */
  public Conv3D(int in, int out, int kernel) {
    this(builder(in, out).kernel(kernel));
  }

  private Conv3D(Builder b) {
    this.in = b.in;
    this.out = b.out;
    this.groups = b.groups;
    this.kd = b.k[0];
    this.kh = b.k[1];
    this.kw = b.k[2];
    this.sd = b.s[0];
    this.sh = b.s[1];
    this.sw = b.s[2];
    this.dd = b.d[0];
    this.dh = b.d[1];
    this.dw = b.d[2];
    int[] p = b.p;
    String paddingText = b.same ? "same" : p[0] == p[1] && p[1] == p[2] ? Integer.toString(p[0])
        : p[0] + "x" + p[1] + "x" + p[2];
    this.description = describe(paddingText);
    validate();
    if (b.same) {
      try {
        int[] dh2 = Padding.SAME.resolve(kd, kh, sd, sh, dd, dh);
        int[] w2 = Padding.SAME.resolve(kw, kw, sw, sw, dw, dw);
        p = new int[] {dh2[0], dh2[1], w2[1]};
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(description + ": " + e.getMessage(), e);
      }
    } else if (p[0] < 0 || p[1] < 0 || p[2] < 0) {
      throw new IllegalArgumentException(description + ": padding " + paddingText + " (expected: >= 0 on every axis)");
    }
    this.pd = p[0];
    this.ph = p[1];
    this.pw = p[2];
    long seed = b.seed != null ? b.seed : Initializer.nextDefaultSeed();
    int fanIn = in / groups * kd * kh * kw;
    int fanOut = out * kd * kh * kw;
    Tensor w = Tensor.zeros(out, in / groups, kd, kh, kw);
    b.initializer.fill(w, fanIn, fanOut, seed);
    this.weight = new Parameter("weight", w);
    if (b.bias) {
      Tensor bt = Tensor.zeros(out);
      b.biasInitializer.fill(bt, fanIn, fanOut, seed ^ 0xB1A5B1A5B1A5B1A5L);
      this.bias = new Parameter("bias", bt);
    } else {
      this.bias = null;
    }
    this.arranged = new float[w.size()];
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

  private static String triple(int a, int b, int c) {
    return a + "x" + b + "x" + c;
  }

  private String describe(String paddingText) {
    StringBuilder s = new StringBuilder("Conv3D(").append(in).append("->").append(out)
        .append(", k=").append(triple(kd, kh, kw));
    if (sd != 1 || sh != 1 || sw != 1) {
      s.append(", stride=").append(triple(sd, sh, sw));
    }
    if (!paddingText.equals("0")) {
      s.append(", padding=").append(paddingText);
    }
    if (dd != 1 || dh != 1 || dw != 1) {
      s.append(", dilation=").append(triple(dd, dh, dw));
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
    if (kd < 1 || kh < 1 || kw < 1) {
      throw new IllegalArgumentException(description + ": kernel " + triple(kd, kh, kw)
          + " (expected: >= 1 on every axis)");
    }
    if (sd < 1 || sh < 1 || sw < 1) {
      throw new IllegalArgumentException(description + ": stride " + triple(sd, sh, sw)
          + " (expected: >= 1 on every axis)");
    }
    if (dd < 1 || dh < 1 || dw < 1) {
      throw new IllegalArgumentException(description + ": dilation " + triple(dd, dh, dw)
          + " (expected: >= 1 on every axis)");
    }
    if (groups < 1 || in % groups != 0 || out % groups != 0) {
      throw new IllegalArgumentException(description + ": groups " + groups
          + " (expected: a divisor of both in channels " + in + " and out channels " + out + ")");
    }
  }

  /** The weight {@code [out, in/groups, kd, kh, kw]}. */
  public Parameter weight() {
    return weight;
  }

  /** The bias {@code [out]}, or null when the layer has none. */
  public Parameter bias() {
    return bias;
  }

  /** The padding per side as resolved for this kernel: {@code {d, h, w}}. */
  public int[] resolvedPadding() {
    return new int[] {pd, ph, pw};
  }

  @Override
  public String typeName() {
    return "Conv3D";
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
    if (x.rank() != 5) {
      throw new IllegalArgumentException(description + ": input " + x + " has rank " + x.rank()
          + " (expected: 5, [N, " + in + ", D, H, W])");
    }
    if (x.dim(1) != in) {
      throw new IllegalArgumentException(description + ": input " + x + " has " + x.dim(1)
          + " channels (expected: " + in + ")");
    }
    int spanD = dd * (kd - 1) + 1;
    int spanH = dh * (kh - 1) + 1;
    int spanW = dw * (kw - 1) + 1;
    int paddedD = x.dim(2) + 2 * pd;
    int paddedH = x.dim(3) + 2 * ph;
    int paddedW = x.dim(4) + 2 * pw;
    if (paddedD < spanD || paddedH < spanH || paddedW < spanW) {
      throw new IllegalArgumentException(description + ": input " + x + " padded by " + triple(pd, ph, pw) + " is "
          + triple(paddedD, paddedH, paddedW) + ", smaller than the dilated kernel " + triple(spanD, spanH, spanW)
          + " (expected: at least " + triple(spanD, spanH, spanW) + ")");
    }
    return Shape.of(x.dim(0), out, Geometry.outExtent(x.dim(2), kd, sd, pd, dd),
        Geometry.outExtent(x.dim(3), kh, sh, ph, dh), Geometry.outExtent(x.dim(4), kw, sw, pw, dw));
  }

  @Override
  public long flops(Shape x) {
    Shape y = outputShape(x);
    return 2L * y.dim(0) * out * y.dim(2) * y.dim(3) * y.dim(4) * (in / groups) * kd * kh * kw;
  }

  private long macs(int n) {
    return (long) n * out * outD * slab.colCols() * slab.colRows();
  }

  @Override
  protected void prepare(Shape x, Shape y) {
    int inG = in / groups;
    depth = x.dim(2);
    outD = y.dim(2);
    slab = new Geometry(kd * inG, x.dim(3), x.dim(4), kh, kw, sh, sw, ph, pw, dh, dw);
    phaseLen = (depth + 2 * pd + dd - 1) / dd;
    int plane = x.dim(3) * x.dim(4);
    packedSize = groups * dd * phaseLen * inG * plane;
    // Zero once: the padding slices are never written.
    packed = new float[x.dim(0) * packedSize];
    int threads = Parallel.threads();
    int outG = out / groups;
    int tpd = dd * (kd - 1) - pd;
    int tph = dh * (kh - 1) - ph;
    int tpw = dw * (kw - 1) - pw;
    boolean transposed = sd == 1 && sh == 1 && sw == 1 && tpd >= 0 && tph >= 0 && tpw >= 0
        && inG >= Conv2D.TRANSPOSED_MIN_IN;
    if (transposed) {
      transposedSlab = new Geometry(kd * outG, y.dim(3), y.dim(4), kh, kw, 1, 1, tph, tpw, dh, dw);
      transposedPhaseLen = (outD + 2 * tpd + dd - 1) / dd;
      flipped = new float[weight.value().size()];
      gyPacked = new float[threads][groups * dd * transposedPhaseLen * outG * slab.colCols()];
      gradPacked = null;
      gradSlab = null;
      gyMajor = null;
    } else {
      transposedSlab = null;
      flipped = null;
      gyPacked = null;
      gradPacked = new float[threads][packedSize];
      gradSlab = new float[threads][kd * inG * plane];
      gyMajor = new float[threads][out * outD * slab.colCols()];
    }
    int partials = ParallelPolicy.CONV.parts(macs(x.dim(0)), x.dim(0));
    gradWeight = new float[partials][weight.value().size()];
    gradBias = new double[partials][out];
  }

  /** Where padded depth {@code d} sits among the depth-major buffer's slices (phase-major for dD > 1). */
  private int slice(int d) {
    return d % dd * phaseLen + d / dd;
  }

  /** As {@link #slice} in a depth-major buffer of {@code phaseLength} slices per phase. */
  private int slice(int d, int phaseLength) {
    return d % dd * phaseLength + d / dd;
  }

  @Override
  protected void forward(Tensor x, Tensor y, boolean training) {
    arrangeWeight();
    input = x;
    output = y;
    int n = x.dim(0);
    chunks = ParallelPolicy.CONV.chunks(macs(n), n);
    if (chunks == 1) {
      forwardChunk.accept(0);
    } else {
      Parallel.forRange(chunks, forwardChunk);
    }
  }

  /** arranged[o][a][c][i][j] := weight[o][c][a][i][j]. */
  private void arrangeWeight() {
    float[] w = weight.value().data();
    int wOff = weight.value().offset();
    int inG = in / groups;
    int khw = kh * kw;
    for (int o = 0; o < out; o++) {
      for (int c = 0; c < inG; c++) {
        for (int a = 0; a < kd; a++) {
          System.arraycopy(w, wOff + ((o * inG + c) * kd + a) * khw, arranged, ((o * kd + a) * inG + c) * khw, khw);
        }
      }
    }
  }

  private void forwardChunk(int t) {
    int n = input.dim(0);
    int first = n * t / chunks;
    int end = n * (t + 1) / chunks;
    for (int img = first; img < end; img++) {
      pack(img);
      forwardImage(img);
    }
  }

  /** Copies image {@code img} of the input into its depth-major buffer (the padding slices stay 0). */
  private void pack(int img) {
    int inG = in / groups;
    int plane = slab.inH() * slab.inW();
    float[] x = input.data();
    int base = img * packedSize;
    int group = dd * phaseLen * inG * plane;
    for (int grp = 0; grp < groups; grp++) {
      for (int c = 0; c < inG; c++) {
        int src = input.offset() + ((img * in + grp * inG + c) * depth) * plane;
        for (int z = 0; z < depth; z++) {
          System.arraycopy(x, src + z * plane, packed, base + grp * group + (slice(z + pd) * inG + c) * plane, plane);
        }
      }
    }
  }

  private void forwardImage(int img) {
    int inG = in / groups;
    int outG = out / groups;
    int k = slab.colRows();
    int p = slab.colCols();
    int sliceSize = inG * slab.inH() * slab.inW();
    int group = dd * phaseLen * sliceSize;
    float[] b = bias == null ? null : bias.value().data();
    for (int grp = 0; grp < groups; grp++) {
      int xBase = img * packedSize + grp * group;
      int yOff = (img * out + grp * outG) * outD * p;
      if (dd == 1) {
        conv.forwardImages(outG, slab, arranged, grp * outG * k, k, b, grp * outG, packed, xBase, sd * sliceSize,
            output.data(), yOff, p, outD * p, outD);
      } else {
        for (int z = 0; z < outD; z++) {
          conv.forwardImages(outG, slab, arranged, grp * outG * k, k, b, grp * outG, packed,
              xBase + slice(z * sd) * sliceSize, 0, output.data(), yOff + z * p, 0, outD * p, 1);
        }
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
    this.gy = gy;
    this.gradInput = gx;
    int n = x.dim(0);
    if (gx != null && transposedSlab != null) {
      flipWeight();
    }
    parts = ParallelPolicy.CONV.parts(macs(n), n);
    if (parts == 1) {
      backwardPart.run(0, 0);
    } else {
      Parallel.forParts(parts, backwardPart);
    }
    // The partials hold each group's gradient transposed, [K, outG], K in the arranged order.
    Tensor gw = weight.grad();
    float[] gwd = gw.data();
    int inG = in / groups;
    int outG = out / groups;
    int khw = kh * kw;
    int k = kd * inG * khw;
    for (int t = 0; t < parts; t++) {
      float[] part = gradWeight[t];
      for (int grp = 0; grp < groups; grp++) {
        int base = grp * outG * k;
        for (int o = 0; o < outG; o++) {
          int row = gw.offset() + base + o * k;
          for (int c = 0; c < inG; c++) {
            for (int a = 0; a < kd; a++) {
              int dst = row + (c * kd + a) * khw;
              int src = base + ((a * inG + c) * khw) * outG + o;
              for (int s = 0; s < khw; s++) {
                gwd[dst + s] += part[src + s * outG];
              }
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
    this.gradInput = null;
  }

  private void backwardPart(int t, int slot) {
    int n = gy.dim(0);
    Arrays.fill(gradWeight[t], 0f);
    Arrays.fill(gradBias[t], 0.0);
    int first = n * t / parts;
    int end = n * (t + 1) / parts;
    int inG = in / groups;
    int outG = out / groups;
    int k = slab.colRows();
    int p = slab.colCols();
    int sliceSize = inG * slab.inH() * slab.inW();
    int group = dd * phaseLen * sliceSize;
    int volume = outD * p;
    float[] g = gy.data();
    for (int img = first; img < end; img++) {
      int gyImg = gy.offset() + img * out * volume;
      for (int grp = 0; grp < groups; grp++) {
        int xBase = img * packedSize + grp * group;
        for (int z = 0; z < outD; z++) {
          conv.backwardWeightTransposed(outG, slab, packed, xBase + slice(z * sd) * sliceSize, g,
              gyImg + grp * outG * volume + z * p, volume, gradWeight[t], grp * outG * k, outG);
        }
      }
      if (bias != null) {
        double[] gb = gradBias[t];
        for (int o = 0; o < out; o++) {
          gb[o] += elementwise.sum(g, gyImg + o * volume, volume);
        }
      }
      if (gradInput != null) {
        inputGradient(img, slot);
      }
    }
  }

  /**
   * flipped[grp][c][a][o][i][j] := weight[grp*outG + o][c][kd-1-a][kh-1-i][kw-1-j]: per group the
   * {@code [in/groups, kd*out/groups*kh*kw]} matrix of the transposed convolution, its columns in the
   * order of the depth-major dY slab ({@code a} outer, then the channel).
   */
  private void flipWeight() {
    float[] w = weight.value().data();
    int wOff = weight.value().offset();
    int inG = in / groups;
    int outG = out / groups;
    int khw = kh * kw;
    int rowLen = kd * outG * khw;
    for (int grp = 0; grp < groups; grp++) {
      for (int o = 0; o < outG; o++) {
        for (int c = 0; c < inG; c++) {
          for (int a = 0; a < kd; a++) {
            int src = wOff + (((grp * outG + o) * inG + c) * kd + a) * khw;
            int dst = (grp * inG + c) * rowLen + ((kd - 1 - a) * outG + o) * khw + khw - 1;
            for (int t = 0; t < khw; t++) {
              flipped[dst - t] = w[src + t];
            }
          }
        }
      }
    }
  }

  /**
   * The input gradient of one image at stride 1: dY copied depth-major with its depth padding
   * {@code dD (kd - 1) - pD}, then one convolution per group with the flipped kernel, written straight
   * into the input gradient (every input slice is one output slice of it).
   */
  private void transposedInputGradient(int img, int slot) {
    int inG = in / groups;
    int outG = out / groups;
    int p = slab.colCols();
    int volume = outD * p;
    int tpd = dd * (kd - 1) - pd;
    int tPhase = transposedPhaseLen;
    float[] buf = gyPacked[slot];
    float[] g = gy.data();
    int gyImg = gy.offset() + img * out * volume;
    int sliceSize = outG * p;
    int group = dd * tPhase * sliceSize;
    for (int grp = 0; grp < groups; grp++) {
      for (int o = 0; o < outG; o++) {
        int src = gyImg + (grp * outG + o) * volume;
        for (int z = 0; z < outD; z++) {
          System.arraycopy(g, src + z * p, buf, grp * group + slice(z + tpd, tPhase) * sliceSize + o * p, p);
        }
      }
    }
    int plane = slab.inH() * slab.inW();
    int k = transposedSlab.colRows();
    float[] gx = gradInput.data();
    for (int grp = 0; grp < groups; grp++) {
      int gxOff = (img * in + grp * inG) * depth * plane;
      if (dd == 1) {
        conv.forwardImages(inG, transposedSlab, flipped, grp * inG * k, k, null, 0, buf, grp * group, sliceSize,
            gx, gxOff, plane, depth * plane, depth);
      } else {
        for (int z = 0; z < depth; z++) {
          conv.forwardImages(inG, transposedSlab, flipped, grp * inG * k, k, null, 0, buf,
              grp * group + slice(z, tPhase) * sliceSize, 0, gx, gxOff + z * plane, 0, depth * plane, 1);
        }
      }
    }
  }

  /** The input gradient of one image: per output slice a transposed 2-D convolution, summed depth-major, then unpacked. */
  private void inputGradient(int img, int slot) {
    if (transposedSlab != null) {
      transposedInputGradient(img, slot);
      return;
    }
    int inG = in / groups;
    int outG = out / groups;
    int k = slab.colRows();
    int p = slab.colCols();
    int plane = slab.inH() * slab.inW();
    int sliceSize = inG * plane;
    int group = dd * phaseLen * sliceSize;
    int volume = outD * p;
    float[] g = gy.data();
    int gyImg = gy.offset() + img * out * volume;
    // dY of the image slice-major, [outD, out, P]: the kernel wants each slice's rows contiguous.
    float[] major = gyMajor[slot];
    for (int o = 0; o < out; o++) {
      for (int z = 0; z < outD; z++) {
        System.arraycopy(g, gyImg + o * volume + z * p, major, (z * out + o) * p, p);
      }
    }
    float[] acc = gradPacked[slot];
    Arrays.fill(acc, 0f);
    float[] tmp = gradSlab[slot];
    for (int grp = 0; grp < groups; grp++) {
      for (int z = 0; z < outD; z++) {
        conv.backwardData(outG, slab, arranged, grp * outG * k, k, major, (z * out + grp * outG) * p, 0, tmp, 0, 0, 1);
        int at = grp * group + slice(z * sd) * sliceSize;
        elementwise.add(acc, at, tmp, 0, acc, at, kd * sliceSize);
      }
    }
    float[] gx = gradInput.data();
    for (int grp = 0; grp < groups; grp++) {
      for (int c = 0; c < inG; c++) {
        int dst = ((img * in + grp * inG + c) * depth) * plane;
        for (int z = 0; z < depth; z++) {
          System.arraycopy(acc, grp * group + (slice(z + pd) * inG + c) * plane, gx, dst + z * plane, plane);
        }
      }
    }
  }

  /** Configures a {@link Conv3D}; every setter returns this builder. */
  public static final class Builder {
    private final int in;
    private final int out;
    /** All 0 until {@link #kernel} is called. */
    private int[] k = {0, 0, 0};
    private int[] s = {1, 1, 1};
    private int[] p = {0, 0, 0};
    private boolean same;
    private int[] d = {1, 1, 1};
    private int groups = 1;
    private boolean bias = true;
    private Initializer initializer = Initializer.HE_UNIFORM;
    private Initializer biasInitializer = Initializer.ZEROS;
    private Long seed;

    private Builder(int in, int out) {
      this.in = in;
      this.out = out;
    }

    /** A cubic {@code k x k x k} kernel. */
    public Builder kernel(int k) {
      return kernel(k, k, k);
    }

    /** A {@code kd x kh x kw} kernel. */
    public Builder kernel(int kd, int kh, int kw) {
      this.k = new int[] {kd, kh, kw};
      return this;
    }

    /** The same stride on every axis (default 1). */
    public Builder stride(int s) {
      return stride(s, s, s);
    }

    /** Strides along depth, height and width. */
    public Builder stride(int sd, int sh, int sw) {
      this.s = new int[] {sd, sh, sw};
      return this;
    }

    /** {@code p} zeros on every side. */
    public Builder padding(int p) {
      return padding(p, p, p);
    }

    /** Zeros on each side along depth, height and width. */
    public Builder padding(int pd, int ph, int pw) {
      this.p = new int[] {pd, ph, pw};
      this.same = false;
      return this;
    }

    /**
     * The padding as text: {@code "same"} (stride 1, {@code dilation*(k-1)/2} per side),
     * {@code "valid"} (none), an integer, or three integers {@code "d,h,w"}.
     */
    public Builder padding(String text) {
      String t = Objects.requireNonNull(text, "text").trim().toLowerCase(Locale.ROOT);
      if (t.equals("same")) {
        this.same = true;
        return this;
      }
      if (t.equals("valid")) {
        return padding(0);
      }
      String[] parts = (t.startsWith("(") && t.endsWith(")") ? t.substring(1, t.length() - 1) : t).split(",", -1);
      try {
        if (parts.length == 1) {
          return padding(Integer.parseInt(parts[0].trim()));
        }
        if (parts.length == 3) {
          return padding(Integer.parseInt(parts[0].trim()), Integer.parseInt(parts[1].trim()),
              Integer.parseInt(parts[2].trim()));
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      throw new IllegalArgumentException(
          "padding: \"" + text + "\" (expected: \"same\", \"valid\", an integer or \"d,h,w\")");
    }

    /** {@link Padding#SAME}, {@link Padding#VALID} or an explicit {@link Padding#of(int)} (the same on every axis). */
    public Builder padding(Padding p) {
      Objects.requireNonNull(p, "p");
      if (p.isSame()) {
        this.same = true;
        return this;
      }
      int[] r = p.resolve(1, 1, 1, 1, 1, 1);
      if (r[0] != r[1]) {
        throw new IllegalArgumentException("padding " + p
            + " (expected: the same on every axis; use padding(pd, ph, pw) for a 3-D padding)");
      }
      return padding(r[0]);
    }

    /** The same dilation on every axis (default 1). */
    public Builder dilation(int d) {
      return dilation(d, d, d);
    }

    /** Dilations along depth, height and width. */
    public Builder dilation(int dd, int dh, int dw) {
      this.d = new int[] {dd, dh, dw};
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
     *     stride or dilation, negative padding, groups not dividing both channel counts, or
     *     'same' padding it cannot do
     */
    public Conv3D build() {
      if (k[0] == 0 && k[1] == 0 && k[2] == 0) {
        throw new IllegalArgumentException("Conv3D(" + in + "->" + out
            + "): no kernel size (expected: .kernel(k) or .kernel(kd, kh, kw), as PyTorch's kernel_size)");
      }
      return new Conv3D(this);
    }
  }
}

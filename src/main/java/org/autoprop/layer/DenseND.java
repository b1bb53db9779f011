package org.autoprop.layer;

import java.util.List;
import java.util.Objects;
import java.util.function.IntConsumer;
import org.autoprop.kernel.Gemm;
import org.autoprop.kernel.GemmKernels;
import org.autoprop.kernel.Parallel;
import org.autoprop.kernel.ParallelPolicy;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * A fully connected layer on any axis but the batch axis (Luma's {@code DenseND(in, out, axis)}):
 * the features are the elements along {@code axis}, which goes from {@code in} to {@code out}
 * extents, e.g. axis 1 of {@code [N, C, L]} gives {@code [N, out, L]}. PyTorch has no module for
 * it; its definition is {@code nn.Linear} applied with the axis moved last and moved back:
 *
 * <pre>{@code
 * y = linear(x.movedim(axis, -1)).movedim(-1, axis)
 * }</pre>
 *
 * with PyTorch's layout and names, weight {@code [out, in]} and bias {@code [out]}; on the last
 * axis it is {@link Dense}. Luma stores the weight transposed ({@code [in, out]}).
 *
 * <p>Nothing is moved: the input is viewed as {@code [A, in, B]} ({@code A} the product of the
 * axes before {@code axis}, {@code B} of those after it) and each of the {@code A} blocks is one
 * GEMM {@code Y_a = W X_a} ({@code [out, in] x [in, B]}), split over the engine threads by blocks
 * when the work is large; the input gradient is {@code W^T dY_a} per block and the weight gradient
 * {@code sum_a dY_a X_a^T}, added in block order (split over output features), so the result does
 * not depend on the thread count. With {@code B = 1} (the last axis) it is one GEMM over all rows,
 * as {@link Dense}. Initialization and seeds are {@link Dense}'s.
 */
public final class DenseND extends AbstractLayer {
  private final int in;
  private final int out;
  private final int axis;
  private final Parameter weight;
  private final Parameter bias;
  private final GemmKernels gemm = kernels.gemm();
  private final String description;

  // The pass running now, for the block bodies below.
  private Tensor x;
  private Tensor y;
  private Tensor gy;
  private Tensor gx;
  /** Blocks {@code A} and the elements after the axis {@code B} of the current shape. */
  private int blocks;
  private int inner;
  private int chunks;
  private final IntConsumer forwardChunk = this::forwardChunk;
  private final IntConsumer gradInputChunk = this::gradInputChunk;
  private final IntConsumer gradWeightChunk = this::gradWeightChunk;

  /**
   * An {@code in -> out} layer on {@code axis} with a bias and {@link Dense}'s default
   * initialization.
   *
   * @param in the extent of {@code axis} in the input
   * @param out its extent in the output
   * @param axis the axis (negative counts from the end), not the batch axis
   */
  public DenseND(int in, int out, int axis) {
    this(builder(in, out, axis));
  }

  private DenseND(Builder b) {
    this.in = b.in;
    this.out = b.out;
    this.axis = b.axis;
    this.description = "DenseND(" + in + "->" + out + ", axis=" + axis + ")";
    if (in < 1 || out < 1) {
      throw new IllegalArgumentException(description + ": features " + in + "->" + out + " (expected: >= 1 each)");
    }
    if (axis == 0) {
      throw new IllegalArgumentException(description + ": axis 0 is the batch axis (expected: an axis >= 1 or < 0)");
    }
    long seed = b.seed != null ? b.seed : Initializer.nextDefaultSeed();
    Tensor w = Tensor.zeros(out, in);
    b.initializer.fill(w, in, out, seed);
    this.weight = new Parameter("weight", w);
    if (b.bias) {
      Tensor bt = Tensor.zeros(out);
      b.biasInitializer.fill(bt, in, out, seed ^ 0xB1A5B1A5B1A5B1A5L);
      this.bias = new Parameter("bias", bt);
    } else {
      this.bias = null;
    }
  }

  /**
   * A builder (defaults as {@link Dense.Builder}: bias, He-uniform weights, zero bias).
   *
   * @param in the extent of {@code axis} in the input
   * @param out its extent in the output
   * @param axis the axis (negative counts from the end), not the batch axis
   * @return the builder
   */
  public static Builder builder(int in, int out, int axis) {
    return new Builder(in, out, axis);
  }

  /** The weight {@code [out, in]}. */
  public Parameter weight() {
    return weight;
  }

  /** The bias {@code [out]}, or null when the layer has none. */
  public Parameter bias() {
    return bias;
  }

  /** The axis as given (possibly negative). */
  public int axis() {
    return axis;
  }

  @Override
  public String typeName() {
    return "DenseND";
  }

  @Override
  public String toString() {
    return description;
  }

  @Override
  public List<Parameter> parameters() {
    return bias == null ? List.of(weight) : List.of(weight, bias);
  }

  /**
   * The input with {@code axis} of extent {@code out}.
   *
   * @throws IllegalArgumentException when the axis is not in the input, is its batch axis, or has
   *     an extent other than {@code in}
   */
  @Override
  public Shape outputShape(Shape x) {
    int rank = x.rank();
    int needed = axis > 0 ? axis + 1 : 1 - axis;
    if (rank < needed) {
      throw new IllegalArgumentException(description + ": input " + x + " has rank " + rank
          + " (expected: >= " + needed + ", for axis " + axis + " beyond the batch axis)");
    }
    int a = x.axisIndex(axis);
    if (x.dim(a) != in) {
      throw new IllegalArgumentException(description + ": input " + x + " has " + x.dim(a)
          + " features on axis " + a + " (expected: " + in + ")");
    }
    return x.withDim(a, out);
  }

  /** {@code 2 * A * B * in * out}: a multiply-add per weight per position. */
  @Override
  public long flops(Shape x) {
    return 2L * outputShape(x).size() * in;
  }

  @Override
  protected void prepare(Shape input, Shape output) {
    int a = input.axisIndex(axis);
    blocks = input.sizeOf(0, a);
    inner = input.sizeOf(a + 1, input.rank());
  }

  private static int chunks(int parts, long work) {
    return ParallelPolicy.DENSE.chunks(work, parts);
  }

  private static void run(int chunks, IntConsumer body) {
    if (chunks == 1) {
      body.accept(0);
    } else if (chunks > 1) {
      Parallel.forRange(chunks, body);
    }
  }

  @Override
  protected void forward(Tensor x, Tensor y, boolean training) {
    this.x = x;
    this.y = y;
    chunks = chunks(blocks, (long) blocks * inner * in * out);
    run(chunks, forwardChunk);
    this.x = null;
    this.y = null;
  }

  /** Blocks (or rows, for {@code B = 1}) of chunk {@code t}: y = bias, then y += W x. */
  private void forwardChunk(int t) {
    int from = blocks * t / chunks;
    int to = blocks * (t + 1) / chunks;
    float[] xd = x.data();
    float[] yd = y.data();
    float[] w = weight.value().data();
    boolean hasBias = bias != null;
    if (inner == 1) {
      for (int r = from; r < to && hasBias; r++) {
        System.arraycopy(bias.value().data(), 0, yd, r * out, out);
      }
      Gemm.multiplySerial(gemm, false, true, to - from, out, in, xd, x.offset() + from * in, in, w, 0, in, yd, from * out, out, hasBias);
      return;
    }
    for (int b = from; b < to; b++) {
      int yOff = b * out * inner;
      if (hasBias) {
        float[] bd = bias.value().data();
        for (int o = 0; o < out; o++) {
          java.util.Arrays.fill(yd, yOff + o * inner, yOff + (o + 1) * inner, bd[o]);
        }
      }
      Gemm.multiplySerial(gemm, false, false, out, inner, in, w, 0, in, xd, x.offset() + b * in * inner, inner,
          yd, yOff, inner, hasBias);
    }
  }

  @Override
  protected void backward(Tensor x, Tensor y, Tensor gy, Tensor gx) {
    this.x = x;
    this.gy = gy;
    this.gx = gx;
    long work = (long) blocks * inner * in * out;
    chunks = chunks(blocks, work);
    run(chunks, gradInputChunk);
    chunks = chunks(out, work);
    run(chunks, gradWeightChunk);
    if (bias != null) {
      float[] gb = bias.grad().data();
      float[] g = gy.data();
      int off = gy.offset();
      if (inner == 1) {
        for (int r = 0; r < blocks; r++) {
          for (int o = 0; o < out; o++) {
            gb[o] += g[off + r * out + o];
          }
        }
      } else {
        // Per feature, in block order: a fixed order whatever the threads.
        for (int o = 0; o < out; o++) {
          double s = 0;
          for (int b = 0; b < blocks; b++) {
            int at = off + (b * out + o) * inner;
            for (int i = 0; i < inner; i++) {
              s += g[at + i];
            }
          }
          gb[o] += (float) s;
        }
      }
    }
    this.x = null;
    this.gy = null;
    this.gx = null;
  }

  /** Blocks (or rows) of chunk {@code t}: gx = W^T gy per block. */
  private void gradInputChunk(int t) {
    int from = blocks * t / chunks;
    int to = blocks * (t + 1) / chunks;
    float[] w = weight.value().data();
    if (inner == 1) {
      Gemm.multiplySerial(gemm, false, false, to - from, in, out, gy.data(), gy.offset() + from * out, out, w, 0, in,
          gx.data(), from * in, in, false);
      return;
    }
    for (int b = from; b < to; b++) {
      Gemm.multiplySerial(gemm, true, false, in, inner, out, w, 0, in, gy.data(), gy.offset() + b * out * inner, inner,
          gx.data(), b * in * inner, inner, false);
    }
  }

  /** Output features of chunk {@code t}: gW += sum over blocks of gy_b x_b^T, in block order. */
  private void gradWeightChunk(int t) {
    int from = out * t / chunks;
    int to = out * (t + 1) / chunks;
    float[] gw = weight.grad().data();
    if (inner == 1) {
      Gemm.multiplySerial(gemm, true, false, to - from, in, blocks, gy.data(), gy.offset() + from, out,
          x.data(), x.offset(), in, gw, from * in, in, true);
      return;
    }
    for (int b = 0; b < blocks; b++) {
      Gemm.multiplySerial(gemm, false, true, to - from, in, inner, gy.data(), gy.offset() + (b * out + from) * inner, inner,
          x.data(), x.offset() + b * in * inner, inner, gw, from * in, in, true);
    }
  }

  /** Configures a {@link DenseND}; every setter returns this builder. */
  public static final class Builder {
    private final int in;
    private final int out;
    private final int axis;
    private boolean bias = true;
    private Initializer initializer = Initializer.HE_UNIFORM;
    private Initializer biasInitializer = Initializer.ZEROS;
    private Long seed;

    private Builder(int in, int out, int axis) {
      this.in = in;
      this.out = out;
      this.axis = axis;
    }

    /** Whether the layer has a bias (default true). */
    public Builder bias(boolean b) {
      this.bias = b;
      return this;
    }

    /** The weight initializer (default {@link Initializer#HE_UNIFORM}, fan-in {@code in}). */
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
     * @throws IllegalArgumentException when a feature count is below 1 or the axis is 0
     */
    public DenseND build() {
      return new DenseND(this);
    }
  }
}

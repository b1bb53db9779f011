package org.autoprop.layer;

import java.util.List;
import java.util.Objects;
import java.util.function.IntConsumer;
import org.autoprop.kernel.ElementwiseKernels;
import org.autoprop.kernel.Gemm;
import org.autoprop.kernel.GemmKernels;
import org.autoprop.kernel.Parallel;
import org.autoprop.kernel.ParallelPolicy;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * A fully connected layer on the last axis, as PyTorch's {@code nn.Linear}:
 * {@code y = x W^T + b} for {@code x [..., in]} of rank 2 or more ({@code [N, in]},
 * {@code [N, T, in]}, ...) giving {@code y [..., out]}, with weight {@code [out, in]} and bias
 * {@code [out]}. The leading axes are rows of one matrix {@code [rows, in]} (a view: nothing is
 * copied), so a sequence {@code [N, T, in]} is {@code N * T} rows. For another axis see
 * {@link DenseND}.
 *
 * <p>One GEMM per pass with the transpose folded into the kernel. Large products are split into
 * disjoint row blocks across the engine threads (rows for {@code y} and the input gradient,
 * output features for the weight gradient). Weights default to {@link Initializer#HE_UNIFORM}
 * ({@code U(-b, b)}, {@code b = sqrt(6 / in)}), biases to zeros; without {@link Builder#seed} the
 * seed is {@link Initializer#nextDefaultSeed()}.
 */
public final class Dense extends AbstractLayer {
  private final int in;
  private final int out;
  private final Parameter weight;
  private final Parameter bias;
  private final GemmKernels gemm = kernels.gemm();
  private final ElementwiseKernels elementwise = kernels.elementwise();
  private final String description;

  // The tensors of the pass running now, for the block bodies below.
  private Tensor x;
  private Tensor y;
  private Tensor gy;
  private Tensor gx;
  private int chunks;
  // Built once: a capturing lambda per call would allocate.
  private final IntConsumer forwardBlock = this::forwardBlock;
  private final IntConsumer gradInputBlock = this::gradInputBlock;
  private final IntConsumer gradWeightBlock = this::gradWeightBlock;

  /** An {@code in -> out} layer with a bias and the default initialization. */
  public Dense(int in, int out) {
    this(builder(in, out));
  }

  private Dense(Builder b) {
    this.in = b.in;
    this.out = b.out;
    this.description = "Dense(" + in + "->" + out + ")";
    if (in < 1 || out < 1) {
      throw new IllegalArgumentException(description + ": features " + in + "->" + out + " (expected: >= 1 each)");
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

  /** A builder for an {@code in -> out} layer (defaults: bias, He-uniform weights, zero bias). */
  public static Builder builder(int in, int out) {
    return new Builder(in, out);
  }

  /** The weight {@code [out, in]}. */
  public Parameter weight() {
    return weight;
  }

  /** The bias {@code [out]}, or null when the layer has none. */
  public Parameter bias() {
    return bias;
  }

  @Override
  public String typeName() {
    return "Dense";
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
    if (x.rank() < 2) {
      throw new IllegalArgumentException(description + ": input " + x + " has rank " + x.rank()
          + " (expected: >= 2, [..., " + in + "])");
    }
    if (x.dim(-1) != in) {
      throw new IllegalArgumentException(description + ": input " + x + " has " + x.dim(-1)
          + " features (expected: " + in + ", [..., " + in + "])");
    }
    return x.withDim(-1, out);
  }

  /** {@code 2 * rows * in * out}, rows being the product of the leading axes. */
  @Override
  public long flops(Shape x) {
    Shape y = outputShape(x);
    return 2L * y.sizeOf(0, y.rank() - 1) * in * out;
  }

  /** The rows of a contiguous {@code [..., f]} tensor: the product of its leading axes. */
  private static int rows(Tensor t) {
    return t.shape().sizeOf(0, t.rank() - 1);
  }

  /** Blocks to split {@code rows} into: one (run on the caller) when the work is small. */
  private static int chunks(int rows, long work) {
    return ParallelPolicy.DENSE.chunks(work, rows);
  }

  /** Runs {@code body} over {@code chunks} blocks: directly when there is one, else on the pool. */
  private static void run(int chunks, IntConsumer body) {
    if (chunks == 1) {
      body.accept(0);
    } else {
      Parallel.forRange(chunks, body);
    }
  }

  @Override
  protected void forward(Tensor x, Tensor y, boolean training) {
    this.x = x;
    this.y = y;
    int n = rows(x);
    chunks = chunks(n, (long) n * in * out);
    run(chunks, forwardBlock);
    this.x = null;
    this.y = null;
  }

  /** Rows of block {@code t}: y = bias, then y += x W^T. */
  private void forwardBlock(int t) {
    int n = rows(x);
    int from = n * t / chunks;
    int to = n * (t + 1) / chunks;
    float[] yd = y.data();
    for (int r = from; r < to && bias != null; r++) {
      System.arraycopy(bias.value().data(), 0, yd, r * out, out);
    }
    Gemm.multiplySerial(gemm, false, true, to - from, out, in, x.data(), x.offset() + from * in, in,
        weight.value().data(), 0, in, yd, from * out, out, bias != null);
  }

  @Override
  protected void backward(Tensor x, Tensor y, Tensor gy, Tensor gx) {
    this.x = x;
    this.gy = gy;
    this.gx = gx;
    int n = rows(x);
    long work = (long) n * in * out;
    // gx = gy W, split over rows.
    chunks = chunks(n, work);
    run(chunks, gradInputBlock);
    // gW += gy^T x, split over output features (rows of gW).
    chunks = chunks(out, work);
    run(chunks, gradWeightBlock);
    if (bias != null) {
      float[] gb = bias.grad().data();
      for (int r = 0; r < n; r++) {
        elementwise.add(gb, 0, gy.data(), gy.offset() + r * out, gb, 0, out);
      }
    }
    this.x = null;
    this.gy = null;
    this.gx = null;
  }

  /** Rows of block {@code t}: gx = gy W. */
  private void gradInputBlock(int t) {
    int n = rows(x);
    int from = n * t / chunks;
    int to = n * (t + 1) / chunks;
    Gemm.multiplySerial(gemm, false, false, to - from, in, out, gy.data(), gy.offset() + from * out, out,
        weight.value().data(), 0, in, gx.data(), from * in, in, false);
  }

  /** Output features of block {@code t}: gW += gy^T x. */
  private void gradWeightBlock(int t) {
    int from = out * t / chunks;
    int to = out * (t + 1) / chunks;
    Gemm.multiplySerial(gemm, true, false, to - from, in, rows(x), gy.data(), gy.offset() + from, out,
        x.data(), x.offset(), in, weight.grad().data(), from * in, in, true);
  }

  /** Configures a {@link Dense}; every setter returns this builder. */
  public static final class Builder {
    private final int in;
    private final int out;
    private boolean bias = true;
    private Initializer initializer = Initializer.HE_UNIFORM;
    private Initializer biasInitializer = Initializer.ZEROS;
    private Long seed;

    private Builder(int in, int out) {
      this.in = in;
      this.out = out;
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
     * @throws IllegalArgumentException when a feature count is below 1
     */
    public Dense build() {
      return new Dense(this);
    }
  }
}

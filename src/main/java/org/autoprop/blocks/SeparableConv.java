package org.autoprop.blocks;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.autoprop.layer.Initializer;
import org.autoprop.layer.Layer;
import org.autoprop.models.GraphBlock;

/**
 * Luma's {@code SeparableConv1D/2D/3D}: a depthwise convolution (one filter per input channel)
 * followed by a pointwise (kernel 1) convolution that mixes the channels, each optionally followed
 * by a batch norm,
 *
 * <pre>
 * depthwise conv (in -> in, k, stride, padding "same", groups = in) -> [batch norm (in)]
 *     -> pointwise conv (in -> out, kernel 1) -> [batch norm (out)]
 * </pre>
 *
 * <p>Made by {@link SeparableConv1D#builder}, {@link SeparableConv2D#builder} or
 * {@link SeparableConv3D#builder}; Luma's defaults (padding {@code "same"}, stride 1, no batch
 * norm). Both convolutions have a bias, as in Luma. Nodes are named as {@code nn.Sequential}
 * children, counting only the layers present: without batch norm {@code 0.weight} is the
 * depthwise weight {@code [in, 1, k...]} and {@code 1.weight} the pointwise {@code [out, in, 1...]}.
 * The batch norm's momentum is PyTorch's (0.1 = Luma's 0.9).
 */
public final class SeparableConv extends GraphBlock {
  private final String typeName;

  private SeparableConv(Builder b) {
    super(Chain.indexed(b.layers()));
    this.typeName = "SeparableConv" + b.rank.suffix();
  }

  @Override
  public String typeName() {
    return typeName;
  }

  /** Options of a {@link SeparableConv}, Luma's defaults until set. */
  public static final class Builder {
    private final Rank rank;
    private final int in;
    private final int out;
    private int kernel = 3;
    private int stride = 1;
    private String padding = "same";
    private boolean batchNorm;
    private double momentum = 0.1;
    private Initializer initializer = Initializer.HE_UNIFORM;
    private Long seed;

    Builder(Rank rank, int in, int out) {
      if (in < 1 || out < 1) {
        throw new IllegalArgumentException("SeparableConv" + rank.suffix() + ": in " + in + ", out " + out
            + " (expected: >= 1 each)");
      }
      this.rank = rank;
      this.in = in;
      this.out = out;
    }

    /** The depthwise kernel's extent on every spatial axis (default 3). */
    public Builder kernel(int k) {
      this.kernel = k;
      return this;
    }

    /** The depthwise convolution's stride (default 1; {@code "same"} padding needs 1). */
    public Builder stride(int s) {
      this.stride = s;
      return this;
    }

    /** The depthwise convolution's padding: {@code "same"} (default), {@code "valid"} or an integer. */
    public Builder padding(String p) {
      this.padding = Objects.requireNonNull(p, "padding");
      return this;
    }

    /** {@code p} zeros on every side of every spatial axis. */
    public Builder padding(int p) {
      return padding(Integer.toString(p));
    }

    /** Whether each convolution is followed by a batch norm (default false, Luma's {@code do_batch_norm}). */
    public Builder batchNorm(boolean on) {
      this.batchNorm = on;
      return this;
    }

    /** The batch norms' momentum, PyTorch's convention (default 0.1 = Luma's 0.9). */
    public Builder momentum(double m) {
      if (!(m >= 0 && m <= 1)) {
        throw new IllegalArgumentException("SeparableConv" + rank.suffix() + ": momentum " + m
            + " (expected: 0 <= momentum <= 1)");
      }
      this.momentum = m;
      return this;
    }

    /** The weight initializer of both convolutions (default He uniform; biases start at zero). */
    public Builder initializer(Initializer init) {
      this.initializer = Objects.requireNonNull(init, "initializer");
      return this;
    }

    /** The seed of the initialization (default: the next of the global default sequence). */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    List<Layer> layers() {
      List<Layer> layers = new ArrayList<>();
      layers.add(rank.conv(in, in, kernel, stride, padding, in, initializer, Rank.derive(seed, 0)));
      if (batchNorm) {
        layers.add(rank.batchNorm(in, momentum));
      }
      layers.add(rank.conv(in, out, 1, 1, "valid", 1, initializer, Rank.derive(seed, 1)));
      if (batchNorm) {
        layers.add(rank.batchNorm(out, momentum));
      }
      return layers;
    }

    /** The block. */
    public SeparableConv build() {
      return new SeparableConv(this);
    }
  }
}

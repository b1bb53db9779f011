package org.autoprop.blocks;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import org.autoprop.layer.Initializer;
import org.autoprop.layer.Layer;
import org.autoprop.layer.ReLU;
import org.autoprop.models.GraphBlock;

/**
 * Luma's {@code ConvBlock1D/2D/3D}: a convolution, an optional batch norm, an activation and an
 * optional pool, in that order,
 *
 * <pre>
 * conv (k, stride, padding "same") -> [batch norm] -> activation -> [max or avg pool 2, stride 2]
 * </pre>
 *
 * <p>Made by {@link ConvBlock1D#builder}, {@link ConvBlock2D#builder} or
 * {@link ConvBlock3D#builder}. The defaults are Luma's: padding {@code "same"}, stride 1, batch
 * norm on, max pooling of window 2 and stride 2, and ReLU where Luma asks for an activation. The
 * nodes are named as the children of an {@code nn.Sequential} ({@code "0"}, {@code "1"}, ...,
 * counting only the layers present), so the parameters are {@code 0.weight}, {@code 0.bias},
 * {@code 1.weight}, {@code 1.running_mean}, ... as in torchvision's
 * {@code Conv2dNormActivation} followed by a pool.
 *
 * <p>Differences from Luma: the batch norm's momentum is PyTorch's (the weight of the batch, 0.1 by
 * default: Luma's {@code momentum=0.9} is the weight of the running value, the same rule); Luma's
 * per-layer {@code lambda_} (L2 penalty) is the optimizer's weight decay here.
 */
public final class ConvBlock extends GraphBlock {
  private final String typeName;

  private ConvBlock(Builder b) {
    super(Chain.indexed(b.layers()));
    this.typeName = "ConvBlock" + b.rank.suffix();
  }

  @Override
  public String typeName() {
    return typeName;
  }

  /** Options of a {@link ConvBlock}, Luma's defaults until set. */
  public static final class Builder {
    private final Rank rank;
    private final int in;
    private final int out;
    private int kernel = 3;
    private int stride = 1;
    private String padding = "same";
    private boolean batchNorm = true;
    private double momentum = 0.1;
    private Supplier<? extends Layer> activation = ReLU::new;
    private boolean pool = true;
    private boolean maxPool = true;
    private int poolSize = 2;
    private int poolStride = 2;
    private Initializer initializer = Initializer.HE_UNIFORM;
    private Long seed;

    Builder(Rank rank, int in, int out) {
      if (in < 1 || out < 1) {
        throw new IllegalArgumentException("ConvBlock" + rank.suffix() + ": in " + in + ", out " + out
            + " (expected: >= 1 each)");
      }
      this.rank = rank;
      this.in = in;
      this.out = out;
    }

    /** The convolution's kernel extent on every spatial axis (default 3, Luma's {@code filter_size}). */
    public Builder kernel(int k) {
      this.kernel = k;
      return this;
    }

    /** The convolution's stride (default 1; {@code "same"} padding needs 1). */
    public Builder stride(int s) {
      this.stride = s;
      return this;
    }

    /** The convolution's padding: {@code "same"} (default), {@code "valid"} or an integer. */
    public Builder padding(String p) {
      this.padding = Objects.requireNonNull(p, "padding");
      return this;
    }

    /** {@code p} zeros on every side of every spatial axis. */
    public Builder padding(int p) {
      return padding(Integer.toString(p));
    }

    /** Whether a batch norm follows the convolution (default true, Luma's {@code do_batch_norm}). */
    public Builder batchNorm(boolean on) {
      this.batchNorm = on;
      return this;
    }

    /** The batch norm's momentum, PyTorch's convention (default 0.1 = Luma's 0.9). */
    public Builder momentum(double m) {
      if (!(m >= 0 && m <= 1)) {
        throw new IllegalArgumentException("ConvBlock" + rank.suffix() + ": momentum " + m
            + " (expected: 0 <= momentum <= 1)");
      }
      this.momentum = m;
      return this;
    }

    /** Makes the activation (default {@code ReLU::new}); called once per block. */
    public Builder activation(Supplier<? extends Layer> make) {
      this.activation = Objects.requireNonNull(make, "activation");
      return this;
    }

    /** No pool at the end (Luma's {@code do_pooling=False}). */
    public Builder noPool() {
      this.pool = false;
      return this;
    }

    /** A max pool of window {@code size} and stride {@code stride} at the end (the default is 2, 2). */
    public Builder maxPool(int size, int stride) {
      return pool(true, size, stride);
    }

    /** An average pool of window {@code size} and stride {@code stride} at the end. */
    public Builder avgPool(int size, int stride) {
      return pool(false, size, stride);
    }

    private Builder pool(boolean max, int size, int stride) {
      this.pool = true;
      this.maxPool = max;
      this.poolSize = size;
      this.poolStride = stride;
      return this;
    }

    /** The convolution's weight initializer (default He uniform; the bias starts at zero). */
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
      layers.add(rank.conv(in, out, kernel, stride, padding, 1, initializer, Rank.derive(seed, 0)));
      if (batchNorm) {
        layers.add(rank.batchNorm(out, momentum));
      }
      layers.add(Objects.requireNonNull(activation.get(), "the activation supplier returned null"));
      if (pool) {
        layers.add(rank.pool(maxPool, poolSize, poolStride));
      }
      return layers;
    }

    /** The block. */
    public ConvBlock build() {
      return new ConvBlock(this);
    }
  }
}

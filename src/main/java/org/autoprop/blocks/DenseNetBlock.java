package org.autoprop.blocks;

import java.util.Objects;
import java.util.function.Supplier;
import org.autoprop.graph.LayerGraph;
import org.autoprop.graph.LayerNode;
import org.autoprop.graph.MergeMode;
import org.autoprop.layer.Conv2D;
import org.autoprop.layer.Identity;
import org.autoprop.layer.Initializer;
import org.autoprop.layer.Layer;
import org.autoprop.layer.ReLU;
import org.autoprop.models.GraphBlock;

/**
 * Luma's {@code DenseNetBlock} family on {@code [N, C, H, W]} (Huang et al., densely connected
 * networks), with torchvision's structure and parameter names so that a torchvision DenseNet's
 * weights load into these blocks:
 *
 * <ul>
 *   <li>{@link #composite}: Luma's {@code Composite}, torchvision's {@code _DenseLayer},
 *       {@code norm1 -> relu1 -> conv1 (1x1, bnSize * growth) -> norm2 -> relu2 -> conv2 (3x3,
 *       padding 1, growth)}; its output is the {@code growth} new feature maps only;
 *   <li>{@link #denseUnit}: Luma's {@code DenseUnit}, torchvision's {@code _DenseBlock}, layers
 *       {@code denselayer1 .. denselayerN}, each a composite fed the channel concatenation of the
 *       unit's input and every earlier layer's output (in that order); the output is the
 *       concatenation of all of them, {@code in + layers * growth} channels;
 *   <li>{@link #transition}: Luma's {@code Transition}, torchvision's {@code _Transition},
 *       {@code norm -> relu -> conv (1x1) -> pool (average, 2, stride 2)}.
 * </ul>
 *
 * <p>The concatenations are {@link MergeMode#CHCAT} nodes of the block's graph. Convolutions have
 * no bias, as in torchvision; weights start He normal ({@code sqrt(2 / fanIn)}, torchvision's
 * {@code kaiming_normal_}). Batch norms have PyTorch's momentum 0.1 (Luma's 0.9). torchvision's
 * {@code drop_rate} (0 in its models) and {@code memory_efficient} (checkpointing, the same
 * arithmetic) have no counterpart here.
 */
public final class DenseNetBlock extends GraphBlock {
  private final String typeName;

  private DenseNetBlock(LayerGraph graph, String typeName) {
    super(graph);
    this.typeName = typeName;
  }

  @Override
  public String typeName() {
    return typeName;
  }

  /**
   * torchvision's {@code _DenseLayer(in, growth, bnSize)}: output {@code growth} channels.
   *
   * @param in input channels
   * @param growth the growth rate: output channels
   * @return a builder (bottleneck size 4 until set)
   */
  public static Builder composite(int in, int growth) {
    return new Builder(Kind.COMPOSITE, in, 1, growth);
  }

  /**
   * torchvision's {@code _DenseBlock(layers, in, bnSize, growth)}: output
   * {@code in + layers * growth} channels.
   *
   * @param in input channels
   * @param layers the number of dense layers
   * @param growth the growth rate: channels each layer adds
   * @return a builder (bottleneck size 4 until set)
   */
  public static Builder denseUnit(int in, int layers, int growth) {
    return new Builder(Kind.DENSE_UNIT, in, layers, growth);
  }

  /**
   * torchvision's {@code _Transition(in, out)}: output {@code out} channels at half the height
   * and width (rounded down).
   *
   * @param in input channels
   * @param out output channels (torchvision's DenseNet takes {@code in / 2})
   * @return a builder
   */
  public static Builder transition(int in, int out) {
    return new Builder(Kind.TRANSITION, in, 1, out);
  }

  private enum Kind {
    COMPOSITE("DenseNetBlock.Composite"),
    DENSE_UNIT("DenseNetBlock.DenseUnit"),
    TRANSITION("DenseNetBlock.Transition");

    final String name;

    Kind(String name) {
      this.name = name;
    }
  }

  /** Options of a {@link DenseNetBlock}. */
  public static final class Builder {
    private final Kind kind;
    private final int in;
    private final int layers;
    /** The growth rate, or the transition's output channels. */
    private final int out;
    private int bnSize = 4;
    private double momentum = 0.1;
    private Supplier<? extends Layer> activation = ReLU::new;
    private Initializer initializer = Initializer.HE_NORMAL;
    private Long seed;

    Builder(Kind kind, int in, int layers, int out) {
      if (in < 1 || layers < 1 || out < 1) {
        String what = switch (kind) {
          case COMPOSITE -> "in " + in + ", growth " + out;
          case DENSE_UNIT -> "in " + in + ", layers " + layers + ", growth " + out;
          case TRANSITION -> "in " + in + ", out " + out;
        };
        throw new IllegalArgumentException(kind.name + ": " + what + " (expected: >= 1 each)");
      }
      long channels = in + (long) layers * out;
      if (kind == Kind.DENSE_UNIT && channels > Integer.MAX_VALUE) {
        throw new IllegalArgumentException(kind.name + ": in + layers * growth = " + channels
            + " channels (expected: <= " + Integer.MAX_VALUE + ")");
      }
      this.kind = kind;
      this.in = in;
      this.layers = layers;
      this.out = out;
    }

    /**
     * torchvision's {@code bn_size}: the bottleneck 1x1 convolution has {@code bnSize * growth}
     * outputs; default 4. Composite and dense unit only.
     */
    public Builder bnSize(int n) {
      if (kind == Kind.TRANSITION) {
        throw new IllegalArgumentException(kind.name + ": bnSize is an option of the composite and the dense unit");
      }
      if (n < 1 || (long) n * out > Integer.MAX_VALUE) {
        throw new IllegalArgumentException(kind.name + ": bnSize " + n + " (expected: 1 .. "
            + Integer.MAX_VALUE / out + " for growth " + out + ")");
      }
      this.bnSize = n;
      return this;
    }

    /** The batch norms' momentum, PyTorch's convention (default 0.1 = Luma's 0.9). */
    public Builder momentum(double m) {
      if (!(m >= 0 && m <= 1)) {
        throw new IllegalArgumentException(kind.name + ": momentum " + m + " (expected: 0 <= momentum <= 1)");
      }
      this.momentum = m;
      return this;
    }

    /** Makes the activation (default {@code ReLU::new}, torchvision's). */
    public Builder activation(Supplier<? extends Layer> make) {
      this.activation = Objects.requireNonNull(make, "activation");
      return this;
    }

    /** The convolutions' weight initializer (default He normal). */
    public Builder initializer(Initializer init) {
      this.initializer = Objects.requireNonNull(init, "initializer");
      return this;
    }

    /** The seed of the initialization (default: the next of the global default sequence). */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /** The block. */
    public DenseNetBlock build() {
      LayerGraph graph = switch (kind) {
        case COMPOSITE -> composite(in, seed);
        case DENSE_UNIT -> denseUnit();
        case TRANSITION -> LayerGraph.chain(
            new LayerNode(Rank.TWO.batchNorm(in, momentum), "norm"), new LayerNode(act(), "relu"),
            new LayerNode(conv(in, out, 1, Rank.derive(seed, 0)), "conv"),
            new LayerNode(Rank.TWO.pool(false, 2, 2), "pool"));
      };
      return new DenseNetBlock(graph, kind.name);
    }

    /** torchvision's {@code _DenseLayer} on {@code from} channels, its convolutions seeded from {@code layerSeed}. */
    private LayerGraph composite(int from, Long layerSeed) {
      int inter = bnSize * out;
      return LayerGraph.chain(
          new LayerNode(Rank.TWO.batchNorm(from, momentum), "norm1"), new LayerNode(act(), "relu1"),
          new LayerNode(conv(from, inter, 1, Rank.derive(layerSeed, 0)), "conv1"),
          new LayerNode(Rank.TWO.batchNorm(inter, momentum), "norm2"), new LayerNode(act(), "relu2"),
          new LayerNode(conv(inter, out, 3, Rank.derive(layerSeed, 1)), "conv2"));
    }

    /**
     * {@code in} feeds every layer and the output; layer {@code i} feeds every later layer and the
     * output. Each concatenating node declares its edges input first, then the layers in order:
     * torchvision's {@code torch.cat([x, y1, y2, ...], 1)}.
     */
    private LayerGraph denseUnit() {
      LayerNode root = new LayerNode(new Identity(), "in");
      LayerNode[] dense = new LayerNode[layers];
      LayerGraph.Builder g = LayerGraph.builder().root(root);
      for (int i = 0; i < layers; i++) {
        Layer layer = new DenseNetBlock(composite(in + i * out, Rank.derive(seed, i)), Kind.COMPOSITE.name);
        dense[i] = new LayerNode(layer, MergeMode.CHCAT, "denselayer" + (i + 1));
        g.edge(root, dense[i]);
        for (int j = 0; j < i; j++) {
          g.edge(dense[j], dense[i]);
        }
      }
      LayerNode concat = new LayerNode(new Identity(), MergeMode.CHCAT, "concat");
      g.edge(root, concat);
      for (LayerNode d : dense) {
        g.edge(d, concat);
      }
      return g.term(concat).build();
    }

    /** A stride-1 convolution without bias, padded to keep the size (torchvision's). */
    private Conv2D conv(int from, int to, int kernel, Long convSeed) {
      Conv2D.Builder b = Conv2D.builder(from, to).kernel(kernel).padding(kernel / 2).bias(false).initializer(initializer);
      return (convSeed == null ? b : b.seed(convSeed)).build();
    }

    private Layer act() {
      return Objects.requireNonNull(activation.get(), "the activation supplier returned null");
    }
  }
}

package org.autoprop.blocks;

import java.util.Objects;
import java.util.function.Supplier;
import org.autoprop.graph.LayerGraph;
import org.autoprop.graph.LayerNode;
import org.autoprop.graph.MergeMode;
import org.autoprop.layer.BatchNorm2D;
import org.autoprop.layer.Conv2D;
import org.autoprop.layer.Identity;
import org.autoprop.layer.Initializer;
import org.autoprop.layer.Layer;
import org.autoprop.layer.ReLU;
import org.autoprop.layer.Sequential;
import org.autoprop.models.GraphBlock;

/**
 * Luma's {@code ResNetBlock} family on {@code [N, C, H, W]}, with torchvision's structure and
 * parameter names so that a torchvision ResNet's weights load into a chain of these blocks:
 *
 * <ul>
 *   <li>{@link #basic}: torchvision's {@code BasicBlock} (expansion 1),
 *       {@code conv1 (3x3, stride) -> bn1 -> relu -> conv2 (3x3) -> bn2}, plus the shortcut, then
 *       ReLU;
 *   <li>{@link #bottleneck}: torchvision's {@code Bottleneck} (ResNet v1.5, expansion 4: the
 *       stride is on the 3x3), {@code conv1 (1x1) -> bn1 -> relu -> conv2 (3x3, stride, groups)
 *       -> bn2 -> relu -> conv3 (1x1) -> bn3}, plus the shortcut, then ReLU; its width is
 *       {@code planes * baseWidth / 64 * groups} (ResNeXt: groups 32, base width 4; Wide ResNet:
 *       base width 128); with {@link Builder#squeezeExcitation} Luma's {@code Bottleneck_SE}: an
 *       {@link SEBlock} gate (node {@code se}) multiplies {@code bn3}'s output (node
 *       {@code scale}) before the sum; with {@link Builder#seModule} timm's SE module there instead
 *       ({@code se.fc1.*}, {@code se.fc2.*}: SE-ResNet);
 *   <li>{@link #bottleneckSK}: Luma's {@code Bottleneck_SK}, {@code conv1 (1x1, in -> planes) -> bn1
 *       -> relu1 -> sk (an {@link SKBlock2D} planes -> planes: branches of kernels 3 and 5 with
 *       the block's stride and groups, their attention-weighted sum) -> conv3 (1x1) -> bn3}, plus
 *       the shortcut, then ReLU (Luma applies no stride on this path; here the branches have it);
 *   <li>{@link #preActBottleneck}: Luma's {@code PreActBottleneck} (He et al., identity
 *       mappings), {@code bn1 -> relu -> conv1 (1x1) -> bn2 -> relu -> conv2 (3x3, stride) ->
 *       bn3 -> relu -> conv3 (1x1)}, plus the shortcut, no activation after the sum.
 * </ul>
 *
 * <p>The shortcut is the input when the shapes agree; otherwise (stride other than 1, or
 * {@code in != planes * expansion}) it is torchvision's {@code downsample}: a 1x1 convolution of
 * that stride and a batch norm ({@code downsample.0.weight}, {@code downsample.1.*}); the
 * pre-activation block's shortcut is the convolution alone. Convolutions have no bias, as in
 * torchvision; weights start He normal ({@code sqrt(2 / fanIn)}; torchvision uses fan-out, which
 * changes only the initial scale). Batch norms have PyTorch's momentum 0.1 (Luma's 0.9).
 */
public final class ResNetBlock extends GraphBlock {
  private final String typeName;

  private ResNetBlock(LayerGraph graph, String typeName) {
    super(graph);
    this.typeName = typeName;
  }

  @Override
  public String typeName() {
    return typeName;
  }

  /**
   * torchvision's {@code BasicBlock(in, planes)}: output {@code planes} channels.
   *
   * @param in input channels
   * @param planes output channels
   * @return a builder (stride 1 until set)
   */
  public static Builder basic(int in, int planes) {
    return new Builder(Kind.BASIC, in, planes);
  }

  /**
   * torchvision's {@code Bottleneck(in, planes)}: output {@code 4 * planes} channels.
   *
   * @param in input channels
   * @param planes the bottleneck's planes (the output has four times as many channels)
   * @return a builder (stride 1, groups 1, base width 64 until set)
   */
  public static Builder bottleneck(int in, int planes) {
    return new Builder(Kind.BOTTLENECK, in, planes);
  }

  /**
   * timm's hidden width of its SE module on {@code channels} channels: {@code channels / 16}
   * rounded to a multiple of 8, at least 8 ({@code make_divisible(channels / 16, 8, round_limit=0)}).
   *
   * @param channels the gated channels
   * @return the hidden width
   */
  public static int timmSeWidth(int channels) {
    return Math.max(8, (int) (channels / 16.0 + 4) / 8 * 8);
  }

  /**
   * Luma's {@code Bottleneck_SK(in, planes)}: output {@code 4 * planes} channels, the 3x3 replaced
   * by a selective-kernel block.
   *
   * @param in input channels
   * @param planes the bottleneck's planes
   * @return a builder (stride 1, kernels 3 and 5, reduction 16, groups 1 until set: Luma's)
   */
  public static Builder bottleneckSK(int in, int planes) {
    return new Builder(Kind.BOTTLENECK_SK, in, planes);
  }

  /**
   * Luma's {@code PreActBottleneck(in, planes)}: output {@code 4 * planes} channels.
   *
   * @param in input channels
   * @param planes the bottleneck's planes
   * @return a builder (stride 1 until set)
   */
  public static Builder preActBottleneck(int in, int planes) {
    return new Builder(Kind.PRE_ACT_BOTTLENECK, in, planes);
  }

  private enum Kind {
    BASIC("ResNetBlock.Basic", 1),
    BOTTLENECK("ResNetBlock.Bottleneck", 4),
    BOTTLENECK_SK("ResNetBlock.Bottleneck_SK", 4),
    PRE_ACT_BOTTLENECK("ResNetBlock.PreActBottleneck", 4);

    final String name;
    final int expansion;

    Kind(String name, int expansion) {
      this.name = name;
      this.expansion = expansion;
    }
  }

  /** Options of a {@link ResNetBlock}. */
  public static final class Builder {
    private final Kind kind;
    private final int in;
    private final int planes;
    private int stride = 1;
    private int groups = 1;
    private int baseWidth = 64;
    private int seReduction;
    private int seModuleHidden;
    private int[] skKernels = {3, 5};
    private int skReduction = 16;
    private double momentum = 0.1;
    private Supplier<? extends Layer> activation = ReLU::new;
    private Initializer initializer = Initializer.HE_NORMAL;
    private Long seed;
    private int seeds;

    Builder(Kind kind, int in, int planes) {
      if (in < 1 || planes < 1) {
        throw new IllegalArgumentException(kind.name + ": in " + in + ", planes " + planes + " (expected: >= 1 each)");
      }
      this.kind = kind;
      this.in = in;
      this.planes = planes;
    }

    /** The stride of the block (on its 3x3 convolution and its shortcut); default 1. */
    public Builder stride(int s) {
      if (s < 1) {
        throw new IllegalArgumentException(kind.name + ": stride " + s + " (expected: >= 1)");
      }
      this.stride = s;
      return this;
    }

    /**
     * The 3x3 convolution's groups (ResNeXt's cardinality), or the selective-kernel branches'
     * groups in {@code Bottleneck_SK}; default 1.
     */
    public Builder groups(int g) {
      if (kind != Kind.BOTTLENECK && kind != Kind.BOTTLENECK_SK) {
        throw new IllegalArgumentException(kind.name + ": groups is an option of the bottleneck block");
      }
      if (g < 1) {
        throw new IllegalArgumentException(kind.name + ": groups " + g + " (expected: >= 1)");
      }
      this.groups = g;
      return this;
    }

    /** torchvision's {@code base_width} (width per group at 64 planes); default 64. Bottleneck only. */
    public Builder baseWidth(int w) {
      requireBottleneck("baseWidth");
      if (w < 1) {
        throw new IllegalArgumentException(kind.name + ": base width " + w + " (expected: >= 1)");
      }
      this.baseWidth = w;
      return this;
    }

    /**
     * Adds Luma's squeeze-and-excitation gate after {@code bn3} ({@code Bottleneck_SE}); Luma's
     * default reduction is 4. Bottleneck only.
     */
    public Builder squeezeExcitation(int reduction) {
      requireBottleneck("squeezeExcitation");
      this.seReduction = reduction;
      return this;
    }

    /**
     * Adds timm's squeeze-and-excitation module after {@code bn3} (SE-ResNet as timm's
     * {@code seresnet50}): the gate of torchvision's {@code ops.SqueezeExcitation}, 1x1
     * convolutions with bias {@code se.fc1} ({@code 4 planes -> hidden}) and {@code se.fc2}, which
     * multiplies {@code bn3}'s output (node {@code scale}) before the sum. timm's hidden width is
     * {@link #timmSeWidth}. Bottleneck only; not with {@link #squeezeExcitation}.
     */
    public Builder seModule(int hidden) {
      requireBottleneck("seModule");
      if (hidden < 1) {
        throw new IllegalArgumentException(kind.name + ": seModule hidden width " + hidden + " (expected: >= 1)");
      }
      this.seModuleHidden = hidden;
      return this;
    }

    /** The selective-kernel branches' kernel sizes (default 3 and 5, Luma's {@code filter_sizes}). Bottleneck_SK only. */
    public Builder skKernels(int... sizes) {
      requireSK("skKernels");
      this.skKernels = sizes.clone();
      return this;
    }

    /** The selective-kernel attention's reduction (default 16, Luma's). Bottleneck_SK only. */
    public Builder skReduction(int r) {
      requireSK("skReduction");
      this.skReduction = r;
      return this;
    }

    private void requireSK(String option) {
      if (kind != Kind.BOTTLENECK_SK) {
        throw new IllegalArgumentException(kind.name + ": " + option + " is an option of ResNetBlock.Bottleneck_SK");
      }
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

    private void requireBottleneck(String option) {
      if (kind != Kind.BOTTLENECK) {
        throw new IllegalArgumentException(kind.name + ": " + option + " is an option of the bottleneck block");
      }
    }

    private int out() {
      return planes * kind.expansion;
    }

    private Conv2D conv(int from, int to, int kernel, int convStride, int convGroups) {
      Conv2D.Builder b = Conv2D.builder(from, to).kernel(kernel).stride(convStride).padding(kernel / 2)
          .groups(convGroups).bias(false).initializer(initializer);
      Long s = Rank.derive(seed, seeds++);
      return (s == null ? b : b.seed(s)).build();
    }

    private BatchNorm2D bn(int channels) {
      return new BatchNorm2D(channels).momentum(momentum);
    }

    private Layer act() {
      return Objects.requireNonNull(activation.get(), "the activation supplier returned null");
    }

    /** The block. */
    public ResNetBlock build() {
      seeds = 0;
      LayerNode root = new LayerNode(new Identity(), "in");
      LayerGraph.Builder g = LayerGraph.builder().root(root);
      LayerNode residual = switch (kind) {
        case BASIC -> g.extend(root,
            new LayerNode(conv(in, planes, 3, stride, 1), "conv1"), new LayerNode(bn(planes), "bn1"),
            new LayerNode(act(), "relu"), new LayerNode(conv(planes, planes, 3, 1, 1), "conv2"),
            new LayerNode(bn(planes), "bn2"));
        case BOTTLENECK -> bottleneck(g, root);
        case BOTTLENECK_SK -> g.extend(root,
            new LayerNode(conv(in, planes, 1, 1, 1), "conv1"), new LayerNode(bn(planes), "bn1"),
            new LayerNode(act(), "relu1"), new LayerNode(selectiveKernel(), "sk"),
            new LayerNode(conv(planes, out(), 1, 1, 1), "conv3"), new LayerNode(bn(out()), "bn3"));
        case PRE_ACT_BOTTLENECK -> g.extend(root,
            new LayerNode(bn(in), "bn1"), new LayerNode(act(), "relu1"),
            new LayerNode(conv(in, planes, 1, 1, 1), "conv1"), new LayerNode(bn(planes), "bn2"),
            new LayerNode(act(), "relu2"), new LayerNode(conv(planes, planes, 3, stride, 1), "conv2"),
            new LayerNode(bn(planes), "bn3"), new LayerNode(act(), "relu3"),
            new LayerNode(conv(planes, out(), 1, 1, 1), "conv3"));
      };
      LayerNode sum = new LayerNode(kind == Kind.PRE_ACT_BOTTLENECK ? new Identity() : act(), MergeMode.SUM, "add");
      g.edge(residual, sum).term(sum);
      if (stride != 1 || in != out()) {
        Conv2D project = conv(in, out(), 1, stride, 1);
        Layer shortcut = kind == Kind.PRE_ACT_BOTTLENECK ? new Sequential(project) : new Sequential(project, bn(out()));
        LayerNode downsample = new LayerNode(shortcut, "downsample");
        g.edge(root, downsample).edge(downsample, sum);
      } else {
        g.edge(root, sum);
      }
      return new ResNetBlock(g.build(), kind.name);
    }

    private SKBlock selectiveKernel() {
      SKBlock.Builder sk = SKBlock2D.builder(planes, planes).kernels(skKernels).reduction(skReduction).groups(groups)
          .stride(stride).activation(activation).momentum(momentum);
      Long s = Rank.derive(seed, seeds++);
      return (s == null ? sk : sk.seed(s)).build();
    }

    private LayerNode bottleneck(LayerGraph.Builder g, LayerNode root) {
      long width = (long) planes * baseWidth / 64 * groups;
      if (width < 1 || width > Integer.MAX_VALUE) {
        throw new IllegalArgumentException(kind.name + ": width planes * baseWidth / 64 * groups = " + width
            + " (expected: 1 .. " + Integer.MAX_VALUE + ")");
      }
      int w = (int) width;
      LayerNode bn3 = g.extend(root,
          new LayerNode(conv(in, w, 1, 1, 1), "conv1"), new LayerNode(bn(w), "bn1"), new LayerNode(act(), "relu1"),
          new LayerNode(conv(w, w, 3, stride, groups), "conv2"), new LayerNode(bn(w), "bn2"),
          new LayerNode(act(), "relu2"), new LayerNode(conv(w, out(), 1, 1, 1), "conv3"),
          new LayerNode(bn(out()), "bn3"));
      if (seReduction == 0 && seModuleHidden == 0) {
        return bn3;
      }
      if (seReduction != 0 && seModuleHidden != 0) {
        throw new IllegalArgumentException(kind.name + ": squeezeExcitation and seModule together (expected: one gate)");
      }
      LayerNode gate;
      if (seModuleHidden != 0) {
        Long s1 = Rank.derive(seed, seeds++);
        Long s2 = Rank.derive(seed, seeds++);
        gate = new LayerNode(ConvGate.of(out(), seModuleHidden, initializer, s1, s2), "se");
      } else {
        SEBlock.Builder se = new SEBlock.Builder(Rank.TWO, out()).reduction(seReduction);
        Long s = Rank.derive(seed, seeds++);
        gate = new LayerNode((s == null ? se : se.seed(s)).build(), "se");
      }
      LayerNode scale = new LayerNode(new Identity(), MergeMode.HADAMARD, "scale");
      g.edge(bn3, gate).edge(bn3, scale).edge(gate, scale);
      return scale;
    }

  }
}

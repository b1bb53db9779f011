package org.autoprop.zoo;

import java.util.Arrays;
import java.util.Objects;
import org.autoprop.blocks.DenseNetBlock;
import org.autoprop.graph.LayerGraph;
import org.autoprop.graph.LayerNode;
import org.autoprop.layer.BatchNorm2D;
import org.autoprop.layer.Conv2D;
import org.autoprop.layer.Dense;
import org.autoprop.layer.Flatten;
import org.autoprop.layer.GlobalAvgPool2D;
import org.autoprop.layer.Initializer;
import org.autoprop.layer.Pool2D;
import org.autoprop.layer.ReLU;
import org.autoprop.models.GraphBlock;

/**
 * torchvision's DenseNet family (Huang et al.) on {@code [N, C, H, W]}: DenseNet-121/161/169/201,
 * with torchvision's structure and state-dict names ({@code features.conv0.weight},
 * {@code features.norm0.*}, {@code features.denseblock1.denselayer1.norm1.weight},
 * {@code features.transition1.conv.weight}, {@code features.norm5.*}, {@code classifier.weight}),
 * so that torchvision's weights map one to one (BatchNorm's {@code num_batches_tracked} aside: it
 * is not kept here).
 *
 * <pre>
 * features: conv0 (7x7, stride 2, init) -> norm0 -> relu0 -> pool0 (max 3, stride 2, padding 1)
 *     -> denseblock1 -> transition1 -> ... -> transition3 -> denseblock4 -> norm5
 * -> relu -> avgpool (global) -> flatten -> classifier
 * </pre>
 *
 * <p>Each dense block ({@link DenseNetBlock#denseUnit}) adds {@code layers * growth} channels;
 * each transition ({@link DenseNetBlock#transition}) halves the channels (rounded down) and the
 * height and width. Convolutions have no bias and start He normal; the classifier starts as
 * {@code nn.Linear} with a zero bias (torchvision's).
 *
 * <p>Example: {@code DenseNet.densenet121().classes(10).seed(7).build()}.
 */
public final class DenseNet extends GraphBlock {
  private final String typeName;

  private DenseNet(LayerGraph graph, String typeName) {
    super(graph);
    this.typeName = typeName;
  }

  @Override
  public String typeName() {
    return typeName;
  }

  /** DenseNet-121: growth 32, dense layers [6, 12, 24, 16], 64 initial features. */
  public static Builder densenet121() {
    return new Builder("DenseNet-121", 32, 64, new int[] {6, 12, 24, 16});
  }

  /** DenseNet-161: growth 48, dense layers [6, 12, 36, 24], 96 initial features. */
  public static Builder densenet161() {
    return new Builder("DenseNet-161", 48, 96, new int[] {6, 12, 36, 24});
  }

  /** DenseNet-169: growth 32, dense layers [6, 12, 32, 32], 64 initial features. */
  public static Builder densenet169() {
    return new Builder("DenseNet-169", 32, 64, new int[] {6, 12, 32, 32});
  }

  /** DenseNet-201: growth 32, dense layers [6, 12, 48, 32], 64 initial features. */
  public static Builder densenet201() {
    return new Builder("DenseNet-201", 32, 64, new int[] {6, 12, 48, 32});
  }

  /**
   * A DenseNet of any shape (torchvision's {@code DenseNet(growth_rate, block_config,
   * num_init_features)}): {@code blocks[i]} dense layers in dense block {@code i + 1}, a
   * transition between consecutive dense blocks.
   *
   * @param name the model's type name
   * @param growth the growth rate
   * @param initFeatures the stem convolution's output channels
   * @param blocks the dense layers per block, at least one block, positive counts
   * @return the builder
   */
  public static Builder custom(String name, int growth, int initFeatures, int... blocks) {
    return new Builder(name, growth, initFeatures, blocks);
  }

  /** Options of a {@link DenseNet}: torchvision's defaults (1000 classes, 3 input channels, bn_size 4). */
  public static final class Builder {
    private final String name;
    private final int growth;
    private final int initFeatures;
    private final int[] blocks;
    private int classes = 1000;
    private int inChannels = 3;
    private int bnSize = 4;
    private Long seed;

    private Builder(String name, int growth, int initFeatures, int[] blocks) {
      this.name = Objects.requireNonNull(name, "name");
      if (growth < 1 || initFeatures < 1) {
        throw new IllegalArgumentException(name + ": growth " + growth + ", initFeatures " + initFeatures
            + " (expected: >= 1 each)");
      }
      if (blocks.length == 0) {
        throw new IllegalArgumentException(name + ": no dense blocks (expected: >= 1 layer counts)");
      }
      for (int count : blocks) {
        if (count < 1) {
          throw new IllegalArgumentException(name + ": " + Arrays.toString(blocks)
              + " dense layers per block (expected: >= 1 each)");
        }
      }
      this.growth = growth;
      this.initFeatures = initFeatures;
      this.blocks = blocks.clone();
    }

    /** The classifier's outputs (default 1000). */
    public Builder classes(int n) {
      if (n < 1) {
        throw new IllegalArgumentException(name + ": classes " + n + " (expected: >= 1)");
      }
      this.classes = n;
      return this;
    }

    /** The input's channels (default 3). */
    public Builder inChannels(int n) {
      if (n < 1) {
        throw new IllegalArgumentException(name + ": inChannels " + n + " (expected: >= 1)");
      }
      this.inChannels = n;
      return this;
    }

    /** torchvision's {@code bn_size}: the dense layers' bottleneck is {@code bnSize * growth} wide (default 4). */
    public Builder bnSize(int n) {
      if (n < 1) {
        throw new IllegalArgumentException(name + ": bnSize " + n + " (expected: >= 1)");
      }
      this.bnSize = n;
      return this;
    }

    /** The seed of the initialization (default: the next of the global default sequence). */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    private Long seed(int i) {
      return seed == null ? null : seed * 0x9E3779B97F4A7C15L + 0x2545F4914F6CDD1DL * (i + 1);
    }

    /** The model. */
    public DenseNet build() {
      long widest = initFeatures;
      for (int count : blocks) {
        widest = widest + (long) count * growth;
        if (widest > Integer.MAX_VALUE) {
          throw new IllegalArgumentException(name + ": " + widest + " channels in a dense block (expected: <= "
              + Integer.MAX_VALUE + ")");
        }
        widest /= 2;
      }
      LayerNode classifierInput = new LayerNode(features(), "features");
      LayerGraph.Builder g = LayerGraph.builder().root(classifierInput);
      int channels = outChannels();
      Dense.Builder fc = Dense.builder(channels, classes).initializer(Initializer.PYTORCH_DEFAULT)
          .biasInitializer(Initializer.ZEROS);
      Long sf = seed(blocks.length * 2);
      LayerNode last = g.extend(classifierInput, new LayerNode(new ReLU(), "relu"),
          new LayerNode(new GlobalAvgPool2D(), "avgpool"), new LayerNode(new Flatten(), "flatten"),
          new LayerNode((sf == null ? fc : fc.seed(sf)).build(), "classifier"));
      return new DenseNet(g.term(last).build(), name);
    }

    /** The channels out of {@code norm5}. */
    private int outChannels() {
      int channels = initFeatures;
      for (int i = 0; i < blocks.length; i++) {
        channels += blocks[i] * growth;
        if (i != blocks.length - 1) {
          channels /= 2;
        }
      }
      return channels;
    }

    /** torchvision's {@code features}: the stem, the dense blocks and transitions, {@code norm5}. */
    private LayerGraph features() {
      Conv2D.Builder stem = Conv2D.builder(inChannels, initFeatures).kernel(7).stride(2).padding(3).bias(false)
          .initializer(Initializer.HE_NORMAL);
      Long s0 = seed(0);
      LayerNode conv0 = new LayerNode((s0 == null ? stem : stem.seed(s0)).build(), "conv0");
      LayerGraph.Builder g = LayerGraph.builder().root(conv0);
      LayerNode last = g.extend(conv0, new LayerNode(new BatchNorm2D(initFeatures), "norm0"),
          new LayerNode(new ReLU(), "relu0"), new LayerNode(Pool2D.max(3, 2, 1), "pool0"));
      int channels = initFeatures;
      for (int i = 0; i < blocks.length; i++) {
        DenseNetBlock.Builder unit = DenseNetBlock.denseUnit(channels, blocks[i], growth).bnSize(bnSize);
        Long s = seed(2 * i + 1);
        last = g.extend(last, new LayerNode((s == null ? unit : unit.seed(s)).build(), "denseblock" + (i + 1)));
        channels += blocks[i] * growth;
        if (i != blocks.length - 1) {
          DenseNetBlock.Builder transition = DenseNetBlock.transition(channels, channels / 2);
          Long t = seed(2 * i + 2);
          last = g.extend(last,
              new LayerNode((t == null ? transition : transition.seed(t)).build(), "transition" + (i + 1)));
          channels /= 2;
        }
      }
      last = g.extend(last, new LayerNode(new BatchNorm2D(channels), "norm5"));
      return g.term(last).build();
    }

  }
}

package org.autoprop.zoo;

import java.util.Objects;
import org.autoprop.blocks.ResNetBlock;
import org.autoprop.graph.LayerGraph;
import org.autoprop.graph.LayerNode;
import org.autoprop.layer.BatchNorm2D;
import org.autoprop.layer.Conv2D;
import org.autoprop.layer.Dense;
import org.autoprop.layer.Flatten;
import org.autoprop.layer.GlobalAvgPool2D;
import org.autoprop.layer.Initializer;
import org.autoprop.layer.Layer;
import org.autoprop.layer.Pool2D;
import org.autoprop.layer.ReLU;
import org.autoprop.layer.Sequential;
import org.autoprop.models.GraphBlock;

/**
 * torchvision's ResNet family (He et al.; ResNet v1.5, the stride on the bottleneck's 3x3) on
 * {@code [N, C, H, W]}: ResNet-18/34/50/101/152, ResNeXt-50 (32x4d), Wide ResNet-50-2 and timm's SE-ResNet-50, with
 * torchvision's structure and state-dict names ({@code conv1.weight}, {@code bn1.*},
 * {@code layer1.0.conv1.weight}, {@code layer2.0.downsample.0.weight}, {@code fc.weight}), so
 * that torchvision's weights map one to one (BatchNorm's {@code num_batches_tracked} aside: it is
 * not kept here).
 *
 * <pre>
 * conv1 (7x7, stride 2, 64) -> bn1 -> relu -> maxpool (3, stride 2, padding 1)
 *     -> layer1 (64) -> layer2 (128, stride 2) -> layer3 (256, stride 2) -> layer4 (512, stride 2)
 *     -> avgpool (global) -> flatten -> fc
 * </pre>
 *
 * <p>{@link Builder#smallImages()} is the usual variant for 32x32 images (CIFAR, Fashion-MNIST
 * padded): a 3x3 stride-1 {@code conv1} and no max pool. Convolutions have no bias; weights start
 * He normal, the classifier as {@code nn.Linear}.
 *
 * <p>Example: {@code ResNet.resnet18().classes(10).inChannels(1).smallImages().seed(7).build()}.
 */
public final class ResNet extends GraphBlock {
  private final String typeName;

  private ResNet(LayerGraph graph, String typeName) {
    super(graph);
    this.typeName = typeName;
  }

  @Override
  public String typeName() {
    return typeName;
  }

  /** ResNet-18: basic blocks [2, 2, 2, 2]. */
  public static Builder resnet18() {
    return new Builder("ResNet-18", false, new int[] {2, 2, 2, 2});
  }

  /** ResNet-34: basic blocks [3, 4, 6, 3]. */
  public static Builder resnet34() {
    return new Builder("ResNet-34", false, new int[] {3, 4, 6, 3});
  }

  /** ResNet-50: bottleneck blocks [3, 4, 6, 3]. */
  public static Builder resnet50() {
    return new Builder("ResNet-50", true, new int[] {3, 4, 6, 3});
  }

  /** ResNet-101: bottleneck blocks [3, 4, 23, 3]. */
  public static Builder resnet101() {
    return new Builder("ResNet-101", true, new int[] {3, 4, 23, 3});
  }

  /** ResNet-152: bottleneck blocks [3, 8, 36, 3]. */
  public static Builder resnet152() {
    return new Builder("ResNet-152", true, new int[] {3, 8, 36, 3});
  }

  /** ResNeXt-50 (32x4d): ResNet-50 with 32 groups of width 4 in each 3x3. */
  public static Builder resnext50x32x4d() {
    Builder b = new Builder("ResNeXt-50 (32x4d)", true, new int[] {3, 4, 6, 3});
    b.groups = 32;
    b.baseWidth = 4;
    return b;
  }

  /** Wide ResNet-50-2: ResNet-50 with bottlenecks twice as wide (base width 128). */
  public static Builder wideResnet50x2() {
    Builder b = new Builder("Wide ResNet-50-2", true, new int[] {3, 4, 6, 3});
    b.baseWidth = 128;
    return b;
  }

  /**
   * SE-ResNet-50 as timm's {@code seresnet50} (Hu et al.): ResNet-50 with a squeeze-and-excitation
   * module after each bottleneck's {@code bn3} ({@link ResNetBlock.Builder#seModule}, hidden width
   * {@link ResNetBlock#timmSeWidth}, names {@code layerS.B.se.fc1.*}, {@code layerS.B.se.fc2.*}).
   */
  public static Builder seResnet50() {
    Builder b = new Builder("SE-ResNet-50", true, new int[] {3, 4, 6, 3});
    b.seModule = true;
    return b;
  }

  /**
   * A ResNet of any depth: {@code blocks[i]} blocks in stage {@code i + 1} (four stages).
   *
   * @param name the model's type name
   * @param bottleneck bottleneck blocks (expansion 4) rather than basic ones
   * @param blocks the blocks per stage, four positive counts
   * @return the builder
   */
  public static Builder custom(String name, boolean bottleneck, int... blocks) {
    return new Builder(name, bottleneck, blocks);
  }

  /** Options of a {@link ResNet}: torchvision's defaults (1000 classes, 3 input channels). */
  public static final class Builder {
    private final String name;
    private final boolean bottleneck;
    private final int[] blocks;
    private int classes = 1000;
    private int inChannels = 3;
    private boolean smallImages;
    private int groups = 1;
    private int baseWidth = 64;
    private int width = 64;
    private boolean seModule;
    private Long seed;

    private Builder(String name, boolean bottleneck, int[] blocks) {
      this.name = Objects.requireNonNull(name, "name");
      if (blocks.length != 4) {
        throw new IllegalArgumentException(name + ": " + blocks.length + " stages (expected: 4 block counts)");
      }
      for (int count : blocks) {
        if (count < 1) {
          throw new IllegalArgumentException(name + ": " + java.util.Arrays.toString(blocks)
              + " blocks per stage (expected: >= 1 each)");
        }
      }
      this.bottleneck = bottleneck;
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

    /**
     * The stem's channels, doubled at each stage (default 64, torchvision's; a smaller width gives
     * the cheap variants tests use, with the same structure and names).
     */
    public Builder width(int channels) {
      if (channels < 1) {
        throw new IllegalArgumentException(name + ": width " + channels + " (expected: >= 1)");
      }
      this.width = channels;
      return this;
    }

    /** The small-image stem: {@code conv1} 3x3 stride 1 padding 1, and no max pool. */
    public Builder smallImages() {
      this.smallImages = true;
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
    public ResNet build() {
      Conv2D.Builder stem = smallImages
          ? Conv2D.builder(inChannels, width).kernel(3).stride(1).padding(1)
          : Conv2D.builder(inChannels, width).kernel(7).stride(2).padding(3);
      stem.bias(false).initializer(Initializer.HE_NORMAL);
      Long s0 = seed(0);
      LayerNode conv1 = new LayerNode((s0 == null ? stem : stem.seed(s0)).build(), "conv1");
      LayerGraph.Builder g = LayerGraph.builder().root(conv1);
      LayerNode last = g.extend(conv1, new LayerNode(new BatchNorm2D(width), "bn1"), new LayerNode(new ReLU(), "relu"));
      if (!smallImages) {
        last = g.extend(last, new LayerNode(Pool2D.max(3, 2, 1), "maxpool"));
      }
      int in = width;
      int seedIndex = 1;
      for (int stage = 0; stage < 4; stage++) {
        int planes = width << stage;
        Layer[] stageBlocks = new Layer[blocks[stage]];
        for (int i = 0; i < stageBlocks.length; i++) {
          ResNetBlock.Builder b = bottleneck
              ? ResNetBlock.bottleneck(in, planes).groups(groups).baseWidth(baseWidth)
              : ResNetBlock.basic(in, planes);
          if (seModule) {
            b.seModule(ResNetBlock.timmSeWidth(planes * 4));
          }
          b.stride(i == 0 && stage > 0 ? 2 : 1);
          Long s = seed(seedIndex++);
          stageBlocks[i] = (s == null ? b : b.seed(s)).build();
          in = planes * (bottleneck ? 4 : 1);
        }
        last = g.extend(last, new LayerNode(new Sequential(stageBlocks), "layer" + (stage + 1)));
      }
      Dense.Builder fc = Dense.builder(in, classes).initializer(Initializer.PYTORCH_DEFAULT)
          .biasInitializer(Initializer.PYTORCH_DEFAULT);
      Long sf = seed(seedIndex);
      last = g.extend(last, new LayerNode(new GlobalAvgPool2D(), "avgpool"), new LayerNode(new Flatten(), "flatten"),
          new LayerNode((sf == null ? fc : fc.seed(sf)).build(), "fc"));
      return new ResNet(g.term(last).build(), name);
    }

  }
}

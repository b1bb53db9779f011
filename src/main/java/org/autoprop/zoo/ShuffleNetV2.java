package org.autoprop.zoo;

import org.autoprop.blocks.ShuffleNetBlock;
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
 * torchvision's ShuffleNetV2 (Ma et al. 2018) on {@code [N, C, H, W]}, with torchvision's structure
 * and state-dict names:
 *
 * <pre>
 * conv1    conv 3x3 stride 2 (conv1.0), batch norm (conv1.1), ReLU
 * maxpool  3x3 stride 2 padding 1
 * stage2   ShuffleNetBlock stride 2, then repeats - 1 of stride 1   stage2.N.branch1.*, stage2.N.branch2.*
 * stage3, stage4  the same
 * conv5    conv 1x1 (conv5.0), batch norm (conv5.1), ReLU
 * mean over the positions -> fc (Linear)
 * </pre>
 *
 * <p>{@link #x1_0()} is torchvision's {@code shufflenet_v2_x1_0} (repeats 4, 8, 4, channels 24, 116,
 * 232, 464, 1024); x0.5, x1.5 and x2.0 as torchvision's. Weights start as PyTorch's defaults
 * ({@link Initializer#PYTORCH_DEFAULT}, torchvision does not re-initialise ShuffleNetV2); batch norms
 * have momentum 0.1.
 *
 * <p>Example: {@code ShuffleNetV2.x1_0().classes(10).seed(7).build()}.
 */
public final class ShuffleNetV2 extends GraphBlock {
  private final String typeName;

  private ShuffleNetV2(LayerGraph graph, String typeName) {
    super(graph);
    this.typeName = typeName;
  }

  @Override
  public String typeName() {
    return typeName;
  }

  /** torchvision's {@code shufflenet_v2_x0_5()}: channels 24, 48, 96, 192, 1024. */
  public static Builder x0_5() {
    return new Builder("ShuffleNetV2-x0.5", new int[] {4, 8, 4}, new int[] {24, 48, 96, 192, 1024});
  }

  /** torchvision's {@code shufflenet_v2_x1_0()}: channels 24, 116, 232, 464, 1024. */
  public static Builder x1_0() {
    return new Builder("ShuffleNetV2-x1.0", new int[] {4, 8, 4}, new int[] {24, 116, 232, 464, 1024});
  }

  /** torchvision's {@code shufflenet_v2_x1_5()}: channels 24, 176, 352, 704, 1024. */
  public static Builder x1_5() {
    return new Builder("ShuffleNetV2-x1.5", new int[] {4, 8, 4}, new int[] {24, 176, 352, 704, 1024});
  }

  /** torchvision's {@code shufflenet_v2_x2_0()}: channels 24, 244, 488, 976, 2048. */
  public static Builder x2_0() {
    return new Builder("ShuffleNetV2-x2.0", new int[] {4, 8, 4}, new int[] {24, 244, 488, 976, 2048});
  }

  /**
   * torchvision's {@code ShuffleNetV2(stages_repeats, stages_out_channels)}.
   *
   * @param name the model's type name
   * @param repeats the blocks of stages 2, 3 and 4, each at least 1
   * @param channels the output channels of conv1, the three stages (even) and conv5
   * @return the builder
   */
  public static Builder custom(String name, int[] repeats, int[] channels) {
    return new Builder(name, repeats.clone(), channels.clone());
  }

  /** Options of a {@link ShuffleNetV2}: torchvision's defaults until set. */
  public static final class Builder {
    private final String name;
    private final int[] repeats;
    private final int[] channels;
    private int classes = 1000;
    private int inChannels = 3;
    private Long seed;
    private int seeds;

    private Builder(String name, int[] repeats, int[] channels) {
      this.name = name;
      if (repeats.length != 3 || channels.length != 5) {
        throw new IllegalArgumentException(name + ": " + repeats.length + " repeats, " + channels.length
            + " channels (expected: 3 and 5, as torchvision)");
      }
      for (int r : repeats) {
        if (r < 1) {
          throw new IllegalArgumentException(name + ": repeats " + java.util.Arrays.toString(repeats)
              + " (expected: >= 1 each)");
        }
      }
      for (int i = 0; i < 5; i++) {
        if (channels[i] < 1 || (i >= 1 && i <= 3 && channels[i] % 2 != 0)) {
          throw new IllegalArgumentException(name + ": channels " + java.util.Arrays.toString(channels)
              + " (expected: >= 1 each, the three stages' even)");
        }
      }
      this.repeats = repeats;
      this.channels = channels;
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

    /** The seed of the initialization (default: the global default sequence). */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    private Sequential convBnRelu(int from, int to, int kernel, int stride) {
      Conv2D conv = Conv2D.builder(from, to).kernel(kernel).stride(stride).padding(kernel / 2).bias(false)
          .initializer(Initializer.PYTORCH_DEFAULT).seed(LayerSeeds.seed(seed, seeds++)).build();
      return new Sequential(conv, new BatchNorm2D(to), new ReLU());
    }

    /** The model. */
    public ShuffleNetV2 build() {
      seeds = 0;
      LayerNode conv1 = new LayerNode(convBnRelu(inChannels, channels[0], 3, 2), "conv1");
      LayerGraph.Builder g = LayerGraph.builder().root(conv1);
      LayerNode last = g.extend(conv1, new LayerNode(Pool2D.max(3, 2, 1), "maxpool"));
      int in = channels[0];
      for (int s = 0; s < 3; s++) {
        int out = channels[s + 1];
        Layer[] blocks = new Layer[repeats[s]];
        for (int i = 0; i < blocks.length; i++) {
          blocks[i] = ShuffleNetBlock.builder(i == 0 ? in : out, out, i == 0 ? 2 : 1)
              .seed(LayerSeeds.seed(seed, seeds++)).build();
        }
        last = g.extend(last, new LayerNode(new Sequential(blocks), "stage" + (s + 2)));
        in = out;
      }
      Dense fc = Dense.builder(channels[4], classes).initializer(Initializer.PYTORCH_DEFAULT)
          .biasInitializer(Initializer.PYTORCH_DEFAULT).seed(LayerSeeds.seed(seed, seeds++)).build();
      last = g.extend(last, new LayerNode(convBnRelu(in, channels[4], 1, 1), "conv5"),
          new LayerNode(new GlobalAvgPool2D(), "pool"), new LayerNode(new Flatten(), "flatten"),
          new LayerNode(fc, "fc"));
      return new ShuffleNetV2(g.term(last).build(), name);
    }
  }
}

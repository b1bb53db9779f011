package org.autoprop.zoo;

import java.util.ArrayList;
import java.util.List;
import org.autoprop.blocks.ConvNeXtBlock;
import org.autoprop.graph.LayerGraph;
import org.autoprop.graph.LayerNode;
import org.autoprop.layer.Conv2D;
import org.autoprop.layer.Dense;
import org.autoprop.layer.Flatten;
import org.autoprop.layer.GlobalAvgPool2D;
import org.autoprop.layer.Initializer;
import org.autoprop.layer.Layer;
import org.autoprop.layer.LayerNorm2D;
import org.autoprop.layer.LayerScale;
import org.autoprop.layer.Sequential;
import org.autoprop.models.GraphBlock;

/**
 * torchvision's ConvNeXt (Liu et al. 2022) on {@code [N, C, H, W]}, with torchvision's structure and
 * state-dict names, so that torchvision's weights load strictly:
 *
 * <pre>
 * features.0      stem: conv 4x4 stride 4 with bias (features.0.0), LayerNorm2d (features.0.1)
 * features.1      stage 1: ConvNeXtBlock.V1 x depth[0]        features.1.M.block.{0,2,3,5}.*, features.1.M.layer_scale
 * features.2      downsampling: LayerNorm2d (features.2.0), conv 2x2 stride 2 with bias (features.2.1)
 * features.3..7   stages 2 to 4, a downsampling between each two
 * avgpool         global average -> classifier: LayerNorm2d (classifier.0), flatten, Linear (classifier.2)
 * </pre>
 *
 * <p>{@link #convnextTiny()} is torchvision's {@code convnext_tiny} (widths 96, 192, 384, 768,
 * depths 3, 3, 9, 3, stochastic depth 0.1), {@link #convnextSmall()} torchvision's
 * {@code convnext_small}. Block
 * {@code k} of {@code K} (counted over all stages from 0) drops its branch with probability
 * {@code p * k / (K - 1)}, as torchvision (a one-block network has probability 0, where torchvision
 * divides by zero). Layer norms have eps 1e-6; weights start truncated normal with standard
 * deviation 0.02 ({@link ConvNeXtBlock#INITIALIZER}), biases zero, layer scales 1e-6.
 *
 * <p>Example: {@code ConvNeXt.convnextTiny().classes(10).seed(7).build()}.
 */
public final class ConvNeXt extends GraphBlock {
  private final String typeName;

  private ConvNeXt(LayerGraph graph, String typeName) {
    super(graph);
    this.typeName = typeName;
  }

  @Override
  public String typeName() {
    return typeName;
  }

  /** torchvision's {@code convnext_tiny()}: widths 96..768, depths 3, 3, 9, 3, stochastic depth 0.1. */
  public static Builder convnextTiny() {
    return new Builder("ConvNeXt-Tiny", new int[] {96, 192, 384, 768}, new int[] {3, 3, 9, 3}, 0.1);
  }

  /** torchvision's {@code convnext_small()}: widths 96..768, depths 3, 3, 27, 3, stochastic depth 0.4. */
  public static Builder convnextSmall() {
    return new Builder("ConvNeXt-Small", new int[] {96, 192, 384, 768}, new int[] {3, 3, 27, 3}, 0.4);
  }

  /**
   * A ConvNeXt of any widths and depths, torchvision's {@code ConvNeXt(block_setting)} with
   * {@code CNBlockConfig(widths[i], widths[i + 1] or None, depths[i])}; stochastic depth 0 until set.
   *
   * @param name the model's type name
   * @param widths the channels of each stage, at least one stage
   * @param depths the blocks of each stage, one per width, each at least 1
   * @return the builder
   */
  public static Builder custom(String name, int[] widths, int[] depths) {
    return new Builder(name, widths.clone(), depths.clone(), 0);
  }

  /** Options of a {@link ConvNeXt}: torchvision's defaults until set. */
  public static final class Builder {
    private final String name;
    private final int[] widths;
    private final int[] depths;
    private double stochasticDepth;
    private double layerScale = LayerScale.DEFAULT_INIT;
    private int classes = 1000;
    private int inChannels = 3;
    private Long seed;
    private int seeds;

    private Builder(String name, int[] widths, int[] depths, double stochasticDepth) {
      this.name = name;
      if (widths.length < 1 || widths.length != depths.length) {
        throw new IllegalArgumentException(name + ": " + widths.length + " widths, " + depths.length
            + " depths (expected: as many, at least one)");
      }
      for (int i = 0; i < widths.length; i++) {
        if (widths[i] < 1 || depths[i] < 1) {
          throw new IllegalArgumentException(name + ": stage " + i + " width " + widths[i] + ", depth " + depths[i]
              + " (expected: >= 1 each)");
        }
      }
      this.widths = widths;
      this.depths = depths;
      this.stochasticDepth = stochasticDepth;
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

    /** torchvision's {@code stochastic_depth_prob}: the last block's drop probability. */
    public Builder stochasticDepth(double p) {
      if (!(p >= 0 && p <= 1)) {
        throw new IllegalArgumentException(name + ": stochasticDepth " + p + " (expected: 0 <= p <= 1)");
      }
      this.stochasticDepth = p;
      return this;
    }

    /** torchvision's {@code layer_scale}: every layer scale's initial value (default 1e-6). */
    public Builder layerScale(double init) {
      if (Double.isNaN(init) || Double.isInfinite(init)) {
        throw new IllegalArgumentException(name + ": layerScale " + init + " (expected: finite)");
      }
      this.layerScale = init;
      return this;
    }

    /** The seed of the initialization and the stochastic depth (default: the global default sequence). */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    private Conv2D conv(int from, int to, int kernel) {
      return Conv2D.builder(from, to).kernel(kernel).stride(kernel).initializer(ConvNeXtBlock.INITIALIZER)
          .biasInitializer(Initializer.ZEROS).seed(LayerSeeds.seed(seed, seeds++)).build();
    }

    /** The model. */
    public ConvNeXt build() {
      seeds = 0;
      int total = 0;
      for (int d : depths) {
        total += d;
      }
      List<Layer> features = new ArrayList<>();
      features.add(new Sequential(conv(inChannels, widths[0], 4), new LayerNorm2D(widths[0])));
      int block = 0;
      for (int i = 0; i < widths.length; i++) {
        Layer[] stage = new Layer[depths[i]];
        for (int j = 0; j < depths[i]; j++, block++) {
          double p = total == 1 ? 0 : stochasticDepth * block / (total - 1.0);
          stage[j] = ConvNeXtBlock.v1(widths[i]).layerScale(layerScale).stochasticDepth(p)
              .seed(LayerSeeds.seed(seed, seeds++)).build();
        }
        features.add(new Sequential(stage));
        if (i + 1 < widths.length) {
          features.add(new Sequential(new LayerNorm2D(widths[i]), conv(widths[i], widths[i + 1], 2)));
        }
      }
      int last = widths[widths.length - 1];
      Dense fc = Dense.builder(last, classes).initializer(ConvNeXtBlock.INITIALIZER)
          .biasInitializer(Initializer.ZEROS).seed(LayerSeeds.seed(seed, seeds++)).build();
      LayerNode featureNode = new LayerNode(new Sequential(features.toArray(Layer[]::new)), "features");
      LayerNode pool = new LayerNode(new GlobalAvgPool2D(), "avgpool");
      LayerNode head = new LayerNode(new Sequential(new LayerNorm2D(last), new Flatten(), fc), "classifier");
      return new ConvNeXt(LayerGraph.builder().root(featureNode).edges(featureNode, pool, head).term(head).build(),
          name);
    }
  }
}

package org.autoprop.zoo;

import java.util.Arrays;
import java.util.LinkedHashMap;
import org.autoprop.blocks.RegNetBlock;
import org.autoprop.graph.LayerGraph;
import org.autoprop.graph.LayerNode;
import org.autoprop.layer.BatchNorm2D;
import org.autoprop.layer.Conv2D;
import org.autoprop.layer.Dense;
import org.autoprop.layer.Flatten;
import org.autoprop.layer.GlobalAvgPool2D;
import org.autoprop.layer.Initializer;
import org.autoprop.layer.Layer;
import org.autoprop.layer.ReLU;
import org.autoprop.layer.Sequential;
import org.autoprop.models.GraphBlock;

/**
 * torchvision's RegNet (Radosavovic et al. 2020) on {@code [N, C, H, W]}, with torchvision's
 * structure and state-dict names:
 *
 * <pre>
 * stem          conv 3x3 stride 2 (stem.0), batch norm (stem.1), ReLU
 * trunk_output  stages block1 .. block4 of RegNetBlocks, the first of each with stride 2:
 *               trunk_output.blockS.blockS-I.{proj, f.a, f.b, f.se, f.c}.*
 * avgpool       global average -> flatten -> fc (Linear)
 * </pre>
 *
 * <p>The factories hold the stage settings that torchvision 0.14's
 * {@code BlockParams.from_init_params} computes for each model (widths, depths, group widths,
 * bottleneck 1; RegNetY with squeeze ratio 0.25); {@code ZooParityCheck} and the zoo test check
 * them against torchvision. Weights start as torchvision's: convolutions normal with
 * {@code std = sqrt(2 / fanOut)} ({@link RegNetBlock#INITIALIZER}), the classifier normal with
 * standard deviation 0.01 and bias zero; batch norms have momentum 0.1.
 *
 * <p>Example: {@code RegNet.regnetY400mf().classes(10).seed(7).build()}.
 */
public final class RegNet extends GraphBlock {
  private final String typeName;

  private RegNet(LayerGraph graph, String typeName) {
    super(graph);
    this.typeName = typeName;
  }

  @Override
  public String typeName() {
    return typeName;
  }

  /** torchvision's {@code regnet_y_400mf()}: widths 48, 104, 208, 440, depths 1, 3, 6, 6, group width 8, SE 0.25. */
  public static Builder regnetY400mf() {
    return custom("RegNetY-400MF", new int[] {48, 104, 208, 440}, new int[] {1, 3, 6, 6}, new int[] {8, 8, 8, 8})
        .seRatio(0.25);
  }

  /** torchvision's {@code regnet_y_800mf()}: widths 64, 144, 320, 784, depths 1, 3, 8, 2, group width 16, SE 0.25. */
  public static Builder regnetY800mf() {
    return custom("RegNetY-800MF", new int[] {64, 144, 320, 784}, new int[] {1, 3, 8, 2}, new int[] {16, 16, 16, 16})
        .seRatio(0.25);
  }

  /** torchvision's {@code regnet_x_400mf()}: widths 32, 64, 160, 400, depths 1, 2, 7, 12, group width 16. */
  public static Builder regnetX400mf() {
    return custom("RegNetX-400MF", new int[] {32, 64, 160, 400}, new int[] {1, 2, 7, 12}, new int[] {16, 16, 16, 16});
  }

  /** torchvision's {@code regnet_x_800mf()}: widths 64, 128, 288, 672, depths 1, 3, 7, 5, group width 16. */
  public static Builder regnetX800mf() {
    return custom("RegNetX-800MF", new int[] {64, 128, 288, 672}, new int[] {1, 3, 7, 5}, new int[] {16, 16, 16, 16});
  }

  /**
   * torchvision's {@code RegNet(BlockParams(depths, widths, group_widths, bottleneck_multipliers=[1]*S,
   * strides=[2]*S))}: stage {@code i} has {@code depths[i]} blocks of {@code widths[i]} channels.
   *
   * @param name the model's type name
   * @param widths the output channels of each stage
   * @param depths the blocks of each stage
   * @param groupWidths the channels per group of each stage's 3x3 convolutions
   * @return the builder (no squeeze-and-excitation, bottleneck 1, stem width 32 until set)
   */
  public static Builder custom(String name, int[] widths, int[] depths, int[] groupWidths) {
    return new Builder(name, widths.clone(), depths.clone(), groupWidths.clone());
  }

  /** Options of a {@link RegNet}: torchvision's defaults until set. */
  public static final class Builder {
    private final String name;
    private final int[] widths;
    private final int[] depths;
    private final int[] groupWidths;
    private double seRatio;
    private double bottleneck = 1;
    private int stemWidth = 32;
    private int classes = 1000;
    private int inChannels = 3;
    private Long seed;
    private int seeds;

    private Builder(String name, int[] widths, int[] depths, int[] groupWidths) {
      this.name = name;
      if (widths.length < 1 || depths.length != widths.length || groupWidths.length != widths.length) {
        throw new IllegalArgumentException(name + ": " + widths.length + " widths, " + depths.length + " depths, "
            + groupWidths.length + " group widths (expected: as many, at least one)");
      }
      for (int i = 0; i < widths.length; i++) {
        if (widths[i] < 1 || depths[i] < 1 || groupWidths[i] < 1) {
          throw new IllegalArgumentException(name + ": stage " + (i + 1) + " width " + widths[i] + ", depth "
              + depths[i] + ", group width " + groupWidths[i] + " (expected: >= 1 each)");
        }
      }
      this.widths = widths;
      this.depths = depths;
      this.groupWidths = groupWidths;
    }

    /** torchvision's {@code se_ratio}: RegNetY's squeeze-and-excitation (0.25); 0 for RegNetX. */
    public Builder seRatio(double r) {
      if (!(r >= 0) || Double.isInfinite(r)) {
        throw new IllegalArgumentException(name + ": seRatio " + r + " (expected: >= 0)");
      }
      this.seRatio = r;
      return this;
    }

    /** torchvision's {@code bottleneck_multiplier} of every stage (default 1). */
    public Builder bottleneck(double b) {
      if (!(b > 0) || Double.isInfinite(b)) {
        throw new IllegalArgumentException(name + ": bottleneck " + b + " (expected: > 0)");
      }
      this.bottleneck = b;
      return this;
    }

    /** torchvision's {@code stem_width} (default 32). */
    public Builder stemWidth(int w) {
      if (w < 1) {
        throw new IllegalArgumentException(name + ": stemWidth " + w + " (expected: >= 1)");
      }
      this.stemWidth = w;
      return this;
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

    /** The model. */
    public RegNet build() {
      seeds = 0;
      Conv2D stemConv = Conv2D.builder(inChannels, stemWidth).kernel(3).stride(2).padding(1).bias(false)
          .initializer(RegNetBlock.INITIALIZER).seed(LayerSeeds.seed(seed, seeds++)).build();
      LayerNode stem = new LayerNode(new Sequential(stemConv, new BatchNorm2D(stemWidth), new ReLU()), "stem");
      LinkedHashMap<String, Layer> trunk = new LinkedHashMap<>();
      int in = stemWidth;
      for (int s = 0; s < widths.length; s++) {
        LinkedHashMap<String, Layer> stage = new LinkedHashMap<>();
        for (int i = 0; i < depths[s]; i++) {
          try {
            stage.put("block" + (s + 1) + "-" + i, RegNetBlock.builder(i == 0 ? in : widths[s], widths[s])
                .stride(i == 0 ? 2 : 1).groupWidth(groupWidths[s]).bottleneck(bottleneck).seRatio(seRatio)
                .seed(LayerSeeds.seed(seed, seeds++)).build());
          } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + ": stage " + (s + 1) + " (widths " + Arrays.toString(widths)
                + ", group widths " + Arrays.toString(groupWidths) + "): " + e.getMessage(), e);
          }
        }
        trunk.put("block" + (s + 1), new Sequential(stage));
        in = widths[s];
      }
      Dense fc = Dense.builder(in, classes).initializer(Initializer.normal(0.01)).biasInitializer(Initializer.ZEROS)
          .seed(LayerSeeds.seed(seed, seeds++)).build();
      LayerGraph.Builder g = LayerGraph.builder().root(stem);
      LayerNode last = g.extend(stem, new LayerNode(new Sequential(trunk), "trunk_output"),
          new LayerNode(new GlobalAvgPool2D(), "avgpool"), new LayerNode(new Flatten(), "flatten"),
          new LayerNode(fc, "fc"));
      return new RegNet(g.term(last).build(), name);
    }
  }
}

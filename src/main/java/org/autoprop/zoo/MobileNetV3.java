package org.autoprop.zoo;

import org.autoprop.blocks.MobileNetBlock;
import org.autoprop.blocks.Widths;
import org.autoprop.graph.LayerGraph;
import org.autoprop.graph.LayerNode;
import org.autoprop.layer.BatchNorm2D;
import org.autoprop.layer.Conv2D;
import org.autoprop.layer.Dense;
import org.autoprop.layer.Dropout;
import org.autoprop.layer.Flatten;
import org.autoprop.layer.GlobalAvgPool2D;
import org.autoprop.layer.HardSwish;
import org.autoprop.layer.Initializer;
import org.autoprop.layer.Layer;
import org.autoprop.layer.Sequential;
import org.autoprop.models.GraphBlock;

/**
 * torchvision's MobileNetV3 (Howard et al. 2019), Small and Large, on {@code [N, C, H, W]}, with
 * torchvision's structure and state-dict names ({@code features.0.0.weight},
 * {@code features.1.block.0.0.weight}, {@code features.4.block.2.fc1.weight},
 * {@code classifier.0.weight}, {@code classifier.3.weight}), BatchNorm's
 * {@code num_batches_tracked} included, so that torchvision's weights load strictly.
 *
 * <pre>
 * features.0      conv 3x3 stride 2 (in -> 16), batch norm, hard swish
 * features.1..n   {@link MobileNetBlock#invResV3} per row of torchvision's table
 *                 (kernel, expanded, out, SE, activation, stride): 11 rows (Small), 15 (Large)
 * features.n+1    conv 1x1 (c -> 6c), batch norm, hard swish
 * pool (global average) -> flatten -> classifier: Linear(6c, last), hard swish, Dropout, Linear(last, classes)
 * </pre>
 *
 * <p>{@code last} is 1024 (Small) or 1280 (Large). With a width multiplier {@code w} every width
 * (the last included) is {@code c * w} rounded by torchvision's {@code _make_divisible(., 8)}; the SE
 * gate's width is {@code _make_divisible(expanded / 4, 8)}. Batch norms have torchvision's eps 1e-3
 * and momentum 0.01; convolutions start He normal (fan-out), the linear layers N(0, 0.01) with
 * zero biases, as torchvision's. torchvision's {@code reduced_tail} and {@code dilated} options
 * (for segmentation backbones) are not offered.
 *
 * <p>Example: {@code MobileNetV3.small().classes(10).widthMultiplier(0.5).seed(7).build()}.
 */
public final class MobileNetV3 extends GraphBlock {
  /** in, kernel, expanded, out, SE (1), hard swish (1), stride: torchvision's Large table. */
  private static final int[][] LARGE = {
      {16, 3, 16, 16, 0, 0, 1}, {16, 3, 64, 24, 0, 0, 2}, {24, 3, 72, 24, 0, 0, 1}, {24, 5, 72, 40, 1, 0, 2},
      {40, 5, 120, 40, 1, 0, 1}, {40, 5, 120, 40, 1, 0, 1}, {40, 3, 240, 80, 0, 1, 2}, {80, 3, 200, 80, 0, 1, 1},
      {80, 3, 184, 80, 0, 1, 1}, {80, 3, 184, 80, 0, 1, 1}, {80, 3, 480, 112, 1, 1, 1}, {112, 3, 672, 112, 1, 1, 1},
      {112, 5, 672, 160, 1, 1, 2}, {160, 5, 960, 160, 1, 1, 1}, {160, 5, 960, 160, 1, 1, 1}};
  /** The same for Small. */
  private static final int[][] SMALL = {
      {16, 3, 16, 16, 1, 0, 2}, {16, 3, 72, 24, 0, 0, 2}, {24, 3, 88, 24, 0, 0, 1}, {24, 5, 96, 40, 1, 1, 2},
      {40, 5, 240, 40, 1, 1, 1}, {40, 5, 240, 40, 1, 1, 1}, {40, 5, 120, 48, 1, 1, 1}, {48, 5, 144, 48, 1, 1, 1},
      {48, 5, 288, 96, 1, 1, 2}, {96, 5, 576, 96, 1, 1, 1}, {96, 5, 576, 96, 1, 1, 1}};

  private final String typeName;

  private MobileNetV3(LayerGraph graph, String typeName) {
    super(graph);
    this.typeName = typeName;
  }

  @Override
  public String typeName() {
    return typeName;
  }

  /** torchvision's {@code mobilenet_v3_small()}: 1000 classes, 3 input channels, width 1.0. */
  public static Builder small() {
    return new Builder("MobileNetV3-Small", SMALL, 1024);
  }

  /** torchvision's {@code mobilenet_v3_large()}: 1000 classes, 3 input channels, width 1.0. */
  public static Builder large() {
    return new Builder("MobileNetV3-Large", LARGE, 1280);
  }

  /** Options of a {@link MobileNetV3}: torchvision's defaults until set. */
  public static final class Builder {
    private final String name;
    private final int[][] table;
    private final int lastChannel;
    private int classes = 1000;
    private int inChannels = 3;
    private double widthMultiplier = 1;
    private double dropout = 0.2;
    private Long seed;
    private int seeds;

    private Builder(String name, int[][] table, int lastChannel) {
      this.name = name;
      this.table = table;
      this.lastChannel = lastChannel;
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

    /** torchvision's {@code width_mult}: scales every width, rounded to multiples of 8 (default 1). */
    public Builder widthMultiplier(double w) {
      if (!(w > 0) || w > 1e4) {
        throw new IllegalArgumentException(name + ": widthMultiplier " + w
            + " (expected: 0 < widthMultiplier <= 1e4)");
      }
      this.widthMultiplier = w;
      return this;
    }

    /** The classifier's dropout probability (default 0.2, torchvision's). */
    public Builder dropout(double p) {
      if (!(p >= 0 && p < 1)) {
        throw new IllegalArgumentException(name + ": dropout " + p + " (expected: 0 <= dropout < 1)");
      }
      this.dropout = p;
      return this;
    }

    /** The seed of the initialization and of the dropout masks (default: the next of the global default sequence). */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    private int width(int c) {
      return Widths.makeDivisible(c * widthMultiplier, 8);
    }

    private long nextSeed() {
      return LayerSeeds.seed(seed, seeds++);
    }

    private Sequential stemOrHead(int from, int to, int kernel, int stride) {
      Conv2D conv = Conv2D.builder(from, to).kernel(kernel).stride(stride).padding((kernel - 1) / 2).bias(false)
          .initializer(TorchvisionInit.HE_NORMAL_FAN_OUT).seed(nextSeed()).build();
      return new Sequential(conv, new BatchNorm2D(to).eps(1e-3).momentum(0.01), new HardSwish());
    }

    private Dense linear(int from, int to) {
      return Dense.builder(from, to).initializer(Initializer.normal(0.01)).biasInitializer(Initializer.ZEROS)
          .seed(nextSeed()).build();
    }

    /** The model. */
    public MobileNetV3 build() {
      seeds = 0;
      Layer[] features = new Layer[table.length + 2];
      features[0] = stemOrHead(inChannels, width(table[0][0]), 3, 2);
      for (int i = 0; i < table.length; i++) {
        int[] row = table[i];
        int expanded = width(row[2]);
        MobileNetBlock.V3Builder b = MobileNetBlock.invResV3(width(row[0]), expanded, width(row[3])).kernel(row[1])
            .stride(row[6]).initializer(TorchvisionInit.HE_NORMAL_FAN_OUT).seed(nextSeed());
        if (row[4] == 1) {
          b.squeezeExcitation(Widths.makeDivisible(expanded / 4, 8));
        }
        if (row[5] == 1) {
          b.hardSwish();
        }
        features[i + 1] = b.build();
      }
      int c = width(table[table.length - 1][3]);
      features[table.length + 1] = stemOrHead(c, 6 * c, 1, 1);
      int last = width(lastChannel);
      Layer classifier = new Sequential(linear(6 * c, last), new HardSwish(), new Dropout(dropout, nextSeed()),
          linear(last, classes));
      LayerNode featureNode = new LayerNode(new Sequential(features), "features");
      LayerNode head = new LayerNode(classifier, "classifier");
      LayerGraph graph = LayerGraph.builder().root(featureNode)
          .edges(featureNode, new LayerNode(new GlobalAvgPool2D(), "avgpool"), new LayerNode(new Flatten(), "flatten"),
              head)
          .term(head).build();
      return new MobileNetV3(graph, name);
    }
  }
}

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
import org.autoprop.layer.Initializer;
import org.autoprop.layer.Layer;
import org.autoprop.layer.ReLU6;
import org.autoprop.layer.Sequential;
import org.autoprop.models.GraphBlock;

/**
 * torchvision's MobileNetV2 (Sandler et al.) on {@code [N, C, H, W]}, with torchvision's structure
 * and state-dict names ({@code features.0.0.weight}, {@code features.1.conv.0.0.weight},
 * {@code features.18.1.*}, {@code classifier.1.weight}), so that torchvision's weights map one to
 * one (BatchNorm's {@code num_batches_tracked} aside: it is not kept here).
 *
 * <pre>
 * features.0   Conv2dNormActivation(in, 32, 3x3, stride 2): conv, batch norm, ReLU6
 * features.1.. inverted residuals ({@link MobileNetBlock#invRes}), per (t, c, n, s):
 *              (1, 16, 1, 1) (6, 24, 2, 2) (6, 32, 3, 2) (6, 64, 4, 2) (6, 96, 3, 1) (6, 160, 3, 2) (6, 320, 1, 1)
 * features.18  Conv2dNormActivation(320, 1280, 1x1)
 * pool (global average) -> flatten -> classifier: Dropout(0.2), Linear(1280, classes)
 * </pre>
 *
 * <p>With a width multiplier {@code w} every width {@code c} is {@code c * w} rounded as
 * torchvision's {@code _make_divisible}: to the nearest multiple of 8, at least 8, and up by 8
 * when that loses more than 10%; the last width is {@code 1280 * max(1, w)}, rounded the same way.
 * Convolutions have no bias; weights start He normal, the classifier as {@code nn.Linear}; batch
 * norms have PyTorch's momentum 0.1.
 *
 * <p>Example: {@code MobileNetV2.builder().classes(10).widthMultiplier(0.5).seed(7).build()}.
 */
public final class MobileNetV2 extends GraphBlock {
  /** torchvision's inverted-residual setting: expansion t, channels c, repeats n, first stride s. */
  private static final int[][] SETTING = {
      {1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
  private static final String NAME = "MobileNetV2";

  private MobileNetV2(LayerGraph graph) {
    super(graph);
  }

  @Override
  public String typeName() {
    return NAME;
  }

  /** torchvision's {@code mobilenet_v2()}: 1000 classes, 3 input channels, width 1.0. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * torchvision's {@code _make_divisible(v, 8)}: {@code v} to the nearest multiple of 8 (halves up),
   * at least 8, plus 8 if rounding down lost more than 10% of {@code v}.
   */
  static int makeDivisible(double v) {
    return Widths.makeDivisible(v, 8);
  }

  /** Options of a {@link MobileNetV2}: torchvision's defaults until set. */
  public static final class Builder {
    private int classes = 1000;
    private int inChannels = 3;
    private double widthMultiplier = 1;
    private double dropout = 0.2;
    private Long seed;

    private Builder() {}

    /** The classifier's outputs (default 1000). */
    public Builder classes(int n) {
      if (n < 1) {
        throw new IllegalArgumentException(NAME + ": classes " + n + " (expected: >= 1)");
      }
      this.classes = n;
      return this;
    }

    /** The input's channels (default 3). */
    public Builder inChannels(int n) {
      if (n < 1) {
        throw new IllegalArgumentException(NAME + ": inChannels " + n + " (expected: >= 1)");
      }
      this.inChannels = n;
      return this;
    }

    /** torchvision's {@code width_mult}: scales every width, rounded to multiples of 8 (default 1). */
    public Builder widthMultiplier(double w) {
      if (!(w > 0) || w > 1e6) {
        throw new IllegalArgumentException(NAME + ": widthMultiplier " + w + " (expected: 0 < widthMultiplier <= 1e6)");
      }
      this.widthMultiplier = w;
      return this;
    }

    /** The classifier's dropout probability (default 0.2, torchvision's). */
    public Builder dropout(double p) {
      if (!(p >= 0 && p < 1)) {
        throw new IllegalArgumentException(NAME + ": dropout " + p + " (expected: 0 <= dropout < 1)");
      }
      this.dropout = p;
      return this;
    }

    /** The seed of the initialization and of the dropout masks (default: the next of the global default sequence). */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    private Long seed(int i) {
      return seed == null ? null : seed * 0x9E3779B97F4A7C15L + 0x2545F4914F6CDD1DL * (i + 1);
    }

    /** torchvision's {@code Conv2dNormActivation} with ReLU6. */
    private Sequential convNormActivation(int from, int to, int kernel, int stride, Long s) {
      Conv2D.Builder c = Conv2D.builder(from, to).kernel(kernel).stride(stride).padding((kernel - 1) / 2).bias(false)
          .initializer(Initializer.HE_NORMAL);
      return new Sequential((s == null ? c : c.seed(s)).build(), new BatchNorm2D(to), new ReLU6());
    }

    /** The model. */
    public MobileNetV2 build() {
      int seedIndex = 0;
      int in = makeDivisible(32 * widthMultiplier);
      int last = makeDivisible(1280 * Math.max(1.0, widthMultiplier));
      int blocks = 0;
      for (int[] row : SETTING) {
        blocks += row[2];
      }
      Layer[] features = new Layer[blocks + 2];
      features[0] = convNormActivation(inChannels, in, 3, 2, seed(seedIndex++));
      int f = 1;
      for (int[] row : SETTING) {
        int out = makeDivisible(row[1] * widthMultiplier);
        for (int i = 0; i < row[2]; i++) {
          MobileNetBlock.Builder b = MobileNetBlock.invRes(in, out).expand(row[0]).stride(i == 0 ? row[3] : 1);
          Long s = seed(seedIndex++);
          features[f++] = (s == null ? b : b.seed(s)).build();
          in = out;
        }
      }
      features[f] = convNormActivation(in, last, 1, 1, seed(seedIndex++));
      Dense.Builder fc = Dense.builder(last, classes).initializer(Initializer.PYTORCH_DEFAULT)
          .biasInitializer(Initializer.PYTORCH_DEFAULT);
      Long sf = seed(seedIndex++);
      Long sd = seed(seedIndex);
      Layer classifier = new Sequential(new Dropout(dropout, sd == null ? Initializer.nextDefaultSeed() : sd),
          (sf == null ? fc : fc.seed(sf)).build());
      LayerNode featureNode = new LayerNode(new Sequential(features), "features");
      LayerNode pool = new LayerNode(new GlobalAvgPool2D(), "pool");
      LayerNode flatten = new LayerNode(new Flatten(), "flatten");
      LayerNode head = new LayerNode(classifier, "classifier");
      LayerGraph graph = LayerGraph.builder().root(featureNode).edges(featureNode, pool, flatten, head).term(head)
          .build();
      return new MobileNetV2(graph);
    }
  }
}

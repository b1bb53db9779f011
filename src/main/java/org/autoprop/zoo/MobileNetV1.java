package org.autoprop.zoo;

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
import org.autoprop.layer.ReLU;
import org.autoprop.layer.Sequential;
import org.autoprop.models.GraphBlock;

/**
 * MobileNetV1 (Howard et al. 2017, Table 1) on {@code [N, C, H, W]}: a 3x3 stride-2 convolution
 * then 13 depthwise-separable layers, each a depthwise 3x3 and a pointwise 1x1 convolution, both
 * followed by batch norm and ReLU. torchvision has no MobileNetV1; the names follow its MobileNetV2:
 *
 * <pre>
 * features.0       conv 3x3 stride 2 (in -> 32), batch norm, ReLU     features.0.0.weight, features.0.1.*
 * features.1..13   depthwise 3x3 (stride s), batch norm, ReLU,          features.i.0.weight, features.i.1.*
 *                  pointwise 1x1 (-> c), batch norm, ReLU              features.i.3.weight, features.i.4.*
 *                  (c, s): (64, 1) (128, 2) (128, 1) (256, 2) (256, 1) (512, 2) 5 x (512, 1) (1024, 2) (1024, 1)
 * pool (global average) -> flatten -> classifier: Dropout, Linear(1024, classes)   classifier.1.*
 * </pre>
 *
 * <p>The width multiplier {@code alpha} makes every width {@code max(8, floor(c * alpha))} (as
 * TensorFlow's reference {@code mobilenet_v1}, whose {@code min_depth} is 8). Convolutions have
 * no bias and start He normal (fan-out, as torchvision's MobileNets); the classifier starts as
 * {@code nn.Linear}; batch norms have PyTorch's defaults. Dropout defaults to 0 (the paper's network has none; TensorFlow's
 * keeps 0.999).
 *
 * <p>Example: {@code MobileNetV1.builder().classes(10).widthMultiplier(0.25).seed(7).build()}.
 */
public final class MobileNetV1 extends GraphBlock {
  /** Table 1 of the paper: the pointwise width and the depthwise stride of each separable layer. */
  private static final int[][] SEPARABLE = {
      {64, 1}, {128, 2}, {128, 1}, {256, 2}, {256, 1}, {512, 2}, {512, 1}, {512, 1}, {512, 1}, {512, 1}, {512, 1},
      {1024, 2}, {1024, 1}};
  private static final String NAME = "MobileNetV1";

  private MobileNetV1(LayerGraph graph) {
    super(graph);
  }

  @Override
  public String typeName() {
    return NAME;
  }

  /** The paper's network: 1000 classes, 3 input channels, width 1.0, no dropout. */
  public static Builder builder() {
    return new Builder();
  }

  /** Options of a {@link MobileNetV1}. */
  public static final class Builder {
    private int classes = 1000;
    private int inChannels = 3;
    private double widthMultiplier = 1;
    private double dropout;
    private Long seed;
    private int seeds;

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

    /** The width multiplier alpha: every width is {@code max(8, floor(c * alpha))} (default 1). */
    public Builder widthMultiplier(double alpha) {
      if (!(alpha > 0) || alpha > 1e4) {
        throw new IllegalArgumentException(NAME + ": widthMultiplier " + alpha
            + " (expected: 0 < widthMultiplier <= 1e4)");
      }
      this.widthMultiplier = alpha;
      return this;
    }

    /** The classifier's dropout probability (default 0). */
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

    private int width(int c) {
      return Math.max(8, (int) (c * widthMultiplier));
    }

    private Conv2D conv(int from, int to, int kernel, int stride, int groups) {
      return Conv2D.builder(from, to).kernel(kernel).stride(stride).padding((kernel - 1) / 2).groups(groups)
          .bias(false).initializer(TorchvisionInit.HE_NORMAL_FAN_OUT).seed(LayerSeeds.seed(seed, seeds++)).build();
    }

    /** The model. */
    public MobileNetV1 build() {
      seeds = 0;
      Layer[] features = new Layer[SEPARABLE.length + 1];
      int in = width(32);
      features[0] = new Sequential(conv(inChannels, in, 3, 2, 1), new BatchNorm2D(in), new ReLU());
      for (int i = 0; i < SEPARABLE.length; i++) {
        int out = width(SEPARABLE[i][0]);
        features[i + 1] = new Sequential(conv(in, in, 3, SEPARABLE[i][1], in), new BatchNorm2D(in), new ReLU(),
            conv(in, out, 1, 1, 1), new BatchNorm2D(out), new ReLU());
        in = out;
      }
      Dense fc = Dense.builder(in, classes).initializer(Initializer.PYTORCH_DEFAULT)
          .biasInitializer(Initializer.PYTORCH_DEFAULT).seed(LayerSeeds.seed(seed, seeds++)).build();
      Layer classifier = new Sequential(new Dropout(dropout, LayerSeeds.seed(seed, seeds++)), fc);
      LayerNode featureNode = new LayerNode(new Sequential(features), "features");
      LayerNode head = new LayerNode(classifier, "classifier");
      LayerGraph graph = LayerGraph.builder().root(featureNode)
          .edges(featureNode, new LayerNode(new GlobalAvgPool2D(), "avgpool"), new LayerNode(new Flatten(), "flatten"),
              head)
          .term(head).build();
      return new MobileNetV1(graph);
    }
  }
}

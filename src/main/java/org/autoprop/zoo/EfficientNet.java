package org.autoprop.zoo;

import java.util.List;
import java.util.Objects;
import org.autoprop.blocks.EfficientBlock;
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
import org.autoprop.layer.Sequential;
import org.autoprop.layer.SiLU;
import org.autoprop.models.GraphBlock;

/**
 * torchvision's EfficientNet (Tan and Le 2019) and EfficientNetV2 (2021) on {@code [N, C, H, W]}:
 * B0 and V2-S, or any table of stages, with torchvision's structure and state-dict names
 * ({@code features.0.0.weight}, {@code features.2.1.block.2.fc1.weight},
 * {@code features.8.1.running_var}, {@code classifier.1.weight}), BatchNorm's
 * {@code num_batches_tracked} included, so that torchvision's weights load strictly.
 *
 * <pre>
 * features.0      conv 3x3 stride 2 (in -> first stage's input), batch norm, SiLU
 * features.1..s   one Sequential per stage of {@link EfficientBlock#mbConv} or {@link EfficientBlock#fusedMBConv}
 *                 blocks; the first of a stage takes its stride and input width
 * features.s+1    conv 1x1 (c -> last), batch norm, SiLU; last = 4c (B family) or 1280 (V2)
 * pool (global average) -> flatten -> classifier: Dropout, Linear(last, classes)
 * </pre>
 *
 * <p>Block {@code i} of {@code n} (counted over the whole network from 0) has stochastic depth
 * {@code p * i / n}, {@code p = 0.2} by default. With width and depth multipliers (the B family's
 * scaling), an MBConv stage's widths become {@code _make_divisible(c * w, 8)} and its depth
 * {@code ceil(n * d)}; fused stages are taken as given, as torchvision's configurations do. Batch
 * norms have PyTorch's defaults (eps 1e-3 for V2, as torchvision); convolutions start He normal
 * (fan-out), the classifier {@code U(-1/sqrt(classes), 1/sqrt(classes))} with a zero bias, as
 * torchvision's.
 *
 * <p>Example: {@code EfficientNet.b0().classes(10).stochasticDepth(0).seed(7).build()}.
 */
public final class EfficientNet extends GraphBlock {
  private final String typeName;

  private EfficientNet(LayerGraph graph, String typeName) {
    super(graph);
    this.typeName = typeName;
  }

  @Override
  public String typeName() {
    return typeName;
  }

  /**
   * One stage of the table, torchvision's {@code MBConvConfig} or {@code FusedMBConvConfig}.
   *
   * @param fused FusedMBConv blocks rather than MBConv
   * @param expand the expansion ratio
   * @param kernel the (depthwise or fused) kernel
   * @param stride the first block's stride
   * @param in the stage's input channels
   * @param out the stage's output channels
   * @param layers the number of blocks
   */
  public record Stage(boolean fused, double expand, int kernel, int stride, int in, int out, int layers) {
    /** Checks the values. */
    public Stage {
      if (!(expand > 0) || kernel < 1 || kernel % 2 == 0 || (stride != 1 && stride != 2) || in < 1 || out < 1
          || layers < 1) {
        throw new IllegalArgumentException("EfficientNet: stage " + describe(fused, expand, kernel, stride, in, out,
            layers) + " (expected: expand > 0, odd kernel, stride 1 or 2, in, out, layers >= 1)");
      }
    }

    /** torchvision's {@code MBConvConfig(expand, kernel, stride, in, out, layers)}. */
    public static Stage mbConv(double expand, int kernel, int stride, int in, int out, int layers) {
      return new Stage(false, expand, kernel, stride, in, out, layers);
    }

    /** torchvision's {@code FusedMBConvConfig(expand, kernel, stride, in, out, layers)}. */
    public static Stage fused(double expand, int kernel, int stride, int in, int out, int layers) {
      return new Stage(true, expand, kernel, stride, in, out, layers);
    }

    private static String describe(boolean fused, double expand, int kernel, int stride, int in, int out, int layers) {
      return (fused ? "FusedMBConv" : "MBConv") + "(expand " + expand + ", kernel " + kernel + ", stride " + stride
          + ", in " + in + ", out " + out + ", layers " + layers + ")";
    }

    @Override
    public String toString() {
      return describe(fused, expand, kernel, stride, in, out, layers);
    }
  }

  /** torchvision's {@code efficientnet_b0()}: 1000 classes, dropout 0.2, stochastic depth 0.2. */
  public static Builder b0() {
    return new Builder("EfficientNet-B0", List.of(
        Stage.mbConv(1, 3, 1, 32, 16, 1), Stage.mbConv(6, 3, 2, 16, 24, 2), Stage.mbConv(6, 5, 2, 24, 40, 2),
        Stage.mbConv(6, 3, 2, 40, 80, 3), Stage.mbConv(6, 5, 1, 80, 112, 3), Stage.mbConv(6, 5, 2, 112, 192, 4),
        Stage.mbConv(6, 3, 1, 192, 320, 1)), 0, 1e-5);
  }

  /** torchvision's {@code efficientnet_v2_s()}: 1000 classes, last width 1280, batch norm eps 1e-3. */
  public static Builder v2S() {
    return new Builder("EfficientNetV2-S", List.of(
        Stage.fused(1, 3, 1, 24, 24, 2), Stage.fused(4, 3, 2, 24, 48, 4), Stage.fused(4, 3, 2, 48, 64, 4),
        Stage.mbConv(4, 3, 2, 64, 128, 6), Stage.mbConv(6, 3, 1, 128, 160, 9), Stage.mbConv(6, 3, 2, 160, 256, 15)),
        1280, 1e-3);
  }

  /**
   * An EfficientNet of any table, torchvision's {@code EfficientNet(inverted_residual_setting, ...)}.
   *
   * @param name the model's type name
   * @param stages the stages, at least one
   * @return a builder with no fixed last width (4 times the last stage's), batch norm eps 1e-5
   */
  public static Builder custom(String name, Stage... stages) {
    if (stages.length == 0) {
      throw new IllegalArgumentException(name + ": no stages (expected: >= 1)");
    }
    return new Builder(name, List.of(stages), 0, 1e-5);
  }

  /** Options of an {@link EfficientNet}: torchvision's defaults until set. */
  public static final class Builder {
    private final String name;
    private final List<Stage> stages;
    private int lastChannel;
    private double eps;
    private int classes = 1000;
    private int inChannels = 3;
    private double widthMultiplier = 1;
    private double depthMultiplier = 1;
    private double dropout = 0.2;
    private double stochasticDepth = 0.2;
    private Long seed;
    private int seeds;

    private Builder(String name, List<Stage> stages, int lastChannel, double eps) {
      this.name = Objects.requireNonNull(name, "name");
      this.stages = stages;
      this.lastChannel = lastChannel;
      this.eps = eps;
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

    /** The width of the last 1x1 convolution (default: 1280 for V2, else 4 times the last stage's). */
    public Builder lastChannel(int n) {
      if (n < 1) {
        throw new IllegalArgumentException(name + ": lastChannel " + n + " (expected: >= 1)");
      }
      this.lastChannel = n;
      return this;
    }

    /** Scales the MBConv stages' widths, rounded to multiples of 8 (default 1). */
    public Builder widthMultiplier(double w) {
      if (!(w > 0) || w > 1e4) {
        throw new IllegalArgumentException(name + ": widthMultiplier " + w + " (expected: 0 < widthMultiplier <= 1e4)");
      }
      this.widthMultiplier = w;
      return this;
    }

    /** Scales the MBConv stages' depths, rounded up (default 1). */
    public Builder depthMultiplier(double d) {
      if (!(d > 0) || d > 1e4) {
        throw new IllegalArgumentException(name + ": depthMultiplier " + d + " (expected: 0 < depthMultiplier <= 1e4)");
      }
      this.depthMultiplier = d;
      return this;
    }

    /** The batch norms' eps (default 1e-5; 1e-3 for V2-S, as torchvision's). */
    public Builder eps(double e) {
      if (!(e > 0 && e < Double.POSITIVE_INFINITY)) {
        throw new IllegalArgumentException(name + ": eps " + e + " (expected: > 0)");
      }
      this.eps = e;
      return this;
    }

    /** The classifier's dropout probability (default 0.2, torchvision's for B0 and V2-S). */
    public Builder dropout(double p) {
      if (!(p >= 0 && p < 1)) {
        throw new IllegalArgumentException(name + ": dropout " + p + " (expected: 0 <= dropout < 1)");
      }
      this.dropout = p;
      return this;
    }

    /** The stochastic-depth probability {@code p} of the last block (default 0.2, torchvision's). */
    public Builder stochasticDepth(double p) {
      if (!(p >= 0 && p <= 1)) {
        throw new IllegalArgumentException(name + ": stochasticDepth " + p + " (expected: 0 <= p <= 1)");
      }
      this.stochasticDepth = p;
      return this;
    }

    /** The seed of the initialization and of the random masks (default: the next of the global default sequence). */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    private long nextSeed() {
      return LayerSeeds.seed(seed, seeds++);
    }

    /** A stage as torchvision's configuration adjusts it: MBConv stages scaled, fused ones as given. */
    private Stage scaled(Stage s) {
      if (s.fused()) {
        return s;
      }
      return Stage.mbConv(s.expand(), s.kernel(), s.stride(), Widths.makeDivisible(s.in() * widthMultiplier, 8),
          Widths.makeDivisible(s.out() * widthMultiplier, 8), (int) Math.ceil(s.layers() * depthMultiplier));
    }

    private Sequential convNormSiLU(int from, int to, int kernel, int stride) {
      Conv2D conv = Conv2D.builder(from, to).kernel(kernel).stride(stride).padding((kernel - 1) / 2).bias(false)
          .initializer(TorchvisionInit.HE_NORMAL_FAN_OUT).seed(nextSeed()).build();
      return new Sequential(conv, new BatchNorm2D(to).eps(eps), new SiLU());
    }

    /** The model. */
    public EfficientNet build() {
      seeds = 0;
      List<Stage> table = stages.stream().map(this::scaled).toList();
      int total = table.stream().mapToInt(Stage::layers).sum();
      Layer[] features = new Layer[table.size() + 2];
      features[0] = convNormSiLU(inChannels, table.get(0).in(), 3, 2);
      int blockId = 0;
      for (int i = 0; i < table.size(); i++) {
        Stage s = table.get(i);
        Layer[] blocks = new Layer[s.layers()];
        for (int j = 0; j < blocks.length; j++) {
          EfficientBlock.Builder b = s.fused() ? EfficientBlock.fusedMBConv(j == 0 ? s.in() : s.out(), s.out())
              : EfficientBlock.mbConv(j == 0 ? s.in() : s.out(), s.out());
          blocks[j] = b.expand(s.expand()).kernel(s.kernel()).stride(j == 0 ? s.stride() : 1).eps(eps)
              .stochasticDepth(stochasticDepth * blockId++ / total).initializer(TorchvisionInit.HE_NORMAL_FAN_OUT)
              .seed(nextSeed()).build();
        }
        features[i + 1] = new Sequential(blocks);
      }
      int c = table.get(table.size() - 1).out();
      int last = lastChannel > 0 ? lastChannel : 4 * c;
      features[table.size() + 1] = convNormSiLU(c, last, 1, 1);
      Dense fc = Dense.builder(last, classes).initializer(TorchvisionInit.UNIFORM_FAN_OUT)
          .biasInitializer(Initializer.ZEROS).seed(nextSeed()).build();
      LayerNode featureNode = new LayerNode(new Sequential(features), "features");
      LayerNode head = new LayerNode(new Sequential(new Dropout(dropout, nextSeed()), fc), "classifier");
      LayerGraph graph = LayerGraph.builder().root(featureNode)
          .edges(featureNode, new LayerNode(new GlobalAvgPool2D(), "avgpool"), new LayerNode(new Flatten(), "flatten"),
              head)
          .term(head).build();
      return new EfficientNet(graph, name);
    }
  }
}

package org.autoprop.blocks;

import org.autoprop.graph.LayerGraph;
import org.autoprop.graph.LayerNode;
import org.autoprop.graph.MergeMode;
import org.autoprop.layer.BatchNorm2D;
import org.autoprop.layer.Conv2D;
import org.autoprop.layer.GlobalAvgPool2D;
import org.autoprop.layer.Identity;
import org.autoprop.layer.Initializer;
import org.autoprop.layer.Layer;
import org.autoprop.layer.ReLU;
import org.autoprop.layer.Reshape;
import org.autoprop.layer.Sequential;
import org.autoprop.layer.Sigmoid;
import org.autoprop.layer.Slice;
import org.autoprop.layer.Softmax;
import org.autoprop.layer.Transpose;
import org.autoprop.models.GraphBlock;

/**
 * Luma's {@code ResNeStBlock}: the split-attention bottleneck of ResNeSt (Zhang et al. 2020) on
 * {@code [N, C, H, W]}, as the authors' {@code resnest.torch} {@code Bottleneck} with
 * {@code SplAtConv2d} (no anti-aliased downsampling: the stride is on the split-attention
 * convolution; the shortcut is torchvision's 1x1 convolution and batch norm). With radix
 * {@code R}, cardinality {@code K} and {@code w = planes * baseWidth / 64 * K}:
 *
 * <pre>
 * conv1, bn1, relu1     1x1 in -> w                                        conv1.weight, bn1.*
 * conv2 (split attention, the authors' SplAtConv2d):
 *   conv, bn0, relu     3x3 stride s, groups K R: w -> R w                 conv2.conv.weight, conv2.bn0.*
 *   split_r             the R chunks of w channels; their SUM, averaged (gap)
 *   fc1, bn1, relu1     1x1 conv w -> a, groups K, with bias               conv2.fc1.*, conv2.bn1.*
 *   fc2                 1x1 conv a -> R w, groups K, with bias             conv2.fc2.*
 *   rsoftmax            R > 1: viewed [N, K, R, w / K], softmax over R, laid out [N, R, K, w / K];
 *                       R = 1: sigmoid
 *   out                 SUM over r of split_r times its attention chunk r
 * conv3, bn3            1x1 w -> 4 planes                                  conv3.weight, bn3.*
 * downsample            (stride != 1 or in != 4 planes) 1x1 conv stride s, batch norm: downsample.0/1
 * add                   relu(shortcut + bn3)
 * </pre>
 *
 * <p>The attention width {@code a} is the authors' {@code max(w R / reduction, 32)} (reduction 4)
 * unless set by {@link Builder#attentionChannels}. Convolutions but the attention's have no bias;
 * weights start He normal (the attention's biases as PyTorch's default); batch norms have
 * momentum 0.1.
 */
public final class ResNeStBlock extends GraphBlock {
  private static final String NAME = "ResNeStBlock";

  private ResNeStBlock(LayerGraph graph) {
    super(graph);
  }

  @Override
  public String typeName() {
    return NAME;
  }

  /**
   * The split-attention bottleneck {@code Bottleneck(in, planes)}: output {@code 4 * planes} channels.
   *
   * @param in input channels
   * @param planes the bottleneck's planes
   * @return a builder (stride 1, radix 2, cardinality 1, base width 64, reduction 4 until set)
   */
  public static Builder builder(int in, int planes) {
    return new Builder(in, planes);
  }

  /** Options of a {@link ResNeStBlock}: the authors' defaults until set. */
  public static final class Builder {
    private final int in;
    private final int planes;
    private int stride = 1;
    private int radix = 2;
    private int cardinality = 1;
    private int baseWidth = 64;
    private int reduction = 4;
    private int attentionChannels;
    private Long seed;
    private int seeds;

    Builder(int in, int planes) {
      if (in < 1 || planes < 1) {
        throw new IllegalArgumentException(NAME + ": in " + in + ", planes " + planes + " (expected: >= 1 each)");
      }
      this.in = in;
      this.planes = planes;
    }

    /** The stride of the split-attention convolution and the shortcut (default 1). */
    public Builder stride(int s) {
      this.stride = positive("stride", s);
      return this;
    }

    /** The splits per cardinal group {@code R} (default 2; 1 gates with a sigmoid). */
    public Builder radix(int r) {
      this.radix = positive("radix", r);
      return this;
    }

    /** The cardinal groups {@code K} (default 1). */
    public Builder cardinality(int k) {
      this.cardinality = positive("cardinality", k);
      return this;
    }

    /** The width per group at 64 planes (default 64): {@code w = planes * baseWidth / 64 * K}. */
    public Builder baseWidth(int w) {
      this.baseWidth = positive("baseWidth", w);
      return this;
    }

    /** The attention's reduction factor (default 4): {@code a = max(w R / reduction, 32)}. */
    public Builder reduction(int r) {
      this.reduction = positive("reduction", r);
      return this;
    }

    /** The attention's hidden width {@code a}, in place of {@code max(w R / reduction, 32)}; a multiple of K. */
    public Builder attentionChannels(int a) {
      this.attentionChannels = positive("attentionChannels", a);
      return this;
    }

    /** The seed of the initialization (default: the next of the global default sequence). */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    private static int positive(String option, int v) {
      if (v < 1) {
        throw new IllegalArgumentException(NAME + ": " + option + " " + v + " (expected: >= 1)");
      }
      return v;
    }

    private Conv2D conv(int from, int to, int kernel, int convStride, int groups, boolean bias) {
      Long s = Rank.derive(seed, seeds++);
      Conv2D.Builder b = Conv2D.builder(from, to).kernel(kernel).stride(convStride).padding(kernel / 2).groups(groups)
          .bias(bias).initializer(Initializer.HE_NORMAL).biasInitializer(Initializer.PYTORCH_DEFAULT);
      return (s == null ? b : b.seed(s)).build();
    }

    /** The block. */
    public ResNeStBlock build() {
      seeds = 0;
      long width = (long) planes * baseWidth / 64 * cardinality;
      if (width < 1 || width * radix > Integer.MAX_VALUE) {
        throw new IllegalArgumentException(NAME + ": width planes * baseWidth / 64 * cardinality = " + width
            + " (expected: 1 .. " + Integer.MAX_VALUE / radix + ")");
      }
      int w = (int) width;
      if (w % (cardinality * radix) != 0) {
        throw new IllegalArgumentException(NAME + ": width " + w + " is not a multiple of cardinality * radix = "
            + cardinality + " * " + radix + " (the split-attention convolution's groups)");
      }
      int a = attentionChannels > 0 ? attentionChannels : Math.max(w * radix / reduction, 32);
      if (a % cardinality != 0) {
        throw new IllegalArgumentException(NAME + ": attention width " + a + " is not a multiple of cardinality "
            + cardinality);
      }
      int out = 4 * planes;
      LayerNode root = new LayerNode(new Identity(), "in");
      LayerGraph.Builder g = LayerGraph.builder().root(root);
      LayerNode bn3 = g.extend(root, new LayerNode(conv(in, w, 1, 1, 1, false), "conv1"),
          new LayerNode(new BatchNorm2D(w), "bn1"), new LayerNode(new ReLU(), "relu1"),
          new LayerNode(splitAttention(w, a), "conv2"), new LayerNode(conv(w, out, 1, 1, 1, false), "conv3"),
          new LayerNode(new BatchNorm2D(out), "bn3"));
      LayerNode sum = new LayerNode(new ReLU(), MergeMode.SUM, "add");
      g.edge(bn3, sum);
      if (stride != 1 || in != out) {
        Sequential shortcut = new Sequential(conv(in, out, 1, stride, 1, false), new BatchNorm2D(out));
        g.edge(g.extend(root, new LayerNode(shortcut, "downsample")), sum);
      } else {
        g.edge(root, sum);
      }
      return new ResNeStBlock(g.term(sum).build());
    }

    /** The authors' SplAtConv2d on {@code w} channels with attention width {@code a}. */
    private LayerGraph splitAttention(int w, int a) {
      LayerNode root = new LayerNode(new Identity(), "in");
      LayerGraph.Builder g = LayerGraph.builder().root(root);
      LayerNode features = g.extend(root,
          new LayerNode(conv(w, w * radix, 3, stride, cardinality * radix, false), "conv"),
          new LayerNode(new BatchNorm2D(w * radix), "bn0"), new LayerNode(new ReLU(), "relu"));
      LayerNode[] splits = new LayerNode[radix];
      // With one split there is nothing to sum or to weigh against: the pool takes it alone.
      LayerNode gap = radix == 1 ? new LayerNode(new GlobalAvgPool2D(), "gap")
          : new LayerNode(new GlobalAvgPool2D(), MergeMode.SUM, "gap");
      for (int r = 0; r < radix; r++) {
        splits[r] = radix == 1 ? features
            : g.extend(features, new LayerNode(Slice.of(1, r * w, (r + 1) * w), "split" + r));
        g.edge(splits[r], gap);
      }
      Layer gate = radix == 1 ? new Sigmoid()
          : new Sequential(new Reshape(cardinality, radix, w / cardinality), new Softmax(2), new Transpose(1, 2),
              new Reshape(radix * w, 1, 1));
      LayerNode attention = g.extend(gap, new LayerNode(conv(w, a, 1, 1, cardinality, true), "fc1"),
          new LayerNode(new BatchNorm2D(a), "bn1"), new LayerNode(new ReLU(), "relu1"),
          new LayerNode(conv(a, w * radix, 1, 1, cardinality, true), "fc2"), new LayerNode(gate, "rsoftmax"));
      if (radix == 1) {
        LayerNode scaled = new LayerNode(new Identity(), MergeMode.HADAMARD, "scaled0");
        g.edge(features, scaled).edge(attention, scaled);
        return g.term(scaled).build();
      }
      LayerNode out = new LayerNode(new Identity(), MergeMode.SUM, "out");
      for (int r = 0; r < radix; r++) {
        LayerNode weights = g.extend(attention, new LayerNode(Slice.of(1, r * w, (r + 1) * w), "attention" + r));
        LayerNode scaled = new LayerNode(new Identity(), MergeMode.HADAMARD, "scaled" + r);
        g.edge(splits[r], scaled).edge(weights, scaled).edge(scaled, out);
      }
      return g.term(out).build();
    }
  }
}

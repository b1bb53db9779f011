package org.autoprop.blocks;

import org.autoprop.graph.LayerNode;
import org.autoprop.graph.MergeMode;
import org.autoprop.layer.Conv2D;
import org.autoprop.layer.Identity;
import org.autoprop.layer.Initializer;
import org.autoprop.layer.Layer;
import org.autoprop.layer.ReLU;
import org.autoprop.layer.Scale;
import org.autoprop.models.GraphBlock;

/**
 * Luma's {@code IncepResBlock} family on {@code [N, C, H, W]}: the residual Inception modules of
 * Inception-ResNet-v1 and -v2 (Szegedy et al. 2016, figures 10 to 13 and 16 to 19),
 *
 * <pre>
 * out = relu(x + scale * conv2d(cat(branch0(x), branch1(x) [, branch2(x)])))
 * </pre>
 *
 * <p>with timm's {@code inception_resnet_v2} names ({@code Block35}, {@code Block17},
 * {@code Block8}): {@code branch0} (a {@link BasicConv2D}), {@code branch1.0}, {@code branch1.1},
 * ... ({@code nn.Sequential}s of them), and {@code conv2d}, a 1x1 convolution with bias and no
 * batch norm back to the input's channels. The output has the input's shape. Branch widths:
 *
 * <table>
 *   <caption>Branch widths (before {@link Builder#widthDivisor})</caption>
 *   <tr><th>block</th><th>branch0</th><th>branch1</th><th>branch2</th><th>default scale</th></tr>
 *   <tr><td>V1 TypeA (35x35)</td><td>32</td><td>32, 3x3 32</td><td>32, 3x3 32, 3x3 32</td><td>0.17</td></tr>
 *   <tr><td>V1 TypeB (17x17)</td><td>128</td><td>128, 1x7 128, 7x1 128</td><td></td><td>0.10</td></tr>
 *   <tr><td>V1 TypeC (8x8)</td><td>192</td><td>192, 1x3 192, 3x1 192</td><td></td><td>0.20</td></tr>
 *   <tr><td>V2 TypeA (Block35)</td><td>32</td><td>32, 3x3 32</td><td>32, 3x3 48, 3x3 64</td><td>0.17</td></tr>
 *   <tr><td>V2 TypeB (Block17)</td><td>192</td><td>128, 1x7 160, 7x1 192</td><td></td><td>0.10</td></tr>
 *   <tr><td>V2 TypeC (Block8)</td><td>192</td><td>192, 1x3 224, 3x1 256</td><td></td><td>0.20</td></tr>
 * </table>
 *
 * <p>The scales are timm's (the paper scales residuals "between 0.1 and 0.3"). Weights start He
 * normal; batch norms have epsilon 1e-3 and PyTorch's momentum 0.1.
 */
public final class IncepResBlock extends GraphBlock {
  private final String typeName;

  private IncepResBlock(org.autoprop.graph.LayerGraph graph, String typeName) {
    super(graph);
    this.typeName = typeName;
  }

  @Override
  public String typeName() {
    return typeName;
  }

  /** Inception-ResNet-v1's Inception-ResNet-A (figure 10) on {@code channels} channels (256 in the paper). */
  public static Builder v1TypeA(int channels) {
    return new Builder(Kind.V1_A, channels);
  }

  /** Inception-ResNet-v1's Inception-ResNet-B (figure 11) on {@code channels} channels (896 in the paper). */
  public static Builder v1TypeB(int channels) {
    return new Builder(Kind.V1_B, channels);
  }

  /** Inception-ResNet-v1's Inception-ResNet-C (figure 13) on {@code channels} channels (1792 in the paper). */
  public static Builder v1TypeC(int channels) {
    return new Builder(Kind.V1_C, channels);
  }

  /** Inception-ResNet-v2's Inception-ResNet-A (figure 16, timm's Block35) on {@code channels} channels (320). */
  public static Builder v2TypeA(int channels) {
    return new Builder(Kind.V2_A, channels);
  }

  /** Inception-ResNet-v2's Inception-ResNet-B (figure 17, timm's Block17) on {@code channels} channels (1088). */
  public static Builder v2TypeB(int channels) {
    return new Builder(Kind.V2_B, channels);
  }

  /** Inception-ResNet-v2's Inception-ResNet-C (figure 19, timm's Block8) on {@code channels} channels (2080). */
  public static Builder v2TypeC(int channels) {
    return new Builder(Kind.V2_C, channels);
  }

  private enum Kind {
    V1_A("IncepResBlock.V1.TypeA", 0.17),
    V1_B("IncepResBlock.V1.TypeB", 0.10),
    V1_C("IncepResBlock.V1.TypeC", 0.20),
    V2_A("IncepResBlock.V2.TypeA", 0.17),
    V2_B("IncepResBlock.V2.TypeB", 0.10),
    V2_C("IncepResBlock.V2.TypeC", 0.20);

    final String name;
    final double scale;

    Kind(String name, double scale) {
      this.name = name;
      this.scale = scale;
    }
  }

  /** Options of an {@link IncepResBlock}. */
  public static final class Builder {
    private final Kind kind;
    private final int channels;
    private double scale;
    private boolean relu = true;
    private int divisor = 1;
    private double momentum = 0.1;
    private Long seed;

    private Builder(Kind kind, int channels) {
      if (channels < 1) {
        throw new IllegalArgumentException(kind.name + ": channels " + channels + " (expected: >= 1)");
      }
      this.kind = kind;
      this.channels = channels;
      this.scale = kind.scale;
    }

    /** The residual's scale (defaults: 0.17 for type A, 0.10 for B, 0.20 for C). */
    public Builder scale(double s) {
      if (!Double.isFinite(s)) {
        throw new IllegalArgumentException(kind.name + ": scale " + s + " (expected: finite)");
      }
      this.scale = s;
      return this;
    }

    /** Whether a ReLU follows the sum (default true; timm's last Block8 has {@code no_relu}). */
    public Builder relu(boolean on) {
      this.relu = on;
      return this;
    }

    /** Divides each branch width by {@code d} (default 1), which must divide all of them. */
    public Builder widthDivisor(int d) {
      if (d < 1) {
        throw new IllegalArgumentException(kind.name + ": widthDivisor " + d + " (expected: >= 1)");
      }
      this.divisor = d;
      return this;
    }

    /** The batch norms' momentum, PyTorch's convention (default 0.1). */
    public Builder momentum(double m) {
      if (!(m >= 0 && m <= 1)) {
        throw new IllegalArgumentException(kind.name + ": momentum " + m + " (expected: 0 <= momentum <= 1)");
      }
      this.momentum = m;
      return this;
    }

    /** The seed of the initialization (default: the next of the global default sequence). */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    private int w(int width) {
      if (width % divisor != 0) {
        throw new IllegalArgumentException(kind.name + ": widthDivisor " + divisor + " does not divide the width "
            + width + " (expected: a divisor of every width of the block)");
      }
      return width / divisor;
    }

    /** The block. */
    public IncepResBlock build() {
      Branches b = new Branches(seed, momentum);
      int in = channels;
      LayerNode[] ends;
      int cat;
      switch (kind) {
        case V1_A, V2_A -> {
          boolean v1 = kind == Kind.V1_A;
          int mid = v1 ? 32 : 48;
          int last = v1 ? 32 : 64;
          ends = new LayerNode[] {
              b.then(b.in, "branch0", b.conv(in, w(32), 1, 1, 0)),
              b.sequential(b.in, "branch1", b.conv(in, w(32), 1, 1, 0), b.conv(w(32), w(32), 3, 1, 1)),
              b.sequential(b.in, "branch2", b.conv(in, w(32), 1, 1, 0), b.conv(w(32), w(mid), 3, 1, 1),
                  b.conv(w(mid), w(last), 3, 1, 1))};
          cat = 2 * w(32) + w(last);
        }
        case V1_B, V2_B -> {
          boolean v1 = kind == Kind.V1_B;
          int first = 128;
          int mid = v1 ? 128 : 160;
          int last = v1 ? 128 : 192;
          int zero = v1 ? 128 : 192;
          ends = new LayerNode[] {
              b.then(b.in, "branch0", b.conv(in, w(zero), 1, 1, 0)),
              b.sequential(b.in, "branch1", b.conv(in, w(first), 1, 1, 0), b.conv(w(first), w(mid), 1, 7, 1, 0, 3),
                  b.conv(w(mid), w(last), 7, 1, 1, 3, 0))};
          cat = w(zero) + w(last);
        }
        case V1_C, V2_C -> {
          boolean v1 = kind == Kind.V1_C;
          int mid = v1 ? 192 : 224;
          int last = v1 ? 192 : 256;
          ends = new LayerNode[] {
              b.then(b.in, "branch0", b.conv(in, w(192), 1, 1, 0)),
              b.sequential(b.in, "branch1", b.conv(in, w(192), 1, 1, 0), b.conv(w(192), w(mid), 1, 3, 1, 0, 1),
                  b.conv(w(mid), w(last), 3, 1, 1, 1, 0))};
          cat = w(192) + w(last);
        }
        default -> throw new AssertionError(kind);
      }
      LayerNode concat = new LayerNode(new Identity(), MergeMode.CHCAT, "cat");
      for (LayerNode e : ends) {
        b.graph.edge(e, concat);
      }
      Conv2D.Builder c = Conv2D.builder(cat, in).kernel(1).bias(true).initializer(Initializer.HE_NORMAL);
      Long s = b.nextSeed();
      LayerNode scaled = b.graph.extend(concat, new LayerNode((s == null ? c : c.seed(s)).build(), "conv2d"),
          new LayerNode(new Scale(scale), "scale"));
      Layer after = relu ? new ReLU() : new Identity();
      LayerNode add = new LayerNode(after, MergeMode.SUM, "add");
      b.graph.edge(b.in, add).edge(scaled, add).term(add);
      return new IncepResBlock(b.graph.build(), kind.name);
    }
  }
}

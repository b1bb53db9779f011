package org.autoprop.blocks;

import org.autoprop.graph.LayerGraph;
import org.autoprop.graph.LayerNode;
import org.autoprop.layer.Pool2D;
import org.autoprop.models.GraphBlock;

/**
 * Luma's {@code IncepBlock} family on {@code [N, C, H, W]}: the multi-branch modules of the
 * Inception networks, each branch made of {@link BasicConv2D}s (convolution without bias, batch
 * norm of epsilon 1e-3, ReLU) and the branches concatenated on the channel axis (a
 * {@link org.autoprop.graph.MergeMode#CHCAT} node {@code cat}, in the order listed).
 *
 * <table>
 *   <caption>The blocks, their sources and names</caption>
 *   <tr><th>Luma</th><th>factory</th><th>definition and parameter names</th></tr>
 *   <tr><td>V1</td><td>{@link #v1}</td><td>torchvision's GoogLeNet {@code Inception}: {@code branch1}
 *       (1x1), {@code branch2} (1x1, 3x3), {@code branch3} (1x1, 3x3: torchvision's, where the paper
 *       has 5x5), {@code branch4} (max pool 3 stride 1 padding 1 ceil mode, 1x1)</td></tr>
 *   <tr><td>V2 TypeA</td><td>{@link #v2TypeA}</td><td>torchvision's Inception V3 {@code InceptionA}
 *       (35x35 grid)</td></tr>
 *   <tr><td>V2 Redux</td><td>{@link #v2ReduxA}, {@link #v2ReduxB}</td><td>{@code InceptionB} (35 to
 *       17) and {@code InceptionD} (17 to 8), the grid reductions</td></tr>
 *   <tr><td>V2 TypeB</td><td>{@link #v2TypeB}</td><td>{@code InceptionC} (17x17, factorised 7x7)</td></tr>
 *   <tr><td>V2 TypeC</td><td>{@link #v2TypeC}</td><td>{@code InceptionE} (8x8, expanded 3x3)</td></tr>
 *   <tr><td>V4 Stem, TypeA/B/C, ReduxA/B</td><td>{@link #v4Stem}, {@link #v4TypeA}, ...</td><td>the
 *       Inception-v4 paper (Szegedy et al. 2016, figures 3 to 9) with timm's {@code inception_v4}
 *       names ({@code branch0}, {@code branch1.0}, ...); timm's average pools exclude the padding
 *       from the divisor, these include it (PyTorch's default): the outputs differ on the border</td></tr>
 * </table>
 *
 * <p>The widths of the V2 and V4 blocks are fixed by their definitions; {@link Builder#widthDivisor}
 * divides every one of them (not the input channels) for small test networks. Weights start He
 * normal; batch norms have PyTorch's momentum 0.1.
 */
public final class IncepBlock extends GraphBlock {
  private final String typeName;

  private IncepBlock(LayerGraph graph, String typeName) {
    super(graph);
    this.typeName = typeName;
  }

  @Override
  public String typeName() {
    return typeName;
  }

  /**
   * torchvision's {@code Inception(in, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj)}: output
   * {@code ch1x1 + ch3x3 + ch5x5 + poolProj} channels, the same height and width.
   */
  public static Builder v1(int in, int ch1x1, int ch3x3red, int ch3x3, int ch5x5red, int ch5x5, int poolProj) {
    return new Builder(Kind.V1, in, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, poolProj);
  }

  /** torchvision's {@code InceptionA(in, pool_features)}: {@code 224 + poolFeatures} channels out. */
  public static Builder v2TypeA(int in, int poolFeatures) {
    return new Builder(Kind.V2_A, in, poolFeatures);
  }

  /** torchvision's {@code InceptionB(in)}: {@code 480 + in} channels out, height and width {@code (x - 3) / 2 + 1}. */
  public static Builder v2ReduxA(int in) {
    return new Builder(Kind.V2_REDUX_A, in);
  }

  /** torchvision's {@code InceptionC(in, channels_7x7)}: 768 channels out. */
  public static Builder v2TypeB(int in, int channels7x7) {
    return new Builder(Kind.V2_B, in, channels7x7);
  }

  /** torchvision's {@code InceptionD(in)}: {@code 512 + in} channels out, height and width {@code (x - 3) / 2 + 1}. */
  public static Builder v2ReduxB(int in) {
    return new Builder(Kind.V2_REDUX_B, in);
  }

  /** torchvision's {@code InceptionE(in)}: 2048 channels out. */
  public static Builder v2TypeC(int in) {
    return new Builder(Kind.V2_C, in);
  }

  /**
   * The Inception-v4 stem (figure 3; timm's {@code features.0} to {@code features.5}): 3x3 convs to
   * 32 (stride 2), 32, 64, then {@code mixed_3a} (max pool | conv 96, stride 2), {@code mixed_4a}
   * (two branches to 96), {@code mixed_5a} (conv 192, stride 2 | max pool): 384 channels out.
   */
  public static Builder v4Stem(int in) {
    return new Builder(Kind.V4_STEM, in);
  }

  /** Inception-v4's Inception-A (figure 4): 384 channels out. */
  public static Builder v4TypeA(int in) {
    return new Builder(Kind.V4_A, in);
  }

  /** Inception-v4's Reduction-A (figure 7, k = 192, l = 224, m = 256, n = 384): {@code 640 + in} channels out. */
  public static Builder v4ReduxA(int in) {
    return new Builder(Kind.V4_REDUX_A, in);
  }

  /** Inception-v4's Inception-B (figure 5): 1024 channels out. */
  public static Builder v4TypeB(int in) {
    return new Builder(Kind.V4_B, in);
  }

  /** Inception-v4's Reduction-B (figure 8): {@code 512 + in} channels out. */
  public static Builder v4ReduxB(int in) {
    return new Builder(Kind.V4_REDUX_B, in);
  }

  /** Inception-v4's Inception-C (figure 6): 1536 channels out. */
  public static Builder v4TypeC(int in) {
    return new Builder(Kind.V4_C, in);
  }

  private enum Kind {
    V1("IncepBlock.V1"),
    V2_A("IncepBlock.V2.TypeA"),
    V2_REDUX_A("IncepBlock.V2.ReduxA"),
    V2_B("IncepBlock.V2.TypeB"),
    V2_REDUX_B("IncepBlock.V2.ReduxB"),
    V2_C("IncepBlock.V2.TypeC"),
    V4_STEM("IncepBlock.V4.Stem"),
    V4_A("IncepBlock.V4.TypeA"),
    V4_REDUX_A("IncepBlock.V4.ReduxA"),
    V4_B("IncepBlock.V4.TypeB"),
    V4_REDUX_B("IncepBlock.V4.ReduxB"),
    V4_C("IncepBlock.V4.TypeC");

    final String name;

    Kind(String name) {
      this.name = name;
    }
  }

  /** Options of an {@link IncepBlock}. */
  public static final class Builder {
    private final Kind kind;
    private final int[] c;
    private int divisor = 1;
    private double momentum = 0.1;
    private Long seed;

    private Builder(Kind kind, int... channels) {
      for (int v : channels) {
        if (v < 1) {
          throw new IllegalArgumentException(kind.name + ": channels " + java.util.Arrays.toString(channels)
              + " (expected: >= 1 each)");
        }
      }
      this.kind = kind;
      this.c = channels;
    }

    /**
     * Divides each of the block's fixed widths by {@code d} (default 1: the published widths), for
     * small networks; {@code d} must divide every one of them. V2 and V4 blocks only.
     */
    public Builder widthDivisor(int d) {
      if (kind == Kind.V1) {
        throw new IllegalArgumentException(kind.name + ": widthDivisor is an option of the V2 and V4 blocks"
            + " (V1's widths are its arguments)");
      }
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

    /** A published width divided by the divisor. */
    private int w(int width) {
      if (width % divisor != 0) {
        throw new IllegalArgumentException(kind.name + ": widthDivisor " + divisor + " does not divide the width "
            + width + " (expected: a divisor of every width of the block)");
      }
      return width / divisor;
    }

    /** The block. */
    public IncepBlock build() {
      Branches b = new Branches(seed, momentum);
      LayerGraph g = switch (kind) {
        case V1 -> v1(b);
        case V2_A -> v2TypeA(b);
        case V2_REDUX_A -> v2ReduxA(b);
        case V2_B -> v2TypeB(b);
        case V2_REDUX_B -> v2ReduxB(b);
        case V2_C -> v2TypeC(b);
        case V4_STEM -> v4Stem(b);
        case V4_A -> v4TypeA(b);
        case V4_REDUX_A -> v4ReduxA(b);
        case V4_B -> v4TypeB(b);
        case V4_REDUX_B -> v4ReduxB(b);
        case V4_C -> v4TypeC(b);
      };
      return new IncepBlock(g, kind.name);
    }

    private LayerGraph v1(Branches b) {
      int in = c[0];
      LayerNode b1 = b.then(b.in, "branch1", b.conv(in, c[1], 1, 1, 0));
      LayerNode b2 = b.sequential(b.in, "branch2", b.conv(in, c[2], 1, 1, 0), b.conv(c[2], c[3], 3, 1, 1));
      LayerNode b3 = b.sequential(b.in, "branch3", b.conv(in, c[4], 1, 1, 0), b.conv(c[4], c[5], 3, 1, 1));
      LayerNode b4 = b.sequential(b.in, "branch4", Pool2D.maxCeilMode(3, 1, 1), b.conv(in, c[6], 1, 1, 0));
      return b.concat(b1, b2, b3, b4);
    }

    private LayerGraph v2TypeA(Branches b) {
      int in = c[0];
      LayerNode b1 = b.then(b.in, "branch1x1", b.conv(in, w(64), 1, 1, 0));
      LayerNode b5 = b.then(b.in, "branch5x5_1", b.conv(in, w(48), 1, 1, 0));
      b5 = b.then(b5, "branch5x5_2", b.conv(w(48), w(64), 5, 1, 2));
      LayerNode d = b.then(b.in, "branch3x3dbl_1", b.conv(in, w(64), 1, 1, 0));
      d = b.then(d, "branch3x3dbl_2", b.conv(w(64), w(96), 3, 1, 1));
      d = b.then(d, "branch3x3dbl_3", b.conv(w(96), w(96), 3, 1, 1));
      LayerNode pool = b.then(b.in, "avg_pool", Pool2D.avg(3, 1, 1));
      pool = b.then(pool, "branch_pool", b.conv(in, c[1], 1, 1, 0));
      return b.concat(b1, b5, d, pool);
    }

    private LayerGraph v2ReduxA(Branches b) {
      int in = c[0];
      LayerNode b3 = b.then(b.in, "branch3x3", b.conv(in, w(384), 3, 2, 0));
      LayerNode d = b.then(b.in, "branch3x3dbl_1", b.conv(in, w(64), 1, 1, 0));
      d = b.then(d, "branch3x3dbl_2", b.conv(w(64), w(96), 3, 1, 1));
      d = b.then(d, "branch3x3dbl_3", b.conv(w(96), w(96), 3, 2, 0));
      LayerNode pool = b.then(b.in, "max_pool", Pool2D.max(3, 2, 0));
      return b.concat(b3, d, pool);
    }

    private LayerGraph v2TypeB(Branches b) {
      int in = c[0];
      int c7 = c[1];
      LayerNode b1 = b.then(b.in, "branch1x1", b.conv(in, w(192), 1, 1, 0));
      LayerNode s = b.then(b.in, "branch7x7_1", b.conv(in, c7, 1, 1, 0));
      s = b.then(s, "branch7x7_2", b.conv(c7, c7, 1, 7, 1, 0, 3));
      s = b.then(s, "branch7x7_3", b.conv(c7, w(192), 7, 1, 1, 3, 0));
      LayerNode d = b.then(b.in, "branch7x7dbl_1", b.conv(in, c7, 1, 1, 0));
      d = b.then(d, "branch7x7dbl_2", b.conv(c7, c7, 7, 1, 1, 3, 0));
      d = b.then(d, "branch7x7dbl_3", b.conv(c7, c7, 1, 7, 1, 0, 3));
      d = b.then(d, "branch7x7dbl_4", b.conv(c7, c7, 7, 1, 1, 3, 0));
      d = b.then(d, "branch7x7dbl_5", b.conv(c7, w(192), 1, 7, 1, 0, 3));
      LayerNode pool = b.then(b.in, "avg_pool", Pool2D.avg(3, 1, 1));
      pool = b.then(pool, "branch_pool", b.conv(in, w(192), 1, 1, 0));
      return b.concat(b1, s, d, pool);
    }

    private LayerGraph v2ReduxB(Branches b) {
      int in = c[0];
      LayerNode b3 = b.then(b.in, "branch3x3_1", b.conv(in, w(192), 1, 1, 0));
      b3 = b.then(b3, "branch3x3_2", b.conv(w(192), w(320), 3, 2, 0));
      LayerNode s = b.then(b.in, "branch7x7x3_1", b.conv(in, w(192), 1, 1, 0));
      s = b.then(s, "branch7x7x3_2", b.conv(w(192), w(192), 1, 7, 1, 0, 3));
      s = b.then(s, "branch7x7x3_3", b.conv(w(192), w(192), 7, 1, 1, 3, 0));
      s = b.then(s, "branch7x7x3_4", b.conv(w(192), w(192), 3, 2, 0));
      LayerNode pool = b.then(b.in, "max_pool", Pool2D.max(3, 2, 0));
      return b.concat(b3, s, pool);
    }

    /** torchvision's two inner concatenations flatten into the outer one: the same channel order. */
    private LayerGraph v2TypeC(Branches b) {
      int in = c[0];
      LayerNode b1 = b.then(b.in, "branch1x1", b.conv(in, w(320), 1, 1, 0));
      LayerNode s = b.then(b.in, "branch3x3_1", b.conv(in, w(384), 1, 1, 0));
      LayerNode sa = b.then(s, "branch3x3_2a", b.conv(w(384), w(384), 1, 3, 1, 0, 1));
      LayerNode sb = b.then(s, "branch3x3_2b", b.conv(w(384), w(384), 3, 1, 1, 1, 0));
      LayerNode d = b.then(b.in, "branch3x3dbl_1", b.conv(in, w(448), 1, 1, 0));
      d = b.then(d, "branch3x3dbl_2", b.conv(w(448), w(384), 3, 1, 1));
      LayerNode da = b.then(d, "branch3x3dbl_3a", b.conv(w(384), w(384), 1, 3, 1, 0, 1));
      LayerNode db = b.then(d, "branch3x3dbl_3b", b.conv(w(384), w(384), 3, 1, 1, 1, 0));
      LayerNode pool = b.then(b.in, "avg_pool", Pool2D.avg(3, 1, 1));
      pool = b.then(pool, "branch_pool", b.conv(in, w(192), 1, 1, 0));
      return b.concat(b1, sa, sb, da, db, pool);
    }

    private LayerGraph v4Stem(Branches b) {
      LayerNode x = b.then(b.in, "conv1", b.conv(c[0], w(32), 3, 2, 0));
      x = b.then(x, "conv2", b.conv(w(32), w(32), 3, 1, 0));
      x = b.then(x, "conv3", b.conv(w(32), w(64), 3, 1, 1));
      Branches m3 = new Branches(b.nextSeed(), momentum);
      LayerNode pool = m3.then(m3.in, "maxpool", Pool2D.max(3, 2, 0));
      LayerNode conv = m3.then(m3.in, "conv", m3.conv(w(64), w(96), 3, 2, 0));
      x = b.then(x, "mixed_3a", new IncepBlock(m3.concat(pool, conv), "IncepBlock.V4.Mixed3a"));
      Branches m4 = new Branches(b.nextSeed(), momentum);
      int c4 = w(64) + w(96);
      LayerNode b0 = m4.sequential(m4.in, "branch0", m4.conv(c4, w(64), 1, 1, 0), m4.conv(w(64), w(96), 3, 1, 0));
      LayerNode b1 = m4.sequential(m4.in, "branch1", m4.conv(c4, w(64), 1, 1, 0),
          m4.conv(w(64), w(64), 1, 7, 1, 0, 3), m4.conv(w(64), w(64), 7, 1, 1, 3, 0), m4.conv(w(64), w(96), 3, 1, 0));
      x = b.then(x, "mixed_4a", new IncepBlock(m4.concat(b0, b1), "IncepBlock.V4.Mixed4a"));
      Branches m5 = new Branches(b.nextSeed(), momentum);
      LayerNode conv5 = m5.then(m5.in, "conv", m5.conv(2 * w(96), w(192), 3, 2, 0));
      LayerNode pool5 = m5.then(m5.in, "maxpool", Pool2D.max(3, 2, 0));
      x = b.then(x, "mixed_5a", new IncepBlock(m5.concat(conv5, pool5), "IncepBlock.V4.Mixed5a"));
      return b.graph.term(x).build();
    }

    private LayerGraph v4TypeA(Branches b) {
      int in = c[0];
      LayerNode b0 = b.then(b.in, "branch0", b.conv(in, w(96), 1, 1, 0));
      LayerNode b1 = b.sequential(b.in, "branch1", b.conv(in, w(64), 1, 1, 0), b.conv(w(64), w(96), 3, 1, 1));
      LayerNode b2 = b.sequential(b.in, "branch2", b.conv(in, w(64), 1, 1, 0), b.conv(w(64), w(96), 3, 1, 1),
          b.conv(w(96), w(96), 3, 1, 1));
      LayerNode b3 = b.sequential(b.in, "branch3", Pool2D.avg(3, 1, 1), b.conv(in, w(96), 1, 1, 0));
      return b.concat(b0, b1, b2, b3);
    }

    private LayerGraph v4ReduxA(Branches b) {
      int in = c[0];
      LayerNode b0 = b.then(b.in, "branch0", b.conv(in, w(384), 3, 2, 0));
      LayerNode b1 = b.sequential(b.in, "branch1", b.conv(in, w(192), 1, 1, 0), b.conv(w(192), w(224), 3, 1, 1),
          b.conv(w(224), w(256), 3, 2, 0));
      LayerNode b2 = b.then(b.in, "branch2", Pool2D.max(3, 2, 0));
      return b.concat(b0, b1, b2);
    }

    private LayerGraph v4TypeB(Branches b) {
      int in = c[0];
      LayerNode b0 = b.then(b.in, "branch0", b.conv(in, w(384), 1, 1, 0));
      LayerNode b1 = b.sequential(b.in, "branch1", b.conv(in, w(192), 1, 1, 0),
          b.conv(w(192), w(224), 1, 7, 1, 0, 3), b.conv(w(224), w(256), 7, 1, 1, 3, 0));
      LayerNode b2 = b.sequential(b.in, "branch2", b.conv(in, w(192), 1, 1, 0),
          b.conv(w(192), w(192), 7, 1, 1, 3, 0), b.conv(w(192), w(224), 1, 7, 1, 0, 3),
          b.conv(w(224), w(224), 7, 1, 1, 3, 0), b.conv(w(224), w(256), 1, 7, 1, 0, 3));
      LayerNode b3 = b.sequential(b.in, "branch3", Pool2D.avg(3, 1, 1), b.conv(in, w(128), 1, 1, 0));
      return b.concat(b0, b1, b2, b3);
    }

    private LayerGraph v4ReduxB(Branches b) {
      int in = c[0];
      LayerNode b0 = b.sequential(b.in, "branch0", b.conv(in, w(192), 1, 1, 0), b.conv(w(192), w(192), 3, 2, 0));
      LayerNode b1 = b.sequential(b.in, "branch1", b.conv(in, w(256), 1, 1, 0),
          b.conv(w(256), w(256), 1, 7, 1, 0, 3), b.conv(w(256), w(320), 7, 1, 1, 3, 0),
          b.conv(w(320), w(320), 3, 2, 0));
      LayerNode b2 = b.then(b.in, "branch2", Pool2D.max(3, 2, 0));
      return b.concat(b0, b1, b2);
    }

    private LayerGraph v4TypeC(Branches b) {
      int in = c[0];
      LayerNode b0 = b.then(b.in, "branch0", b.conv(in, w(256), 1, 1, 0));
      LayerNode s = b.then(b.in, "branch1_0", b.conv(in, w(384), 1, 1, 0));
      LayerNode sa = b.then(s, "branch1_1a", b.conv(w(384), w(256), 1, 3, 1, 0, 1));
      LayerNode sb = b.then(s, "branch1_1b", b.conv(w(384), w(256), 3, 1, 1, 1, 0));
      LayerNode d = b.then(b.in, "branch2_0", b.conv(in, w(384), 1, 1, 0));
      d = b.then(d, "branch2_1", b.conv(w(384), w(448), 3, 1, 1, 1, 0));
      d = b.then(d, "branch2_2", b.conv(w(448), w(512), 1, 3, 1, 0, 1));
      LayerNode da = b.then(d, "branch2_3a", b.conv(w(512), w(256), 1, 3, 1, 0, 1));
      LayerNode db = b.then(d, "branch2_3b", b.conv(w(512), w(256), 3, 1, 1, 1, 0));
      LayerNode b3 = b.sequential(b.in, "branch3", Pool2D.avg(3, 1, 1), b.conv(in, w(256), 1, 1, 0));
      return b.concat(b0, sa, sb, da, db, b3);
    }
  }
}

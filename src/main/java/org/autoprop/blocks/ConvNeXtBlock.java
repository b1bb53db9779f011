package org.autoprop.blocks;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import org.autoprop.graph.LayerGraph;
import org.autoprop.graph.LayerNode;
import org.autoprop.graph.MergeMode;
import org.autoprop.layer.Conv2D;
import org.autoprop.layer.DenseND;
import org.autoprop.layer.DropPath;
import org.autoprop.layer.GELU;
import org.autoprop.layer.GlobalResponseNorm;
import org.autoprop.layer.Identity;
import org.autoprop.layer.Initializer;
import org.autoprop.layer.Layer;
import org.autoprop.layer.LayerNorm2D;
import org.autoprop.layer.LayerScale;
import org.autoprop.layer.Parameter;
import org.autoprop.layer.Sequential;
import org.autoprop.models.GraphBlock;

/**
 * Luma's {@code ConvNeXtBlock} V1 and V2 on {@code [N, C, H, W]}, the residual block of ConvNeXt
 * (Liu et al. 2022) and ConvNeXt V2 (Woo et al. 2023); the output has the input's shape:
 *
 * <ul>
 *   <li>{@link #v1}: torchvision's {@code CNBlock},
 *       {@code x + dropPath(layerScale * (pw2(gelu(pw1(norm(dw(x)))))))}, named as torchvision:
 *       <pre>
 * block.0  depthwise conv 7x7, padding 3, with bias       block.0.weight [C, 1, 7, 7], block.0.bias
 * block.2  layer norm over the channels, eps 1e-6         block.2.weight [C], block.2.bias
 * block.3  linear C -> 4C on the channel axis             block.3.weight [4C, C], block.3.bias
 * block.4  GELU (exact)
 * block.5  linear 4C -> C                                 block.5.weight [C, 4C], block.5.bias
 * layer_scale  per-channel scale, 1e-6 at start           layer_scale [C, 1, 1]
 * stochastic_depth  torchvision's StochasticDepth(p, "row")
 *       </pre>
 *       (torchvision's {@code block.1} and {@code block.6} are the permutes to channels-last and
 *       back, which have no parameters; here nothing is permuted: the norm is a {@link LayerNorm2D}
 *       and the linears are {@link DenseND} on axis 1, the same arithmetic);
 *   <li>{@link #v2}: ConvNeXt V2's {@code Block}, the layer scale replaced by a
 *       {@link GlobalResponseNorm} on the hidden {@code 4C} channels,
 *       {@code x + dropPath(pw2(grn(gelu(pw1(norm(dw(x)))))))}, named as the official code:
 *       {@code dwconv.*}, {@code norm.*}, {@code pwconv1.*}, {@code grn.gamma}, {@code grn.beta},
 *       {@code pwconv2.*} (the official GRN parameters are {@code [1, 1, 1, 4C]}, channels-last;
 *       here {@code [1, 4C, 1, 1]}, the same values).
 * </ul>
 *
 * <p>Weights start as torchvision's ConvNeXt initialises them: truncated normal with standard
 * deviation 0.02 (bounds -2, 2), biases zero; norms at ones and zeros. The block has no batch
 * statistics: training and evaluation differ only by the stochastic depth.
 */
public final class ConvNeXtBlock extends GraphBlock {
  /**
   * torchvision ConvNeXt's initialization of every convolution and linear weight:
   * {@code trunc_normal_(std=0.02)}, PyTorch's bounds -2 and 2.
   */
  public static final Initializer INITIALIZER = Initializer.truncatedNormal(0.02, -2, 2);

  private static final String LAYER_SCALE = "layer_scale";

  private final String typeName;
  private final List<Parameter> parameters;

  private ConvNeXtBlock(LayerGraph graph, String typeName) {
    super(graph);
    this.typeName = typeName;
    // torchvision holds the layer scale as a bare parameter of the block: "layer_scale", not
    // "layer_scale.gamma".
    List<Parameter> named = new ArrayList<>();
    for (Parameter p : graph.parameters()) {
      named.add(p.name().equals(LAYER_SCALE + ".gamma") ? p.renamed(LAYER_SCALE) : p);
    }
    this.parameters = List.copyOf(named);
  }

  @Override
  public String typeName() {
    return typeName;
  }

  /** The graph's parameters, the layer scale under torchvision's bare name {@code layer_scale}. */
  @Override
  public List<Parameter> parameters() {
    return parameters;
  }

  /**
   * torchvision's {@code CNBlock(dim, layer_scale, stochastic_depth_prob)}.
   *
   * @param channels the channels {@code C} of the input and the output
   * @return a builder (layer scale 1e-6, stochastic depth 0 until set)
   */
  public static Builder v1(int channels) {
    return new Builder(false, channels);
  }

  /**
   * ConvNeXt V2's {@code Block(dim, drop_path)}.
   *
   * @param channels the channels {@code C} of the input and the output
   * @return a builder (stochastic depth 0 until set)
   */
  public static Builder v2(int channels) {
    return new Builder(true, channels);
  }

  /** Options of a {@link ConvNeXtBlock}. */
  public static final class Builder {
    private final boolean v2;
    private final String name;
    private final int channels;
    private double layerScale = LayerScale.DEFAULT_INIT;
    private double stochasticDepth;
    private Long seed;
    private int seeds;

    Builder(boolean v2, int channels) {
      this.v2 = v2;
      this.name = v2 ? "ConvNeXtBlock.V2" : "ConvNeXtBlock.V1";
      if (channels < 1) {
        throw new IllegalArgumentException(name + ": channels " + channels + " (expected: >= 1)");
      }
      this.channels = channels;
    }

    /** The initial value of every layer scale (torchvision's {@code layer_scale}, default 1e-6). V1 only. */
    public Builder layerScale(double init) {
      if (v2) {
        throw new IllegalArgumentException(name + ": layerScale is an option of ConvNeXtBlock.V1 (V2 has a GRN)");
      }
      if (Double.isNaN(init) || Double.isInfinite(init)) {
        throw new IllegalArgumentException(name + ": layerScale " + init + " (expected: finite)");
      }
      this.layerScale = init;
      return this;
    }

    /** The probability of dropping the residual branch of a sample in training (default 0). */
    public Builder stochasticDepth(double p) {
      if (!(p >= 0 && p <= 1)) {
        throw new IllegalArgumentException(name + ": stochasticDepth " + p + " (expected: 0 <= p <= 1)");
      }
      this.stochasticDepth = p;
      return this;
    }

    /** The seed of the initialization and of the stochastic depth (default: the global default sequence). */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    private long nextSeed() {
      Long s = Rank.derive(seed, seeds++);
      return s == null ? Initializer.nextDefaultSeed() : s;
    }

    private Conv2D depthwise() {
      return Conv2D.builder(channels, channels).kernel(7).padding(3).groups(channels)
          .initializer(INITIALIZER).biasInitializer(Initializer.ZEROS).seed(nextSeed()).build();
    }

    private DenseND linear(int from, int to) {
      return DenseND.builder(from, to, 1).initializer(INITIALIZER).biasInitializer(Initializer.ZEROS)
          .seed(nextSeed()).build();
    }

    /** The block. */
    public ConvNeXtBlock build() {
      seeds = 0;
      int hidden = Math.multiplyExact(4, channels);
      LayerNode root = new LayerNode(new Identity(), "in");
      LayerGraph.Builder g = LayerGraph.builder().root(root);
      LayerNode branch;
      if (v2) {
        branch = g.extend(root, new LayerNode(depthwise(), "dwconv"), new LayerNode(new LayerNorm2D(channels), "norm"),
            new LayerNode(linear(channels, hidden), "pwconv1"), new LayerNode(new GELU(), "act"),
            new LayerNode(new GlobalResponseNorm(hidden), "grn"), new LayerNode(linear(hidden, channels), "pwconv2"));
      } else {
        LinkedHashMap<String, Layer> block = new LinkedHashMap<>();
        block.put("0", depthwise());
        block.put("2", new LayerNorm2D(channels));
        block.put("3", linear(channels, hidden));
        block.put("4", new GELU());
        block.put("5", linear(hidden, channels));
        branch = g.extend(root, new LayerNode(new Sequential(block), "block"),
            new LayerNode(new LayerScale(channels, layerScale), LAYER_SCALE));
      }
      DropPath drop = new DropPath(stochasticDepth, nextSeed());
      branch = g.extend(branch, new LayerNode(drop, v2 ? "drop_path" : "stochastic_depth"));
      LayerNode sum = new LayerNode(new Identity(), MergeMode.SUM, "add");
      g.edge(branch, sum).edge(root, sum).term(sum);
      return new ConvNeXtBlock(g.build(), name);
    }
  }

}

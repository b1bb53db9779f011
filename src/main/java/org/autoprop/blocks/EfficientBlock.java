package org.autoprop.blocks;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.autoprop.graph.LayerGraph;
import org.autoprop.graph.LayerNode;
import org.autoprop.graph.MergeMode;
import org.autoprop.layer.BatchNorm2D;
import org.autoprop.layer.Conv2D;
import org.autoprop.layer.DropPath;
import org.autoprop.layer.Identity;
import org.autoprop.layer.Initializer;
import org.autoprop.layer.Layer;
import org.autoprop.layer.Sequential;
import org.autoprop.layer.SiLU;
import org.autoprop.models.GraphBlock;

/**
 * Luma's EfficientNet blocks on {@code [N, C, H, W]} with torchvision's structure and names, so
 * that the weights of torchvision's {@code MBConv} and {@code FusedMBConv} load into them. Node
 * {@code block} is a {@code Sequential} of torchvision's {@code Conv2dNormActivation}s (conv, batch
 * norm, SiLU; the projection without activation), indexed from 0 as present:
 *
 * <ul>
 *   <li>{@link #mbConv}: Luma's {@code MBConv} (Tan and Le 2019):
 *       <pre>
 * expand:     conv 1x1 in -> e, batch norm, SiLU     (absent when e == in)
 * depthwise:  conv k x k stride s, batch norm, SiLU
 * se:         {@link SqueezeExcitation} e -> max(1, in / 4) -> e, SiLU and sigmoid
 * project:    conv 1x1 e -> out, batch norm
 *       </pre>
 *   <li>{@link #fusedMBConv}: Luma's {@code FusedMBConv} (EfficientNetV2, Tan and Le 2021): a
 *       {@code k x k} stride-{@code s} conv {@code in -> e} with batch norm and SiLU, then the 1x1
 *       projection {@code e -> out} with batch norm; when {@code e == in} a single {@code k x k}
 *       conv {@code in -> out}, batch norm, SiLU.
 * </ul>
 *
 * <p>The expanded width is torchvision's {@code e = _make_divisible(in * expand, 8)} ({@link
 * Widths#makeDivisible}), so even {@code expand 1} expands a width that is not a multiple of 8.
 * When the stride is 1 and {@code in == out} the input is added (node {@code add}) after stochastic
 * depth on the branch (node {@code stochastic_depth}, a {@link DropPath}: torchvision's
 * {@code StochasticDepth(p, "row")}, present when {@code p > 0}). Convolutions have no bias and
 * padding {@code (k - 1) / 2}; weights start He normal; batch norms have PyTorch's defaults (eps
 * 1e-5, momentum 0.1; EfficientNetV2 takes eps 1e-3).
 */
public final class EfficientBlock extends GraphBlock {
  private final String typeName;

  private EfficientBlock(LayerGraph graph, String typeName) {
    super(graph);
    this.typeName = typeName;
  }

  @Override
  public String typeName() {
    return typeName;
  }

  /**
   * Luma's {@code MBConv(in, out)}, torchvision's {@code MBConv(MBConvConfig(expand, kernel,
   * stride, in, out, 1), p, norm_layer)}.
   *
   * @param in input channels
   * @param out output channels
   * @return a builder with expansion 6, kernel 3, stride 1, no stochastic depth
   */
  public static Builder mbConv(int in, int out) {
    return new Builder("EfficientBlock.MBConv", false, in, out, 6);
  }

  /**
   * Luma's {@code FusedMBConv(in, out)}, torchvision's {@code FusedMBConv(FusedMBConvConfig(expand,
   * kernel, stride, in, out, 1), p, norm_layer)}.
   *
   * @param in input channels
   * @param out output channels
   * @return a builder with expansion 4, kernel 3, stride 1, no stochastic depth
   */
  public static Builder fusedMBConv(int in, int out) {
    return new Builder("EfficientBlock.FusedMBConv", true, in, out, 4);
  }

  /** Options of an {@link EfficientBlock}. */
  public static final class Builder {
    private final String name;
    private final boolean fused;
    private final int in;
    private final int out;
    private double expand;
    private int kernel = 3;
    private int stride = 1;
    private double stochasticDepth;
    private double momentum = 0.1;
    private double eps = 1e-5;
    private Initializer initializer = Initializer.HE_NORMAL;
    private Long seed;
    private int seeds;

    Builder(String name, boolean fused, int in, int out, double expand) {
      if (in < 1 || out < 1) {
        throw new IllegalArgumentException(name + ": in " + in + ", out " + out + " (expected: >= 1 each)");
      }
      this.name = name;
      this.fused = fused;
      this.in = in;
      this.out = out;
      this.expand = expand;
    }

    /** The expansion ratio: the hidden width is {@code _make_divisible(in * expand, 8)}. */
    public Builder expand(double ratio) {
      if (!(ratio > 0) || ratio > Integer.MAX_VALUE) {
        throw new IllegalArgumentException(name + ": expand " + ratio + " (expected: > 0)");
      }
      this.expand = ratio;
      return this;
    }

    /** The (depthwise or fused) convolution's kernel, odd; default 3. */
    public Builder kernel(int k) {
      if (k < 1 || k % 2 == 0) {
        throw new IllegalArgumentException(name + ": kernel " + k + " (expected: odd and >= 1)");
      }
      this.kernel = k;
      return this;
    }

    /** The stride, 1 or 2; default 1. */
    public Builder stride(int s) {
      if (s != 1 && s != 2) {
        throw new IllegalArgumentException(name + ": stride " + s + " (expected: 1 or 2)");
      }
      this.stride = s;
      return this;
    }

    /** The stochastic-depth probability of the residual branch (default 0; used only with the residual). */
    public Builder stochasticDepth(double p) {
      if (!(p >= 0 && p <= 1)) {
        throw new IllegalArgumentException(name + ": stochasticDepth " + p + " (expected: 0 <= p <= 1)");
      }
      this.stochasticDepth = p;
      return this;
    }

    /** The batch norms' momentum, PyTorch's convention (default 0.1). */
    public Builder momentum(double m) {
      if (!(m >= 0 && m <= 1)) {
        throw new IllegalArgumentException(name + ": momentum " + m + " (expected: 0 <= momentum <= 1)");
      }
      this.momentum = m;
      return this;
    }

    /** The batch norms' eps (default 1e-5; torchvision's EfficientNetV2 takes 1e-3). */
    public Builder eps(double e) {
      if (!(e > 0 && e < Double.POSITIVE_INFINITY)) {
        throw new IllegalArgumentException(name + ": eps " + e + " (expected: > 0)");
      }
      this.eps = e;
      return this;
    }

    /** The convolutions' weight initializer (default He normal; the SE gate's biases start at 0). */
    public Builder initializer(Initializer init) {
      this.initializer = Objects.requireNonNull(init, "initializer");
      return this;
    }

    /** The seed of the initialization and of the stochastic-depth masks (default: the global sequence). */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /** The hidden width, torchvision's {@code _make_divisible(in * expand, 8)}. */
    int expanded() {
      return Widths.makeDivisible(in * expand, 8);
    }

    private long nextSeed() {
      Long s = Rank.derive(seed, seeds++);
      return s == null ? Initializer.nextDefaultSeed() : s;
    }

    private Sequential convNorm(int from, int to, int k, int convStride, int groups, boolean activated) {
      Conv2D conv = Conv2D.builder(from, to).kernel(k).stride(convStride).padding((k - 1) / 2).groups(groups)
          .bias(false).initializer(initializer).seed(nextSeed()).build();
      BatchNorm2D bn = new BatchNorm2D(to).momentum(momentum).eps(eps);
      return activated ? new Sequential(conv, bn, new SiLU()) : new Sequential(conv, bn);
    }

    private List<Layer> mbConvLayers(int e) {
      List<Layer> layers = new ArrayList<>(4);
      if (e != in) {
        layers.add(convNorm(in, e, 1, 1, 1, true));
      }
      layers.add(convNorm(e, e, kernel, stride, e, true));
      layers.add(SqueezeExcitation.builder(e, Math.max(1, in / 4)).activation(SiLU::new).initializer(initializer)
          .biasInitializer(Initializer.ZEROS).seed(nextSeed()).build());
      layers.add(convNorm(e, out, 1, 1, 1, false));
      return layers;
    }

    private List<Layer> fusedLayers(int e) {
      if (e == in) {
        return List.of(convNorm(in, out, kernel, stride, 1, true));
      }
      return List.of(convNorm(in, e, kernel, stride, 1, true), convNorm(e, out, 1, 1, 1, false));
    }

    /** The block. */
    public EfficientBlock build() {
      seeds = 0;
      int e = expanded();
      List<Layer> layers = fused ? fusedLayers(e) : mbConvLayers(e);
      LayerNode root = new LayerNode(new Identity(), "in");
      LayerGraph.Builder g = LayerGraph.builder().root(root);
      LayerNode last = g.extend(root, new LayerNode(new Sequential(layers.toArray(Layer[]::new)), "block"));
      if (stride == 1 && in == out) {
        if (stochasticDepth > 0) {
          last = g.extend(last, new LayerNode(new DropPath(stochasticDepth, nextSeed()), "stochastic_depth"));
        }
        LayerNode sum = new LayerNode(new Identity(), MergeMode.SUM, "add");
        g.edge(last, sum).edge(root, sum);
        last = sum;
      }
      return new EfficientBlock(g.term(last).build(), name);
    }
  }
}

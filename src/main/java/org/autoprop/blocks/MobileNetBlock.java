package org.autoprop.blocks;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import org.autoprop.graph.LayerGraph;
import org.autoprop.graph.LayerNode;
import org.autoprop.graph.MergeMode;
import org.autoprop.layer.BatchNorm2D;
import org.autoprop.layer.Conv2D;
import org.autoprop.layer.HardSigmoid;
import org.autoprop.layer.HardSwish;
import org.autoprop.layer.Identity;
import org.autoprop.layer.Initializer;
import org.autoprop.layer.Layer;
import org.autoprop.layer.ReLU;
import org.autoprop.layer.ReLU6;
import org.autoprop.layer.Sequential;
import org.autoprop.models.GraphBlock;

/**
 * Luma's MobileNet blocks on {@code [N, C, H, W]}: the inverted residual of MobileNetV2 (Sandler
 * et al.), with torchvision's structure and parameter names so that the weights of a torchvision
 * {@code InvertedResidual} load into it:
 *
 * <ul>
 *   <li>{@link #invRes}: Luma's {@code InvRes}, torchvision's {@code InvertedResidual}. With an
 *       expansion ratio {@code t != 1}, node {@code conv} is
 *       <pre>
 * 0: Sequential(conv 1x1 in -> hidden, batch norm, ReLU6)          conv.0.0.weight, conv.0.1.*
 * 1: Sequential(depthwise conv 3x3 stride s, batch norm, ReLU6)    conv.1.0.weight, conv.1.1.*
 * 2: conv 1x1 hidden -> out (linear bottleneck)                    conv.2.weight
 * 3: batch norm                                                    conv.3.*
 *       </pre>
 *       where {@code hidden = round(in * t)} (half to even, as Python's {@code round}); with
 *       {@code t == 1} the expansion is absent and the indices shift ({@code conv.0} depthwise,
 *       {@code conv.1.weight} projection, {@code conv.2.*} batch norm);
 *   <li>{@link #invResSE}: Luma's {@code InvRes_SE}, the MobileNetV3 form: the same block with an
 *       {@link SEBlock} gate after the depthwise stage, Luma's default activation hard swish and
 *       reduction 4. Its nodes are {@code expand} (absent when {@code t == 1}), {@code depthwise},
 *       {@code se} and {@code scale} (the gate times the depthwise output) and {@code project}
 *       ({@code project.0.weight}, {@code project.1.*});
 *   <li>{@link #invResV3}: torchvision's {@code InvertedResidual} of MobileNetV3 (Howard et al.
 *       2019), node {@code block} a {@code Sequential} of
 *       <pre>
 * expand:     conv 1x1 in -> expanded, batch norm, activation     (absent when expanded == in)
 * depthwise:  conv k x k stride s, batch norm, activation
 * se:         {@link SqueezeExcitation} (ReLU, hard sigmoid)      (when asked for)
 * project:    conv 1x1 expanded -> out, batch norm
 *       </pre>
 *       indexed from 0 as present ({@code block.0.0.weight}, {@code block.0.1.*}, ...,
 *       {@code block.2.fc1.weight} when the SE gate is the third); the activation is ReLU or hard
 *       swish, the batch norms have torchvision's eps 1e-3 and momentum 0.01.
 * </ul>
 *
 * <p>The input is added to the output (node {@code add}) when the stride is 1 and {@code in ==
 * out}; otherwise there is no shortcut. Convolutions have no bias and padding {@code (k - 1) / 2},
 * as torchvision's {@code Conv2dNormActivation} (Luma pads stride-2 blocks "valid"); weights start
 * He normal. Batch norms have PyTorch's momentum 0.1 (Luma's 0.9).
 */
public final class MobileNetBlock extends GraphBlock {
  private final String typeName;

  private MobileNetBlock(LayerGraph graph, String typeName) {
    super(graph);
    this.typeName = typeName;
  }

  @Override
  public String typeName() {
    return typeName;
  }

  /**
   * Luma's {@code InvRes(in, out)}, torchvision's {@code InvertedResidual(in, out, stride,
   * expand_ratio)}.
   *
   * @param in input channels
   * @param out output channels
   * @return a builder with Luma's defaults (kernel 3, stride 1, expansion 1, ReLU6)
   */
  public static Builder invRes(int in, int out) {
    return new Builder("MobileNetBlock.InvRes", false, in, out);
  }

  /**
   * Luma's {@code InvRes_SE(in, out)}: the inverted residual with a squeeze-and-excitation gate
   * after the depthwise stage.
   *
   * @param in input channels
   * @param out output channels
   * @return a builder with Luma's defaults (kernel 3, stride 1, expansion 1, SE reduction 4,
   *     hard swish)
   */
  public static Builder invResSE(int in, int out) {
    Builder b = new Builder("MobileNetBlock.InvRes_SE", true, in, out);
    b.activation = HardSwish::new;
    return b;
  }

  /**
   * torchvision's MobileNetV3 {@code InvertedResidual}: {@code InvertedResidualConfig(in, kernel,
   * expanded, out, use_se, activation, stride, dilation 1)}.
   *
   * @param in input channels
   * @param expanded the hidden width (the expansion layer is absent when it equals {@code in})
   * @param out output channels
   * @return a builder with kernel 3, stride 1, no SE gate, ReLU, batch norm eps 1e-3 and momentum 0.01
   */
  public static V3Builder invResV3(int in, int expanded, int out) {
    return new V3Builder(in, expanded, out);
  }

  /** Options of a {@link MobileNetBlock}. */
  public static final class Builder {
    private final String name;
    private final boolean squeezeExcitation;
    private final int in;
    private final int out;
    private int kernel = 3;
    private int stride = 1;
    private double expand = 1;
    private int seReduction = 4;
    private double momentum = 0.1;
    private Supplier<? extends Layer> activation = ReLU6::new;
    private Initializer initializer = Initializer.HE_NORMAL;
    private Long seed;
    private int seeds;

    Builder(String name, boolean squeezeExcitation, int in, int out) {
      if (in < 1 || out < 1) {
        throw new IllegalArgumentException(name + ": in " + in + ", out " + out + " (expected: >= 1 each)");
      }
      this.name = name;
      this.squeezeExcitation = squeezeExcitation;
      this.in = in;
      this.out = out;
    }

    /** The depthwise convolution's stride, 1 or 2 as in torchvision and Luma; default 1. */
    public Builder stride(int s) {
      if (s != 1 && s != 2) {
        throw new IllegalArgumentException(name + ": stride " + s + " (expected: 1 or 2)");
      }
      this.stride = s;
      return this;
    }

    /** The depthwise convolution's kernel, odd so that stride 1 keeps the size; default 3. */
    public Builder kernel(int k) {
      if (k < 1 || k % 2 == 0) {
        throw new IllegalArgumentException(name + ": kernel " + k + " (expected: odd and >= 1)");
      }
      this.kernel = k;
      return this;
    }

    /**
     * The expansion ratio {@code t}: the hidden width is {@code round(in * t)}; default 1 (no
     * expansion layer).
     */
    public Builder expand(double t) {
      if (!(t > 0) || Double.isInfinite(t)) {
        throw new IllegalArgumentException(name + ": expand " + t + " (expected: > 0)");
      }
      this.expand = t;
      return this;
    }

    /** The squeeze-and-excitation reduction (default 4, Luma's). {@code InvRes_SE} only. */
    public Builder seReduction(int r) {
      if (!squeezeExcitation) {
        throw new IllegalArgumentException(name + ": seReduction is an option of MobileNetBlock.InvRes_SE");
      }
      this.seReduction = r;
      return this;
    }

    /** The batch norms' momentum, PyTorch's convention (default 0.1 = Luma's 0.9). */
    public Builder momentum(double m) {
      if (!(m >= 0 && m <= 1)) {
        throw new IllegalArgumentException(name + ": momentum " + m + " (expected: 0 <= momentum <= 1)");
      }
      this.momentum = m;
      return this;
    }

    /** Makes the activation (default {@code ReLU6::new}; {@code HardSwish::new} for InvRes_SE). */
    public Builder activation(Supplier<? extends Layer> make) {
      this.activation = Objects.requireNonNull(make, "activation");
      return this;
    }

    /** The convolutions' weight initializer (default He normal). */
    public Builder initializer(Initializer init) {
      this.initializer = Objects.requireNonNull(init, "initializer");
      return this;
    }

    /** The seed of the initialization (default: the next of the global default sequence). */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /** The hidden width {@code round(in * t)}, rounding half to even as Python does. */
    private int hidden() {
      double h = Math.rint(in * expand);
      if (h < 1 || h > Integer.MAX_VALUE) {
        throw new IllegalArgumentException(name + ": hidden width round(in * expand) = round(" + in + " * " + expand
            + ") = " + (long) h + " (expected: 1 .. " + Integer.MAX_VALUE + ")");
      }
      return (int) h;
    }

    private Conv2D conv(int from, int to, int k, int convStride, int groups) {
      Conv2D.Builder b = Conv2D.builder(from, to).kernel(k).stride(convStride).padding((k - 1) / 2).groups(groups)
          .bias(false).initializer(initializer);
      Long s = Rank.derive(seed, seeds++);
      return (s == null ? b : b.seed(s)).build();
    }

    private BatchNorm2D bn(int channels) {
      return new BatchNorm2D(channels).momentum(momentum);
    }

    private Layer act() {
      return Objects.requireNonNull(activation.get(), "the activation supplier returned null");
    }

    /** torchvision's {@code Conv2dNormActivation}: convolution, batch norm, activation. */
    private Sequential convNormActivation(int from, int to, int k, int convStride, int groups) {
      return new Sequential(conv(from, to, k, convStride, groups), bn(to), act());
    }

    /** The block. */
    public MobileNetBlock build() {
      seeds = 0;
      int hidden = hidden();
      Sequential expansion = expand == 1 ? null : convNormActivation(in, hidden, 1, 1, 1);
      Sequential depthwise = convNormActivation(hidden, hidden, kernel, stride, hidden);
      Conv2D projection = conv(hidden, out, 1, 1, 1);
      LayerNode root = new LayerNode(new Identity(), "in");
      LayerGraph.Builder g = LayerGraph.builder().root(root);
      LayerNode residual = squeezeExcitation
          ? gated(g, root, expansion, depthwise, projection)
          : g.extend(root, new LayerNode(new Sequential(stages(expansion, depthwise, projection)), "conv"));
      if (stride == 1 && in == out) {
        LayerNode sum = new LayerNode(new Identity(), MergeMode.SUM, "add");
        g.edge(residual, sum).edge(root, sum);
        residual = sum;
      }
      return new MobileNetBlock(g.term(residual).build(), name);
    }

    private Layer[] stages(Sequential expansion, Sequential depthwise, Conv2D projection) {
      List<Layer> layers = new ArrayList<>(4);
      if (expansion != null) {
        layers.add(expansion);
      }
      layers.add(depthwise);
      layers.add(projection);
      layers.add(bn(out));
      return layers.toArray(Layer[]::new);
    }

    /** {@code [expand ->] depthwise -> (se * depthwise) -> project}; returns the projection's node. */
    private LayerNode gated(LayerGraph.Builder g, LayerNode root, Sequential expansion, Sequential depthwise,
        Conv2D projection) {
      LayerNode last = root;
      if (expansion != null) {
        last = g.extend(last, new LayerNode(expansion, "expand"));
      }
      LayerNode dw = g.extend(last, new LayerNode(depthwise, "depthwise"));
      int hidden = hidden();
      SEBlock.Builder se = new SEBlock.Builder(Rank.TWO, hidden).reduction(seReduction);
      Long s = Rank.derive(seed, seeds++);
      LayerNode gate = new LayerNode((s == null ? se : se.seed(s)).build(), "se");
      LayerNode scale = new LayerNode(new Identity(), MergeMode.HADAMARD, "scale");
      g.edge(dw, gate).edge(dw, scale).edge(gate, scale);
      return g.extend(scale, new LayerNode(new Sequential(projection, bn(out)), "project"));
    }

  }

  /** Options of the MobileNetV3 block, {@link #invResV3}. */
  public static final class V3Builder {
    private static final String NAME = "MobileNetBlock.InvResV3";
    private final int in;
    private final int expanded;
    private final int out;
    private int kernel = 3;
    private int stride = 1;
    private int squeeze;
    private double momentum = 0.01;
    private double eps = 1e-3;
    private Supplier<? extends Layer> activation = ReLU::new;
    private Initializer initializer = Initializer.HE_NORMAL;
    private Long seed;
    private int seeds;

    V3Builder(int in, int expanded, int out) {
      if (in < 1 || expanded < 1 || out < 1) {
        throw new IllegalArgumentException(NAME + ": in " + in + ", expanded " + expanded + ", out " + out
            + " (expected: >= 1 each)");
      }
      this.in = in;
      this.expanded = expanded;
      this.out = out;
    }

    /** The depthwise convolution's stride, 1 or 2; default 1. */
    public V3Builder stride(int s) {
      if (s != 1 && s != 2) {
        throw new IllegalArgumentException(NAME + ": stride " + s + " (expected: 1 or 2)");
      }
      this.stride = s;
      return this;
    }

    /** The depthwise convolution's kernel, odd; default 3. */
    public V3Builder kernel(int k) {
      if (k < 1 || k % 2 == 0) {
        throw new IllegalArgumentException(NAME + ": kernel " + k + " (expected: odd and >= 1)");
      }
      this.kernel = k;
      return this;
    }

    /**
     * Adds the squeeze-and-excitation gate after the depthwise stage with hidden width
     * {@code squeeze} (torchvision's {@code _make_divisible(expanded // 4, 8)}).
     */
    public V3Builder squeezeExcitation(int squeeze) {
      if (squeeze < 1) {
        throw new IllegalArgumentException(NAME + ": squeezeExcitation " + squeeze + " (expected: >= 1)");
      }
      this.squeeze = squeeze;
      return this;
    }

    /** Hard swish (torchvision's "HS") rather than ReLU ("RE") as the activation. */
    public V3Builder hardSwish() {
      this.activation = HardSwish::new;
      return this;
    }

    /** The batch norms' momentum, PyTorch's convention (default 0.01, torchvision's for MobileNetV3). */
    public V3Builder momentum(double m) {
      if (!(m >= 0 && m <= 1)) {
        throw new IllegalArgumentException(NAME + ": momentum " + m + " (expected: 0 <= momentum <= 1)");
      }
      this.momentum = m;
      return this;
    }

    /** The batch norms' eps (default 1e-3, torchvision's for MobileNetV3). */
    public V3Builder eps(double e) {
      if (!(e > 0 && e < Double.POSITIVE_INFINITY)) {
        throw new IllegalArgumentException(NAME + ": eps " + e + " (expected: > 0)");
      }
      this.eps = e;
      return this;
    }

    /** The convolutions' weight initializer (default He normal; the SE gate's biases start at 0). */
    public V3Builder initializer(Initializer init) {
      this.initializer = Objects.requireNonNull(init, "initializer");
      return this;
    }

    /** The seed of the initialization (default: the next of the global default sequence). */
    public V3Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    private Sequential convNorm(int from, int to, int k, int convStride, int groups, boolean activated) {
      Conv2D.Builder b = Conv2D.builder(from, to).kernel(k).stride(convStride).padding((k - 1) / 2).groups(groups)
          .bias(false).initializer(initializer);
      Long s = Rank.derive(seed, seeds++);
      Conv2D conv = (s == null ? b : b.seed(s)).build();
      BatchNorm2D bn = new BatchNorm2D(to).momentum(momentum).eps(eps);
      return activated
          ? new Sequential(conv, bn, Objects.requireNonNull(activation.get(), "the activation supplier returned null"))
          : new Sequential(conv, bn);
    }

    /** The block. */
    public MobileNetBlock build() {
      seeds = 0;
      List<Layer> layers = new ArrayList<>(4);
      if (expanded != in) {
        layers.add(convNorm(in, expanded, 1, 1, 1, true));
      }
      layers.add(convNorm(expanded, expanded, kernel, stride, expanded, true));
      if (squeeze > 0) {
        SqueezeExcitation.Builder se = SqueezeExcitation.builder(expanded, squeeze).scaleActivation(HardSigmoid::new)
            .initializer(initializer).biasInitializer(Initializer.ZEROS);
        Long s = Rank.derive(seed, seeds++);
        layers.add((s == null ? se : se.seed(s)).build());
      }
      layers.add(convNorm(expanded, out, 1, 1, 1, false));
      LayerNode root = new LayerNode(new Identity(), "in");
      LayerGraph.Builder g = LayerGraph.builder().root(root);
      LayerNode last = g.extend(root, new LayerNode(new Sequential(layers.toArray(Layer[]::new)), "block"));
      if (stride == 1 && in == out) {
        LayerNode sum = new LayerNode(new Identity(), MergeMode.SUM, "add");
        g.edge(last, sum).edge(root, sum);
        last = sum;
      }
      return new MobileNetBlock(g.term(last).build(), NAME);
    }
  }
}

package org.autoprop.blocks;

import org.autoprop.graph.LayerGraph;
import org.autoprop.graph.LayerNode;
import org.autoprop.graph.MergeMode;
import org.autoprop.layer.BatchNorm2D;
import org.autoprop.layer.Conv2D;
import org.autoprop.layer.Identity;
import org.autoprop.layer.Initializer;
import org.autoprop.layer.ReLU;
import org.autoprop.layer.Sequential;
import org.autoprop.models.GraphBlock;

/**
 * RegNet's residual bottleneck (Radosavovic et al. 2020) on {@code [N, C, H, W]}, torchvision's
 * {@code ResBottleneckBlock(in, out, stride, group_width, bottleneck_multiplier, se_ratio)} with its
 * names; {@code w = round(out * bottleneck)}, {@code groups = w / groupWidth}:
 *
 * <pre>
 * f.a   conv 1x1 in -> w, batch norm, ReLU                          f.a.0.weight, f.a.1.*
 * f.b   conv 3x3 stride s, groups, batch norm, ReLU                 f.b.0.weight, f.b.1.*
 * f.se  (RegNetY, seRatio > 0) gate: average, conv 1x1 w -> round(seRatio * in) with bias, ReLU,
 *       conv 1x1 back to w with bias, sigmoid; multiplies f.b's output   f.se.fc1.*, f.se.fc2.*
 * f.c   conv 1x1 w -> out, batch norm                               f.c.0.weight, f.c.1.*
 * proj  (in != out or stride != 1) conv 1x1 stride s, batch norm    proj.0.weight, proj.1.*
 * out = relu(proj(x) + f(x)), or relu(x + f(x))
 * </pre>
 *
 * <p>The squeeze width follows the block's input width, as torchvision. Convolution weights start
 * as torchvision's RegNet initialises them, normal with {@code std = sqrt(2 / fanOut)} (fan-out
 * {@code out * kh * kw}); the gate's biases as PyTorch's default; batch norms have momentum 0.1.
 */
public final class RegNetBlock extends GraphBlock {
  private static final String NAME = "RegNetBlock";

  /** torchvision RegNet's convolution weights: N(0, 2 / fanOut), fan-out {@code out * kh * kw}. */
  public static final Initializer INITIALIZER =
      (t, fanIn, fanOut, seed) -> Initializer.normal(Math.sqrt(2.0 / fanOut)).fill(t, fanIn, fanOut, seed);

  private RegNetBlock(LayerGraph graph) {
    super(graph);
  }

  @Override
  public String typeName() {
    return NAME;
  }

  /**
   * torchvision's {@code ResBottleneckBlock(in, out, ...)}.
   *
   * @param in input channels
   * @param out output channels
   * @return a builder (stride 1, group width 1, bottleneck 1, no squeeze-and-excitation until set)
   */
  public static Builder builder(int in, int out) {
    return new Builder(in, out);
  }

  /** Options of a {@link RegNetBlock}. */
  public static final class Builder {
    private final int in;
    private final int out;
    private int stride = 1;
    private int groupWidth = 1;
    private double bottleneck = 1;
    private double seRatio;
    private Long seed;
    private int seeds;

    Builder(int in, int out) {
      if (in < 1 || out < 1) {
        throw new IllegalArgumentException(NAME + ": in " + in + ", out " + out + " (expected: >= 1 each)");
      }
      this.in = in;
      this.out = out;
    }

    /** The stride of the 3x3 convolution and the projection (default 1). */
    public Builder stride(int s) {
      if (s < 1) {
        throw new IllegalArgumentException(NAME + ": stride " + s + " (expected: >= 1)");
      }
      this.stride = s;
      return this;
    }

    /** The channels per group of the 3x3 convolution (default 1, depthwise). */
    public Builder groupWidth(int g) {
      if (g < 1) {
        throw new IllegalArgumentException(NAME + ": groupWidth " + g + " (expected: >= 1)");
      }
      this.groupWidth = g;
      return this;
    }

    /** torchvision's {@code bottleneck_multiplier}: the inner width is {@code round(out * b)} (default 1). */
    public Builder bottleneck(double b) {
      if (!(b > 0) || Double.isInfinite(b)) {
        throw new IllegalArgumentException(NAME + ": bottleneck " + b + " (expected: > 0)");
      }
      this.bottleneck = b;
      return this;
    }

    /** torchvision's {@code se_ratio}: the gate's squeeze width is {@code round(seRatio * in)}; 0 (default) for none. */
    public Builder seRatio(double r) {
      if (!(r >= 0) || Double.isInfinite(r)) {
        throw new IllegalArgumentException(NAME + ": seRatio " + r + " (expected: >= 0)");
      }
      this.seRatio = r;
      return this;
    }

    /** The seed of the initialization (default: the next of the global default sequence). */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    private Conv2D conv(int from, int to, int kernel, int convStride, int groups) {
      Long s = Rank.derive(seed, seeds++);
      Conv2D.Builder b = Conv2D.builder(from, to).kernel(kernel).stride(convStride).padding(kernel / 2).groups(groups)
          .bias(false).initializer(INITIALIZER);
      return (s == null ? b : b.seed(s)).build();
    }

    /** torchvision's {@code Conv2dNormActivation}: conv, batch norm and, when {@code relu}, ReLU. */
    private Sequential convNorm(int from, int to, int kernel, int convStride, int groups, boolean relu) {
      Conv2D c = conv(from, to, kernel, convStride, groups);
      return relu ? new Sequential(c, new BatchNorm2D(to), new ReLU()) : new Sequential(c, new BatchNorm2D(to));
    }

    /** The block. */
    public RegNetBlock build() {
      seeds = 0;
      long wide = Math.round(out * bottleneck);
      if (wide < 1 || wide > Integer.MAX_VALUE) {
        throw new IllegalArgumentException(NAME + ": inner width round(out * bottleneck) = " + wide
            + " (expected: 1 .. " + Integer.MAX_VALUE + ")");
      }
      int w = (int) wide;
      if (w % groupWidth != 0) {
        throw new IllegalArgumentException(NAME + ": inner width " + w + " is not a multiple of groupWidth "
            + groupWidth + " (expected: torchvision's adjusted widths)");
      }
      int squeeze = (int) Math.rint(seRatio * in); // Python's round: half to even
      if (seRatio > 0 && squeeze < 1) {
        throw new IllegalArgumentException(NAME + ": squeeze width round(seRatio * in) = round(" + seRatio + " * " + in
            + ") = 0 (expected: >= 1)");
      }
      LayerNode fIn = new LayerNode(new Identity(), "in");
      LayerGraph.Builder f = LayerGraph.builder().root(fIn);
      LayerNode last = f.extend(fIn, new LayerNode(convNorm(in, w, 1, 1, 1, true), "a"),
          new LayerNode(convNorm(w, w, 3, stride, w / groupWidth, true), "b"));
      if (seRatio > 0) {
        Long s1 = Rank.derive(seed, seeds++);
        Long s2 = Rank.derive(seed, seeds++);
        LayerNode se = new LayerNode(ConvGate.of(w, squeeze, INITIALIZER, s1, s2), "se");
        LayerNode scale = new LayerNode(new Identity(), MergeMode.HADAMARD, "scale");
        f.edge(last, se).edge(last, scale).edge(se, scale);
        last = scale;
      }
      last = f.extend(last, new LayerNode(convNorm(w, out, 1, 1, 1, false), "c"));
      LayerGraph transform = f.term(last).build();

      LayerNode root = new LayerNode(new Identity(), "in");
      LayerGraph.Builder g = LayerGraph.builder().root(root);
      LayerNode sum = new LayerNode(new ReLU(), MergeMode.SUM, "add");
      LayerNode branch = g.extend(root, new LayerNode(transform, "f"));
      g.edge(branch, sum);
      if (in != out || stride != 1) {
        LayerNode proj = g.extend(root, new LayerNode(convNorm(in, out, 1, stride, 1, false), "proj"));
        g.edge(proj, sum);
      } else {
        g.edge(root, sum);
      }
      return new RegNetBlock(g.term(sum).build());
    }
  }
}

package org.autoprop.blocks;

import java.util.ArrayList;
import java.util.List;
import org.autoprop.graph.LayerGraph;
import org.autoprop.graph.LayerNode;
import org.autoprop.graph.MergeMode;
import org.autoprop.layer.BatchNorm2D;
import org.autoprop.layer.Conv2D;
import org.autoprop.layer.Identity;
import org.autoprop.layer.Initializer;
import org.autoprop.layer.Layer;
import org.autoprop.layer.Pool2D;
import org.autoprop.layer.ReLU;
import org.autoprop.models.GraphBlock;

/**
 * Luma's {@code XceptionBlock} family on {@code [N, C, H, W]}: the residual block of separable
 * convolutions of Xception (Chollet 2017, figure 5), with the names of timm's legacy
 * {@code xception} ({@code Block}), so that its weights load:
 *
 * <pre>
 * rep:  [relu] -> sep(in, w) -> bn -> relu -> sep(w, w) -> bn ... [-> max pool 3, stride s, padding 1]
 * skip: x, or skip (1x1 conv, stride s, no bias) -> skipbn          when s != 1 or in != out
 * out = rep(x) + skip(x)                                             (no activation after the sum)
 * </pre>
 *
 * <p>Each separable convolution is timm's {@code SeparableConv2d}: {@code conv1} (3x3 depthwise,
 * padding 1, no bias) then {@code pointwise} (1x1, no bias); the {@code rep} sequence is indexed as
 * an {@code nn.Sequential} ({@code rep.0} the first ReLU, {@code rep.1.conv1.weight},
 * {@code rep.2.running_mean}, ...; without the leading ReLU the indices shift by one). With "grow
 * first" the first separable convolution widens to {@code out}; otherwise the last one does.
 *
 * <ul>
 *   <li>{@link #entry}: the entry flow's blocks (2 separable convolutions, stride 2, grow first);
 *       the first of the network starts without ReLU ({@link Builder#startWithRelu});
 *   <li>{@link #middle}: the middle flow's block (3 separable convolutions, stride 1, identity
 *       shortcut);
 *   <li>{@link #exit}: the exit flow's block (2 separable convolutions, stride 2, grow last).
 * </ul>
 *
 * <p>Weights start He normal; batch norms have PyTorch's defaults (epsilon 1e-5, momentum 0.1).
 */
public final class XceptionBlock extends GraphBlock {
  private final String typeName;

  private XceptionBlock(LayerGraph graph, String typeName) {
    super(graph);
    this.typeName = typeName;
  }

  @Override
  public String typeName() {
    return typeName;
  }

  /** The entry flow's block {@code Block(in, out, 2, 2)}. */
  public static Builder entry(int in, int out) {
    return new Builder("XceptionBlock.Entry", in, out, 2, 2, true);
  }

  /** The middle flow's block {@code Block(channels, channels, 3, 1)}. */
  public static Builder middle(int channels) {
    return new Builder("XceptionBlock.Middle", channels, channels, 3, 1, true);
  }

  /** The exit flow's block {@code Block(in, out, 2, 2, grow_first=False)}. */
  public static Builder exit(int in, int out) {
    return new Builder("XceptionBlock.Exit", in, out, 2, 2, false);
  }

  /**
   * timm's {@code SeparableConv2d(in, out, 3, 1, 1)}: nodes {@code conv1} (depthwise 3x3, padding
   * 1) and {@code pointwise} (1x1), neither with bias.
   *
   * @param in input channels
   * @param out output channels
   * @param seed the seed of both convolutions' initialization, or null for the next default seeds
   * @return the built chain
   */
  public static LayerGraph separableConv(int in, int out, Long seed) {
    if (in < 1 || out < 1) {
      throw new IllegalArgumentException("SeparableConv2d: in " + in + ", out " + out + " (expected: >= 1 each)");
    }
    Conv2D.Builder dw = Conv2D.builder(in, in).kernel(3).padding(1).groups(in).bias(false)
        .initializer(Initializer.HE_NORMAL);
    Conv2D.Builder pw = Conv2D.builder(in, out).kernel(1).bias(false).initializer(Initializer.HE_NORMAL);
    Long s0 = Rank.derive(seed, 0);
    Long s1 = Rank.derive(seed, 1);
    return LayerGraph.chain(new LayerNode((s0 == null ? dw : dw.seed(s0)).build(), "conv1"),
        new LayerNode((s1 == null ? pw : pw.seed(s1)).build(), "pointwise"));
  }

  /** Options of an {@link XceptionBlock}. */
  public static final class Builder {
    private final String name;
    private final int in;
    private final int out;
    private int reps;
    private int stride;
    private boolean growFirst;
    private boolean startWithRelu = true;
    private double momentum = 0.1;
    private Long seed;

    private Builder(String name, int in, int out, int reps, int stride, boolean growFirst) {
      if (in < 1 || out < 1) {
        throw new IllegalArgumentException(name + ": in " + in + ", out " + out + " (expected: >= 1 each)");
      }
      this.name = name;
      this.in = in;
      this.out = out;
      this.reps = reps;
      this.stride = stride;
      this.growFirst = growFirst;
    }

    /** The number of separable convolutions (timm's {@code reps}). */
    public Builder reps(int n) {
      if (n < 1) {
        throw new IllegalArgumentException(name + ": reps " + n + " (expected: >= 1)");
      }
      this.reps = n;
      return this;
    }

    /** The stride of the closing max pool and of the shortcut (1: no pool). */
    public Builder stride(int s) {
      if (s < 1) {
        throw new IllegalArgumentException(name + ": stride " + s + " (expected: >= 1)");
      }
      this.stride = s;
      return this;
    }

    /** Whether the first separable convolution widens to {@code out} (else the last does). */
    public Builder growFirst(boolean on) {
      this.growFirst = on;
      return this;
    }

    /** Whether {@code rep} starts with a ReLU (default true; false for the network's first block). */
    public Builder startWithRelu(boolean on) {
      this.startWithRelu = on;
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

    /** The seed of the initialization (default: the next of the global default sequence). */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /** The block. */
    public XceptionBlock build() {
      List<Layer> rep = new ArrayList<>();
      for (int i = 0; i < reps; i++) {
        int from = growFirst ? (i == 0 ? in : out) : in;
        int to = growFirst ? out : (i < reps - 1 ? in : out);
        if (i > 0 || startWithRelu) {
          rep.add(new ReLU());
        }
        rep.add(separableConv(from, to, Rank.derive(seed, i)));
        rep.add(new BatchNorm2D(to).momentum(momentum));
      }
      if (stride != 1) {
        rep.add(Pool2D.max(3, stride, 1));
      }
      LayerNode root = new LayerNode(new Identity(), "in");
      LayerGraph.Builder g = LayerGraph.builder().root(root);
      LayerNode body = g.extend(root, new LayerNode(Chain.indexed(rep), "rep"));
      LayerNode add = new LayerNode(new Identity(), MergeMode.SUM, "add");
      g.edge(body, add);
      if (stride != 1 || in != out) {
        Conv2D.Builder c = Conv2D.builder(in, out).kernel(1).stride(stride).bias(false)
            .initializer(Initializer.HE_NORMAL);
        Long s = Rank.derive(seed, reps);
        LayerNode skip = g.extend(root, new LayerNode((s == null ? c : c.seed(s)).build(), "skip"),
            new LayerNode(new BatchNorm2D(out).momentum(momentum), "skipbn"));
        g.edge(skip, add);
      } else {
        g.edge(root, add);
      }
      return new XceptionBlock(g.term(add).build(), name);
    }
  }
}

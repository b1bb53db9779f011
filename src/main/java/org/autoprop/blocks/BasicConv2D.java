package org.autoprop.blocks;

import java.util.Objects;
import org.autoprop.graph.LayerGraph;
import org.autoprop.graph.LayerNode;
import org.autoprop.layer.BatchNorm2D;
import org.autoprop.layer.Conv2D;
import org.autoprop.layer.Initializer;
import org.autoprop.layer.Padding;
import org.autoprop.layer.ReLU;
import org.autoprop.models.GraphBlock;

/**
 * torchvision's {@code BasicConv2d}, the unit every Inception network is made of, on
 * {@code [N, C, H, W]}: {@code conv (no bias) -> bn (eps 1e-3) -> relu}, the nodes named
 * {@code conv}, {@code bn} and {@code relu} so that the parameters are torchvision's
 * {@code conv.weight}, {@code bn.weight}, {@code bn.bias}, {@code bn.running_mean}, ...
 * Kernels, strides and paddings may differ per axis (Inception V3's 1x7 and 7x1 factorised
 * convolutions). Weights start He normal (torchvision draws a truncated normal of standard
 * deviation 0.1 or 0.01, which changes only the initial scale).
 */
public final class BasicConv2D extends GraphBlock {
  private BasicConv2D(LayerGraph graph) {
    super(graph);
  }

  @Override
  public String typeName() {
    return "BasicConv2D";
  }

  /**
   * torchvision's {@code BasicConv2d(in, out, kernel_size=1)} until the kernel is set.
   *
   * @param in input channels
   * @param out output channels
   * @return the builder (kernel 1, stride 1, padding 0, eps 1e-3, momentum 0.1)
   */
  public static Builder builder(int in, int out) {
    return new Builder(in, out);
  }

  /** Options of a {@link BasicConv2D}: torchvision's defaults until set. */
  public static final class Builder {
    private final int in;
    private final int out;
    private int kh = 1;
    private int kw = 1;
    private int sh = 1;
    private int sw = 1;
    private int ph;
    private int pw;
    private double eps = 1e-3;
    private double momentum = 0.1;
    private Initializer initializer = Initializer.HE_NORMAL;
    private Long seed;

    private Builder(int in, int out) {
      if (in < 1 || out < 1) {
        throw new IllegalArgumentException("BasicConv2D: in " + in + ", out " + out + " (expected: >= 1 each)");
      }
      this.in = in;
      this.out = out;
    }

    /** A square kernel. */
    public Builder kernel(int k) {
      return kernel(k, k);
    }

    /** A {@code kh x kw} kernel. */
    public Builder kernel(int kh, int kw) {
      if (kh < 1 || kw < 1) {
        throw new IllegalArgumentException("BasicConv2D: kernel " + kh + "x" + kw + " (expected: >= 1)");
      }
      this.kh = kh;
      this.kw = kw;
      return this;
    }

    /** The stride on both axes (default 1). */
    public Builder stride(int s) {
      if (s < 1) {
        throw new IllegalArgumentException("BasicConv2D: stride " + s + " (expected: >= 1)");
      }
      this.sh = s;
      this.sw = s;
      return this;
    }

    /** {@code p} zeros on every side (default 0). */
    public Builder padding(int p) {
      return padding(p, p);
    }

    /** {@code ph} zeros above and below, {@code pw} left and right. */
    public Builder padding(int ph, int pw) {
      if (ph < 0 || pw < 0) {
        throw new IllegalArgumentException("BasicConv2D: padding " + ph + "x" + pw + " (expected: >= 0)");
      }
      this.ph = ph;
      this.pw = pw;
      return this;
    }

    /** The batch norm's epsilon (default 1e-3, torchvision's Inception; 1e-5 is PyTorch's default). */
    public Builder eps(double e) {
      if (!(e > 0) || Double.isInfinite(e)) {
        throw new IllegalArgumentException("BasicConv2D: eps " + e + " (expected: > 0)");
      }
      this.eps = e;
      return this;
    }

    /** The batch norm's momentum, PyTorch's convention (default 0.1). */
    public Builder momentum(double m) {
      if (!(m >= 0 && m <= 1)) {
        throw new IllegalArgumentException("BasicConv2D: momentum " + m + " (expected: 0 <= momentum <= 1)");
      }
      this.momentum = m;
      return this;
    }

    /** The convolution's weight initializer (default He normal). */
    public Builder initializer(Initializer init) {
      this.initializer = Objects.requireNonNull(init, "initializer");
      return this;
    }

    /** The seed of the initialization (default: the next of the global default sequence). */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /** The seed if set, else null (the next default seed). */
    Builder seed(Long s) {
      this.seed = s;
      return this;
    }

    /** The block. */
    public BasicConv2D build() {
      Conv2D.Builder c = Conv2D.builder(in, out).kernel(kh, kw).stride(sh, sw).padding(Padding.of(ph, pw))
          .bias(false).initializer(initializer);
      Conv2D conv = (seed == null ? c : c.seed(seed)).build();
      return new BasicConv2D(LayerGraph.chain(new LayerNode(conv, "conv"),
          new LayerNode(new BatchNorm2D(out).eps(eps).momentum(momentum), "bn"), new LayerNode(new ReLU(), "relu")));
    }
  }
}

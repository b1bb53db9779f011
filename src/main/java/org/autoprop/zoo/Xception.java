package org.autoprop.zoo;

import org.autoprop.blocks.XceptionBlock;
import org.autoprop.graph.LayerGraph;
import org.autoprop.graph.LayerNode;
import org.autoprop.layer.BatchNorm2D;
import org.autoprop.layer.Conv2D;
import org.autoprop.layer.Dense;
import org.autoprop.layer.Flatten;
import org.autoprop.layer.GlobalAvgPool2D;
import org.autoprop.layer.Initializer;
import org.autoprop.layer.ReLU;
import org.autoprop.models.GraphBlock;

/**
 * Xception (Chollet 2017) on {@code [N, C, H, W]} (299x299 images). torchvision 0.14 has no
 * Xception; this is the paper's network with the names of timm's legacy {@code xception} (after
 * Cadene's {@code pretrainedmodels}), so that those weights load:
 *
 * <pre>
 * conv1 (3x3, stride 2, 32, no padding) -> bn1 -> act1 -> conv2 (3x3, 64) -> bn2 -> act2
 * entry:  block1 (64 -> 128, no leading ReLU), block2 (128 -> 256), block3 (256 -> 728)
 * middle: block4 .. block11 (728)
 * exit:   block12 (728 -> 1024, grow last) -> conv3 (separable, 1536) -> bn3 -> act3
 *         -> conv4 (separable, 2048) -> bn4 -> act4 -> global_pool -> flatten -> fc (2048 -> classes)
 * </pre>
 *
 * <p>Blocks are {@link XceptionBlock}s ({@code block1.rep.0.conv1.weight},
 * {@code block1.skip.weight}, {@code block1.skipbn.*}); {@code conv3} and {@code conv4} are
 * separable convolutions ({@code conv3.conv1.weight}, {@code conv3.pointwise.weight}). No
 * convolution has a bias; batch norms have PyTorch's defaults. {@link Builder#widthDivisor}
 * divides every width (8 divides all of them) and {@link Builder#middleBlocks} sets the middle
 * flow's length, for small test networks. Weights start He normal,
 * {@code fc} as {@code nn.Linear}.
 *
 * <p>Example: {@code Xception.builder().classes(10).seed(7).build()}.
 */
public final class Xception extends GraphBlock {
  private Xception(LayerGraph graph) {
    super(graph);
  }

  @Override
  public String typeName() {
    return "Xception";
  }

  /** The paper's Xception: 1000 classes, 3 input channels. */
  public static Builder builder() {
    return new Builder();
  }

  /** Options of an {@link Xception}. */
  public static final class Builder {
    private int classes = 1000;
    private int inChannels = 3;
    private int divisor = 1;
    private int middle = 8;
    private Long seed;
    private int seedIndex;

    private Builder() {}

    /** The classifier's outputs (default 1000). */
    public Builder classes(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("Xception: classes " + n + " (expected: >= 1)");
      }
      this.classes = n;
      return this;
    }

    /** The input's channels (default 3). */
    public Builder inChannels(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("Xception: inChannels " + n + " (expected: >= 1)");
      }
      this.inChannels = n;
      return this;
    }

    /** Divides every width by {@code d} (default 1), which must divide all of them (8 does). */
    public Builder widthDivisor(int d) {
      if (d < 1) {
        throw new IllegalArgumentException("Xception: widthDivisor " + d + " (expected: >= 1)");
      }
      this.divisor = d;
      return this;
    }

    /**
     * The middle flow's blocks (default 8, the paper's); fewer make a small test network, the
     * exit flow's block keeping its name {@code block12}.
     */
    public Builder middleBlocks(int n) {
      if (n < 0) {
        throw new IllegalArgumentException("Xception: middleBlocks " + n + " (expected: >= 0)");
      }
      this.middle = n;
      return this;
    }

    /** The seed of the initialization (default: the next of the global default sequence). */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    private int w(int width) {
      if (width % divisor != 0) {
        throw new IllegalArgumentException("Xception: widthDivisor " + divisor + " does not divide the width "
            + width + " (expected: a divisor of every width)");
      }
      return width / divisor;
    }

    private long nextSeed() {
      return LayerSeeds.seed(seed, seedIndex++);
    }

    /** The model. */
    public Xception build() {
      seedIndex = 0;
      for (int width : new int[] {32, 64, 128, 256, 728, 1024, 1536, 2048}) {
        w(width);
      }
      Conv2D c1 = Conv2D.builder(inChannels, w(32)).kernel(3).stride(2).bias(false)
          .initializer(Initializer.HE_NORMAL).seed(nextSeed()).build();
      Conv2D c2 = Conv2D.builder(w(32), w(64)).kernel(3).bias(false).initializer(Initializer.HE_NORMAL)
          .seed(nextSeed()).build();
      LayerNode conv1 = new LayerNode(c1, "conv1");
      LayerGraph.Builder g = LayerGraph.builder().root(conv1);
      LayerNode last = g.extend(conv1, new LayerNode(new BatchNorm2D(w(32)), "bn1"), new LayerNode(new ReLU(), "act1"),
          new LayerNode(c2, "conv2"), new LayerNode(new BatchNorm2D(w(64)), "bn2"), new LayerNode(new ReLU(), "act2"),
          new LayerNode(XceptionBlock.entry(w(64), w(128)).startWithRelu(false).seed(nextSeed()).build(), "block1"),
          new LayerNode(XceptionBlock.entry(w(128), w(256)).seed(nextSeed()).build(), "block2"),
          new LayerNode(XceptionBlock.entry(w(256), w(728)).seed(nextSeed()).build(), "block3"));
      for (int i = 4; i < 4 + middle; i++) {
        last = g.extend(last, new LayerNode(XceptionBlock.middle(w(728)).seed(nextSeed()).build(), "block" + i));
      }
      last = g.extend(last,
          new LayerNode(XceptionBlock.exit(w(728), w(1024)).seed(nextSeed()).build(), "block12"),
          new LayerNode(XceptionBlock.separableConv(w(1024), w(1536), nextSeed()), "conv3"),
          new LayerNode(new BatchNorm2D(w(1536)), "bn3"), new LayerNode(new ReLU(), "act3"),
          new LayerNode(XceptionBlock.separableConv(w(1536), w(2048), nextSeed()), "conv4"),
          new LayerNode(new BatchNorm2D(w(2048)), "bn4"), new LayerNode(new ReLU(), "act4"),
          new LayerNode(new GlobalAvgPool2D(), "global_pool"), new LayerNode(new Flatten(), "flatten"),
          new LayerNode(Dense.builder(w(2048), classes).initializer(Initializer.PYTORCH_DEFAULT).seed(nextSeed())
              .build(), "fc"));
      return new Xception(g.term(last).build());
    }
  }
}

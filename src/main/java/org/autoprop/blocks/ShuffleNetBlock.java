package org.autoprop.blocks;

import org.autoprop.graph.LayerGraph;
import org.autoprop.graph.LayerNode;
import org.autoprop.graph.MergeMode;
import org.autoprop.layer.BatchNorm2D;
import org.autoprop.layer.ChannelShuffle;
import org.autoprop.layer.Conv2D;
import org.autoprop.layer.Identity;
import org.autoprop.layer.Initializer;
import org.autoprop.layer.Layer;
import org.autoprop.layer.ReLU;
import org.autoprop.layer.Sequential;
import org.autoprop.layer.Slice;
import org.autoprop.models.GraphBlock;

/**
 * ShuffleNet V2's unit (Ma et al. 2018) on {@code [N, C, H, W]}, torchvision's
 * {@code shufflenetv2.InvertedResidual(in, out, stride)} with its names; {@code b = out / 2}:
 *
 * <pre>
 * stride 1 (in == 2b):  x = [x1, x2] split in halves on the channels (nodes split1, split2)
 *                       out = shuffle(cat(x1, branch2(x2)), 2)
 * stride 2:             out = shuffle(cat(branch1(x), branch2(x)), 2)
 *
 * branch1  0 depthwise conv 3x3 stride s   1 batch norm   2 conv 1x1 in -> b   3 batch norm   4 ReLU
 * branch2  0 conv 1x1 (in or b) -> b       1 batch norm   2 ReLU
 *          3 depthwise conv 3x3 stride s   4 batch norm   5 conv 1x1 b -> b    6 batch norm   7 ReLU
 * </pre>
 *
 * <p>The concatenation and the shuffle of two groups are one node, {@code shuffle}. Convolutions have
 * no bias and start as PyTorch's default ({@link Initializer#PYTORCH_DEFAULT}: torchvision does
 * not re-initialise ShuffleNetV2); batch norms have PyTorch's momentum 0.1.
 */
public final class ShuffleNetBlock extends GraphBlock {
  private static final String NAME = "ShuffleNetBlock";

  private ShuffleNetBlock(LayerGraph graph) {
    super(graph);
  }

  @Override
  public String typeName() {
    return NAME;
  }

  /**
   * torchvision's {@code InvertedResidual(in, out, stride)}.
   *
   * @param in input channels ({@code 2 * (out / 2)} at stride 1)
   * @param out output channels, even
   * @param stride 1, 2 or 3
   * @return a builder
   */
  public static Builder builder(int in, int out, int stride) {
    return new Builder(in, out, stride);
  }

  /** Options of a {@link ShuffleNetBlock}. */
  public static final class Builder {
    private final int in;
    private final int out;
    private final int stride;
    private Long seed;
    private int seeds;

    Builder(int in, int out, int stride) {
      if (in < 1 || out < 2 || out % 2 != 0) {
        throw new IllegalArgumentException(NAME + ": in " + in + ", out " + out + " (expected: in >= 1, out even and >= 2)");
      }
      if (stride < 1 || stride > 3) {
        throw new IllegalArgumentException(NAME + ": stride " + stride + " (expected: 1 .. 3, torchvision's range)");
      }
      if (stride == 1 && in != out) {
        throw new IllegalArgumentException(NAME + ": stride 1 with in " + in + ", out " + out
            + " (expected: in == out, the halves split from the input)");
      }
      this.in = in;
      this.out = out;
      this.stride = stride;
    }

    /** The seed of the initialization (default: the next of the global default sequence). */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    private Conv2D conv(int from, int to, int kernel, int convStride, int groups) {
      Long s = Rank.derive(seed, seeds++);
      Conv2D.Builder b = Conv2D.builder(from, to).kernel(kernel).stride(convStride).padding(kernel / 2).groups(groups)
          .bias(false).initializer(Initializer.PYTORCH_DEFAULT);
      return (s == null ? b : b.seed(s)).build();
    }

    private Sequential branch2(int from, int b) {
      return new Sequential(conv(from, b, 1, 1, 1), new BatchNorm2D(b), new ReLU(), conv(b, b, 3, stride, b),
          new BatchNorm2D(b), conv(b, b, 1, 1, 1), new BatchNorm2D(b), new ReLU());
    }

    /** The block. */
    public ShuffleNetBlock build() {
      seeds = 0;
      int b = out / 2;
      LayerNode root = new LayerNode(new Identity(), "in");
      LayerGraph.Builder g = LayerGraph.builder().root(root);
      LayerNode shuffle = new LayerNode(new ChannelShuffle(2), MergeMode.CHCAT, "shuffle");
      LayerNode second;
      if (stride == 1) {
        LayerNode split1 = new LayerNode(Slice.of(1, 0, b), "split1");
        g.edge(root, split1).edge(split1, shuffle);
        second = g.extend(root, new LayerNode(Slice.of(1, b, in), "split2"), new LayerNode(branch2(b, b), "branch2"));
      } else {
        Layer branch1Layers = new Sequential(conv(in, in, 3, stride, in), new BatchNorm2D(in), conv(in, b, 1, 1, 1),
            new BatchNorm2D(b), new ReLU());
        LayerNode branch1 = new LayerNode(branch1Layers, "branch1");
        g.edge(root, branch1).edge(branch1, shuffle);
        second = g.extend(root, new LayerNode(branch2(in, b), "branch2"));
      }
      g.edge(second, shuffle).term(shuffle);
      return new ShuffleNetBlock(g.build());
    }
  }
}

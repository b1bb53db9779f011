package org.autoprop.blocks;

import java.util.Arrays;
import java.util.Objects;
import java.util.function.Supplier;
import org.autoprop.graph.LayerGraph;
import org.autoprop.graph.LayerNode;
import org.autoprop.graph.MergeMode;
import org.autoprop.layer.Identity;
import org.autoprop.layer.Initializer;
import org.autoprop.layer.Layer;
import org.autoprop.layer.ReLU;
import org.autoprop.layer.Reshape;
import org.autoprop.layer.Sequential;
import org.autoprop.layer.Slice;
import org.autoprop.layer.Softmax;
import org.autoprop.models.GraphBlock;

/**
 * Luma's selective-kernel block {@code SKBlock1D/2D/3D} (Li et al., SKNet): branches with different
 * kernel sizes, and an attention over the branches, per channel, that weighs their sum,
 *
 * <pre>
 *            in
 *      /      |      \
 * branch_0 branch_1 ...      conv (k_i, "same", groups) -> batch norm -> activation, C_in -> C
 *      \      |      /
 *           fc               SUM of the branches -> global average pool -> 1x1 conv C -> C/r
 *            |                    -> activation -> 1x1 conv C/r -> B*C
 *         softmax            [N, B, C] -> softmax over the B branches -> [N, B, C, 1...]
 *      /      |      \
 * slice_0  slice_1  ...      branch i's weights [N, C, 1...]
 * scale_0  scale_1  ...      HADAMARD: branch i times its weights (broadcast over space)
 *      \      |      /
 *           sum              SUM: the output [N, C, spatial...]
 * </pre>
 *
 * <p>Made by {@link SKBlock1D#builder}, {@link SKBlock2D#builder} or {@link SKBlock3D#builder}
 * with Luma's defaults: kernels 3 and 5, reduction 16, one group, ReLU, batch norm momentum 0.1
 * (PyTorch's convention, Luma's 0.9). Parameter names follow the nodes: {@code branch_0.0.weight},
 * {@code branch_0.1.running_mean}, {@code fc.1.weight}, {@code fc.3.weight}. As in Luma, the
 * attention path has no batch norm (SKNet's has one) and no lower bound on the hidden width.
 */
public final class SKBlock extends GraphBlock {
  private final String typeName;

  private SKBlock(Builder b) {
    super(b.graph());
    this.typeName = "SKBlock" + b.rank.suffix();
  }

  @Override
  public String typeName() {
    return typeName;
  }

  /** Options of an {@link SKBlock}, Luma's defaults until set. */
  public static final class Builder {
    private final Rank rank;
    private final int in;
    private final int out;
    private int[] kernels = {3, 5};
    private int reduction = 16;
    private int groups = 1;
    private int stride = 1;
    private Supplier<? extends Layer> activation = ReLU::new;
    private double momentum = 0.1;
    private Initializer initializer = Initializer.HE_UNIFORM;
    private Long seed;

    Builder(Rank rank, int in, int out) {
      if (in < 1 || out < 1) {
        throw new IllegalArgumentException(name(rank) + ": in " + in + ", out " + out + " (expected: >= 1 each)");
      }
      this.rank = rank;
      this.in = in;
      this.out = out;
    }

    private static String name(Rank rank) {
      return "SKBlock" + rank.suffix();
    }

    /** The branches' kernel sizes, one branch each (default 3 and 5, Luma's {@code filter_sizes}); odd, at least one. */
    public Builder kernels(int... sizes) {
      if (sizes.length == 0) {
        throw new IllegalArgumentException(name(rank) + ": no kernel sizes (expected: one per branch)");
      }
      for (int k : sizes) {
        if (k < 1 || k % 2 == 0) {
          throw new IllegalArgumentException(name(rank) + ": kernel size " + k + " in " + Arrays.toString(sizes)
              + " (expected: odd and >= 1, so that \"same\" padding is symmetric)");
        }
      }
      this.kernels = sizes.clone();
      return this;
    }

    /** The attention's squeeze ratio: hidden width {@code out / r} (default 16), {@code 1 <= r <= out}. */
    public Builder reduction(int r) {
      if (r < 1 || r > out) {
        throw new IllegalArgumentException(name(rank) + ": reduction " + r + " (expected: 1 <= reduction <= " + out
            + ", the output channels, so that the hidden width out / reduction is at least 1)");
      }
      this.reduction = r;
      return this;
    }

    /**
     * The branch convolutions' stride (default 1, Luma's only one): with stride {@code s} each
     * branch pads {@code k / 2} on every side, as a strided "same" convolution in PyTorch.
     */
    public Builder stride(int s) {
      if (s < 1) {
        throw new IllegalArgumentException(name(rank) + ": stride " + s + " (expected: >= 1)");
      }
      this.stride = s;
      return this;
    }

    /** The branch convolutions' groups (default 1); must divide {@code in} and {@code out}. */
    public Builder groups(int g) {
      this.groups = g;
      return this;
    }

    /** Makes the activation of the branches and of the attention (default {@code ReLU::new}). */
    public Builder activation(Supplier<? extends Layer> make) {
      this.activation = Objects.requireNonNull(make, "activation");
      return this;
    }

    /** The branches' batch norm momentum, PyTorch's convention (default 0.1 = Luma's 0.9). */
    public Builder momentum(double m) {
      if (!(m >= 0 && m <= 1)) {
        throw new IllegalArgumentException(name(rank) + ": momentum " + m + " (expected: 0 <= momentum <= 1)");
      }
      this.momentum = m;
      return this;
    }

    /** The convolutions' weight initializer (default He uniform; biases start at zero). */
    public Builder initializer(Initializer init) {
      this.initializer = Objects.requireNonNull(init, "initializer");
      return this;
    }

    /** The seed of the initialization (default: the next of the global default sequence). */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    private Layer activation() {
      return Objects.requireNonNull(activation.get(), "the activation supplier returned null");
    }

    LayerGraph graph() {
      int hidden = out / reduction;
      if (hidden < 1) {
        throw new IllegalArgumentException(name(rank) + ": out " + out + " / reduction " + reduction
            + " = 0 hidden channels (expected: reduction <= out)");
      }
      int branches = kernels.length;
      LayerNode root = new LayerNode(new Identity(), "in");
      LayerNode fc = new LayerNode(new Sequential(rank.globalAvgPool(),
          rank.conv(out, hidden, 1, 1, "valid", 1, initializer, Rank.derive(seed, branches)),
          activation(),
          rank.conv(hidden, out * branches, 1, 1, "valid", 1, initializer, Rank.derive(seed, branches + 1))),
          MergeMode.SUM, "fc");
      int[] weightsShape = new int[2 + rank.spatial];
      Arrays.fill(weightsShape, 1);
      weightsShape[0] = branches;
      weightsShape[1] = out;
      LayerNode softmax = new LayerNode(new Sequential(new Reshape(branches, out), new Softmax(1),
          new Reshape(weightsShape)), "softmax");
      LayerNode sum = new LayerNode(new Identity(), MergeMode.SUM, "sum");
      LayerGraph.Builder g = LayerGraph.builder().root(root).term(sum).edge(fc, softmax);
      for (int i = 0; i < branches; i++) {
        LayerNode branch = new LayerNode(new Sequential(
            rank.conv(in, out, kernels[i], stride, stride == 1 ? "same" : String.valueOf(kernels[i] / 2), groups,
                initializer, Rank.derive(seed, i)),
            rank.batchNorm(out, momentum), activation()), "branch_" + i);
        LayerNode slice = new LayerNode(Slice.index(1, i), "slice_" + i);
        LayerNode scale = new LayerNode(new Identity(), MergeMode.HADAMARD, "scale_" + i);
        g.edge(root, branch).edge(branch, fc).edge(branch, scale).edge(softmax, slice).edge(slice, scale)
            .edge(scale, sum);
      }
      return g.build();
    }

    /** The block. */
    public SKBlock build() {
      return new SKBlock(this);
    }
  }
}

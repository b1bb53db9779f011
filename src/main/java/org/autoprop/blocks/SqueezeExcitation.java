package org.autoprop.blocks;

import java.util.Objects;
import java.util.function.Supplier;
import org.autoprop.graph.LayerGraph;
import org.autoprop.graph.LayerNode;
import org.autoprop.graph.MergeMode;
import org.autoprop.layer.Conv2D;
import org.autoprop.layer.GlobalAvgPool2D;
import org.autoprop.layer.Identity;
import org.autoprop.layer.Initializer;
import org.autoprop.layer.Layer;
import org.autoprop.layer.ReLU;
import org.autoprop.layer.Sigmoid;
import org.autoprop.models.GraphBlock;

/**
 * torchvision's {@code SqueezeExcitation} (the gate of MobileNetV3 and EfficientNet) on
 * {@code [N, C, H, W]}: the gate and the product in one block, with 1x1 convolutions (biased) as
 * the two fully connected layers,
 *
 * <pre>
 * avgpool (global, [N, C, 1, 1]) -> fc1 (C -> S) -> activation -> fc2 (S -> C) -> scale_activation
 * scale = gate * input   (the [N, C, 1, 1] gate broadcast over H, W)
 * </pre>
 *
 * <p>Parameters {@code fc1.weight [S, C, 1, 1]}, {@code fc1.bias}, {@code fc2.weight [C, S, 1, 1]},
 * {@code fc2.bias}, as torchvision's. Unlike {@link SEBlock} (Luma's, Dense layers, the gate
 * alone) the output is the gated input. Defaults are torchvision's: ReLU and sigmoid; MobileNetV3
 * takes a hard sigmoid, EfficientNet SiLU for {@code activation}.
 */
public final class SqueezeExcitation extends GraphBlock {
  private SqueezeExcitation(LayerGraph graph) {
    super(graph);
  }

  @Override
  public String typeName() {
    return "SqueezeExcitation";
  }

  /**
   * torchvision's {@code SqueezeExcitation(input_channels, squeeze_channels)}.
   *
   * @param channels the input's channels {@code C}
   * @param squeeze the hidden width {@code S}
   * @return a builder with torchvision's defaults (ReLU, sigmoid, {@code nn.Conv2d}'s initialization)
   */
  public static Builder builder(int channels, int squeeze) {
    return new Builder(channels, squeeze);
  }

  /** Options of a {@link SqueezeExcitation}. */
  public static final class Builder {
    private final int channels;
    private final int squeeze;
    private Supplier<? extends Layer> activation = ReLU::new;
    private Supplier<? extends Layer> scaleActivation = Sigmoid::new;
    private Initializer initializer = Initializer.PYTORCH_DEFAULT;
    private Initializer biasInitializer = Initializer.PYTORCH_DEFAULT;
    private Long seed;

    private Builder(int channels, int squeeze) {
      if (channels < 1 || squeeze < 1) {
        throw new IllegalArgumentException("SqueezeExcitation: channels " + channels + ", squeeze " + squeeze
            + " (expected: >= 1 each)");
      }
      this.channels = channels;
      this.squeeze = squeeze;
    }

    /** Makes the activation between {@code fc1} and {@code fc2} (default {@code ReLU::new}). */
    public Builder activation(Supplier<? extends Layer> make) {
      this.activation = Objects.requireNonNull(make, "activation");
      return this;
    }

    /** Makes the gate's activation (default {@code Sigmoid::new}). */
    public Builder scaleActivation(Supplier<? extends Layer> make) {
      this.scaleActivation = Objects.requireNonNull(make, "scaleActivation");
      return this;
    }

    /** The weights' initializer (default PyTorch's {@code nn.Conv2d} one). */
    public Builder initializer(Initializer init) {
      this.initializer = Objects.requireNonNull(init, "initializer");
      return this;
    }

    /** The biases' initializer (default PyTorch's {@code nn.Conv2d} one). */
    public Builder biasInitializer(Initializer init) {
      this.biasInitializer = Objects.requireNonNull(init, "biasInitializer");
      return this;
    }

    /** The seed of the initialization (default: the next of the global default sequence). */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    private Conv2D fc(int from, int to, int i) {
      Conv2D.Builder b = Conv2D.builder(from, to).kernel(1).initializer(initializer).biasInitializer(biasInitializer);
      Long s = Rank.derive(seed, i);
      return (s == null ? b : b.seed(s)).build();
    }

    private static Layer make(Supplier<? extends Layer> supplier, String what) {
      return Objects.requireNonNull(supplier.get(), "the " + what + " supplier returned null");
    }

    /** The block. */
    public SqueezeExcitation build() {
      LayerNode in = new LayerNode(new Identity(), "in");
      LayerGraph.Builder g = LayerGraph.builder().root(in);
      LayerNode gate = g.extend(in, new LayerNode(new GlobalAvgPool2D(), "avgpool"),
          new LayerNode(fc(channels, squeeze, 0), "fc1"), new LayerNode(make(activation, "activation"), "activation"),
          new LayerNode(fc(squeeze, channels, 1), "fc2"),
          new LayerNode(make(scaleActivation, "scaleActivation"), "scale_activation"));
      LayerNode scale = new LayerNode(new Identity(), MergeMode.HADAMARD, "scale");
      g.edge(gate, scale).edge(in, scale);
      return new SqueezeExcitation(g.term(scale).build());
    }
  }
}

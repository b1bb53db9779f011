package org.autoprop.zoo;

import java.util.Objects;
import org.autoprop.graph.LayerGraph;
import org.autoprop.graph.LayerNode;
import org.autoprop.layer.AdaptiveAvgPool2D;
import org.autoprop.layer.Conv2D;
import org.autoprop.layer.Dense;
import org.autoprop.layer.Dropout;
import org.autoprop.layer.Flatten;
import org.autoprop.layer.Initializer;
import org.autoprop.layer.Pool2D;
import org.autoprop.layer.ReLU;
import org.autoprop.layer.Sequential;
import org.autoprop.models.GraphBlock;

/**
 * torchvision's AlexNet (the one-tower variant of Krizhevsky's "one weird trick", without local
 * response norm) on {@code [N, C, H, W]}, with torchvision's structure and state-dict names
 * ({@code features.0.weight}, {@code features.10.bias}, {@code classifier.1.weight},
 * {@code classifier.6.bias}), so that torchvision's weights map one to one.
 *
 * <pre>
 * features:   conv 11x11 stride 4 padding 2 (64) -> relu -> maxpool (3, stride 2)
 *             -> conv 5x5 padding 2 (192) -> relu -> maxpool (3, stride 2)
 *             -> conv 3x3 padding 1 (384) -> relu -> conv 3x3 padding 1 (256) -> relu
 *             -> conv 3x3 padding 1 (256) -> relu -> maxpool (3, stride 2)
 * avgpool:    adaptive average pool to 6x6
 * flatten
 * classifier: dropout -> linear (256*6*6 -> 4096) -> relu -> dropout -> linear (4096 -> 4096)
 *             -> relu -> linear (4096 -> classes)
 * </pre>
 *
 * <p>The input must be at least 63x63 (the last max pool needs 3x3); the adaptive pool makes any
 * larger size work. Every layer starts as PyTorch's default ({@link Initializer#PYTORCH_DEFAULT},
 * weight and bias), as torchvision's AlexNet does. {@link Builder#widths(int...)} and
 * {@link Builder#hidden(int)} narrow the features and the classifier (for tests).
 *
 * <p>Example: {@code AlexNet.alexnet().classes(10).seed(7).build()}.
 */
public final class AlexNet extends GraphBlock {
  private AlexNet(LayerGraph graph) {
    super(graph);
  }

  @Override
  public String typeName() {
    return "AlexNet";
  }

  /** AlexNet with torchvision's widths. */
  public static Builder alexnet() {
    return new Builder();
  }

  /**
   * Options of an {@link AlexNet}: torchvision's defaults (1000 classes, 3 input channels, a
   * 4096-wide classifier, dropout 0.5).
   */
  public static final class Builder {
    private static final String NAME = "AlexNet";
    private int classes = 1000;
    private int inChannels = 3;
    private int[] widths = {64, 192, 384, 256, 256};
    private int hidden = 4096;
    private double dropout = 0.5;
    private Long seed;
    private int seedIndex;

    private Builder() {}

    /** The classifier's outputs (default 1000). */
    public Builder classes(int n) {
      if (n < 1) {
        throw new IllegalArgumentException(NAME + ": classes " + n + " (expected: >= 1)");
      }
      this.classes = n;
      return this;
    }

    /** The input's channels (default 3). */
    public Builder inChannels(int n) {
      if (n < 1) {
        throw new IllegalArgumentException(NAME + ": inChannels " + n + " (expected: >= 1)");
      }
      this.inChannels = n;
      return this;
    }

    /**
     * The output channels of the five convolutions (default torchvision's 64, 192, 384, 256, 256);
     * narrow ones make a small AlexNet for tests. The classifier then takes {@code widths[4] * 36}.
     */
    public Builder widths(int... widths) {
      if (widths.length != 5 || java.util.Arrays.stream(widths).anyMatch(w -> w < 1)) {
        throw new IllegalArgumentException(NAME + ": widths " + java.util.Arrays.toString(widths)
            + " (expected: 5 widths, >= 1 each)");
      }
      this.widths = widths.clone();
      return this;
    }

    /** The width of the classifier's two hidden layers (default 4096). */
    public Builder hidden(int n) {
      if (n < 1) {
        throw new IllegalArgumentException(NAME + ": hidden " + n + " (expected: >= 1)");
      }
      this.hidden = n;
      return this;
    }

    /** The classifier's dropout probability, in [0, 1) (default 0.5). */
    public Builder dropout(double p) {
      if (!(p >= 0 && p < 1)) {
        throw new IllegalArgumentException(NAME + ": dropout " + p + " (expected: in [0, 1))");
      }
      this.dropout = p;
      return this;
    }

    /** The seed of the initialization and of the dropout masks (default: the next of the global default sequence). */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /** The model. */
    public AlexNet build() {
      seedIndex = 0;
      Sequential features = new Sequential(
          conv(inChannels, widths[0], 11, 4, 2), new ReLU(), Pool2D.max(3, 2),
          conv(widths[0], widths[1], 5, 1, 2), new ReLU(), Pool2D.max(3, 2),
          conv(widths[1], widths[2], 3, 1, 1), new ReLU(),
          conv(widths[2], widths[3], 3, 1, 1), new ReLU(),
          conv(widths[3], widths[4], 3, 1, 1), new ReLU(), Pool2D.max(3, 2));
      Sequential classifier = new Sequential(
          new Dropout(dropout, nextSeed()), linear(widths[4] * 6 * 6, hidden), new ReLU(),
          new Dropout(dropout, nextSeed()), linear(hidden, hidden), new ReLU(),
          linear(hidden, classes));
      return new AlexNet(LayerGraph.chain(new LayerNode(features, "features"),
          new LayerNode(new AdaptiveAvgPool2D(6, 6), "avgpool"), new LayerNode(new Flatten(), "flatten"),
          new LayerNode(classifier, "classifier")));
    }

    private Conv2D conv(int in, int out, int kernel, int stride, int padding) {
      return Conv2D.builder(in, out).kernel(kernel).stride(stride).padding(padding)
          .initializer(Initializer.PYTORCH_DEFAULT).biasInitializer(Initializer.PYTORCH_DEFAULT)
          .seed(nextSeed()).build();
    }

    private Dense linear(int in, int out) {
      return Dense.builder(in, out).initializer(Initializer.PYTORCH_DEFAULT)
          .biasInitializer(Initializer.PYTORCH_DEFAULT).seed(nextSeed()).build();
    }

    private long nextSeed() {
      return LayerSeeds.seed(seed, seedIndex++);
    }
  }
}

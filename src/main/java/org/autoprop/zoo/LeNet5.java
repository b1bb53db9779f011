package org.autoprop.zoo;

import org.autoprop.graph.LayerGraph;
import org.autoprop.graph.LayerNode;
import org.autoprop.layer.Conv2D;
import org.autoprop.layer.Dense;
import org.autoprop.layer.Flatten;
import org.autoprop.layer.Initializer;
import org.autoprop.layer.Pool2D;
import org.autoprop.layer.Sequential;
import org.autoprop.layer.Tanh;
import org.autoprop.models.GraphBlock;

/**
 * LeNet-5 (LeCun et al., 1998) as Luma defines it (its {@code LeNet_5}, {@code model/img_clf/lenet.py}), on
 * {@code [N, C, 32, 32]}:
 *
 * <pre>
 * features:   conv 5x5 (C -> 6) -> tanh -> avgpool (2, stride 2)
 *             -> conv 5x5 (6 -> 16) -> tanh -> avgpool (2, stride 2)
 * flatten     (16*5*5 = 400)
 * classifier: linear (400 -> 120) -> tanh -> linear (120 -> 84) -> tanh -> linear (84 -> classes)
 * </pre>
 *
 * <p>Convolutions are unpadded with a bias; the pools are plain averages (no trainable
 * subsampling weights, no partial connection table between the two convolutions, as in Luma). The
 * input must be 32x32: the classifier takes exactly 400 features. There is no torchvision model to
 * follow; the names use the zoo's convention of position-named {@link Sequential}s
 * ({@code features.0.weight}, {@code features.3.weight}, {@code classifier.0/2/4.weight}). Every
 * layer starts as PyTorch's default ({@link Initializer#PYTORCH_DEFAULT}, weight and bias). With
 * 1 input channel and 10 classes it has 61,706 parameters.
 *
 * <p>Example: {@code LeNet5.lenet5().classes(10).seed(7).build()}.
 */
public final class LeNet5 extends GraphBlock {
  private LeNet5(LayerGraph graph) {
    super(graph);
  }

  @Override
  public String typeName() {
    return "LeNet-5";
  }

  /** LeNet-5 with Luma's defaults (1 input channel, 10 classes). */
  public static Builder lenet5() {
    return new Builder();
  }

  /** Options of a {@link LeNet5}: Luma's defaults (10 classes, 1 input channel). */
  public static final class Builder {
    private static final String NAME = "LeNet-5";
    private int classes = 10;
    private int inChannels = 1;
    private Long seed;
    private int seedIndex;

    private Builder() {}

    /** The classifier's outputs (default 10). */
    public Builder classes(int n) {
      if (n < 1) {
        throw new IllegalArgumentException(NAME + ": classes " + n + " (expected: >= 1)");
      }
      this.classes = n;
      return this;
    }

    /** The input's channels (default 1). */
    public Builder inChannels(int n) {
      if (n < 1) {
        throw new IllegalArgumentException(NAME + ": inChannels " + n + " (expected: >= 1)");
      }
      this.inChannels = n;
      return this;
    }

    /** The seed of the initialization (default: the next of the global default sequence). */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /** The model. */
    public LeNet5 build() {
      seedIndex = 0;
      Sequential features = new Sequential(
          conv(inChannels, 6), new Tanh(), Pool2D.avg(2, 2),
          conv(6, 16), new Tanh(), Pool2D.avg(2, 2));
      Sequential classifier = new Sequential(
          linear(16 * 5 * 5, 120), new Tanh(), linear(120, 84), new Tanh(), linear(84, classes));
      return new LeNet5(LayerGraph.chain(new LayerNode(features, "features"), new LayerNode(new Flatten(), "flatten"),
          new LayerNode(classifier, "classifier")));
    }

    private Conv2D conv(int in, int out) {
      return Conv2D.builder(in, out).kernel(5).initializer(Initializer.PYTORCH_DEFAULT)
          .biasInitializer(Initializer.PYTORCH_DEFAULT).seed(nextSeed()).build();
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

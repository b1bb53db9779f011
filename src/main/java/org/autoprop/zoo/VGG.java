package org.autoprop.zoo;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.autoprop.graph.LayerGraph;
import org.autoprop.graph.LayerNode;
import org.autoprop.layer.AdaptiveAvgPool2D;
import org.autoprop.layer.BatchNorm2D;
import org.autoprop.layer.Conv2D;
import org.autoprop.layer.Dense;
import org.autoprop.layer.Dropout;
import org.autoprop.layer.Flatten;
import org.autoprop.layer.Initializer;
import org.autoprop.layer.Layer;
import org.autoprop.layer.Pool2D;
import org.autoprop.layer.ReLU;
import org.autoprop.layer.Sequential;
import org.autoprop.models.GraphBlock;

/**
 * torchvision's VGG family (Simonyan and Zisserman, configurations A, B, D and E) on
 * {@code [N, C, H, W]}: VGG-11/13/16/19 and their batch-norm variants, with torchvision's
 * structure and state-dict names ({@code features.0.weight}, {@code features.1.running_mean},
 * {@code classifier.0.weight}, {@code classifier.6.bias}), so that torchvision's weights map one to
 * one (BatchNorm's {@code num_batches_tracked} aside: it is not kept here).
 *
 * <pre>
 * features:   per stage, (conv 3x3 padding 1 -> [bn ->] relu) per width, then maxpool (2, stride 2)
 * avgpool:    adaptive average pool to 7x7
 * flatten
 * classifier: linear (512*7*7 -> 4096) -> relu -> dropout -> linear (4096 -> 4096) -> relu
 *             -> dropout -> linear (4096 -> classes)
 * </pre>
 *
 * <p>{@code features} and {@code classifier} are {@link Sequential}s whose children are named by
 * position, parameterless layers included, as in torchvision's {@code nn.Sequential}: VGG-11's
 * second convolution is {@code features.3}, VGG-11-BN's is {@code features.4}. Five stages halve
 * the input five times, so the input must be at least 32x32; the adaptive pool makes any larger
 * size work. Weights start as torchvision's: convolutions He normal (over the fan-in here, the
 * fan-out in torchvision) with zero bias, the classifier as {@code nn.Linear}.
 *
 * <p>{@link #custom} and {@link Builder#hidden(int)} give small VGGs (few channels, a narrow
 * classifier), for tests and small images.
 *
 * <p>Example: {@code VGG.vgg11Bn().classes(10).seed(7).build()}.
 */
public final class VGG extends GraphBlock {
  private static final int[][] A = {{64}, {128}, {256, 256}, {512, 512}, {512, 512}};
  private static final int[][] B = {{64, 64}, {128, 128}, {256, 256}, {512, 512}, {512, 512}};
  private static final int[][] D = {{64, 64}, {128, 128}, {256, 256, 256}, {512, 512, 512}, {512, 512, 512}};
  private static final int[][] E =
      {{64, 64}, {128, 128}, {256, 256, 256, 256}, {512, 512, 512, 512}, {512, 512, 512, 512}};

  private final String typeName;

  private VGG(Builder b) {
    super(b.graph());
    this.typeName = b.name;
  }

  @Override
  public String typeName() {
    return typeName;
  }

  /** VGG-11 (configuration A): convolutions [64], [128], [256, 256], [512, 512], [512, 512]. */
  public static Builder vgg11() {
    return new Builder("VGG-11", false, A);
  }

  /** VGG-13 (configuration B): two convolutions in every stage. */
  public static Builder vgg13() {
    return new Builder("VGG-13", false, B);
  }

  /** VGG-16 (configuration D): convolutions [64 x2], [128 x2], [256 x3], [512 x3], [512 x3]. */
  public static Builder vgg16() {
    return new Builder("VGG-16", false, D);
  }

  /** VGG-19 (configuration E): convolutions [64 x2], [128 x2], [256 x4], [512 x4], [512 x4]. */
  public static Builder vgg19() {
    return new Builder("VGG-19", false, E);
  }

  /** VGG-11 with a batch norm after every convolution. */
  public static Builder vgg11Bn() {
    return new Builder("VGG-11-BN", true, A);
  }

  /** VGG-13 with a batch norm after every convolution. */
  public static Builder vgg13Bn() {
    return new Builder("VGG-13-BN", true, B);
  }

  /** VGG-16 with a batch norm after every convolution. */
  public static Builder vgg16Bn() {
    return new Builder("VGG-16-BN", true, D);
  }

  /** VGG-19 with a batch norm after every convolution. */
  public static Builder vgg19Bn() {
    return new Builder("VGG-19-BN", true, E);
  }

  /**
   * A VGG of any widths: {@code stages[i]} lists the output channels of stage {@code i}'s
   * convolutions, and every stage ends with a 2x2 max pool.
   *
   * @param name the model's type name
   * @param batchNorm a batch norm after every convolution
   * @param stages the widths per stage: at least one stage, each with at least one positive width
   * @return the builder
   */
  public static Builder custom(String name, boolean batchNorm, int[]... stages) {
    return new Builder(name, batchNorm, stages);
  }

  /**
   * Options of a {@link VGG}: torchvision's defaults (1000 classes, 3 input channels, a 4096-wide
   * classifier, dropout 0.5).
   */
  public static final class Builder {
    private final String name;
    private final boolean batchNorm;
    private final int[][] stages;
    private int classes = 1000;
    private int inChannels = 3;
    private int hidden = 4096;
    private double dropout = 0.5;
    private Long seed;
    private int seedIndex;

    private Builder(String name, boolean batchNorm, int[][] stages) {
      this.name = Objects.requireNonNull(name, "name");
      Objects.requireNonNull(stages, "stages");
      if (stages.length < 1) {
        throw new IllegalArgumentException(name + ": no stages (expected: >= 1)");
      }
      for (int i = 0; i < stages.length; i++) {
        Objects.requireNonNull(stages[i], "stages[" + i + "]");
        if (stages[i].length < 1) {
          throw new IllegalArgumentException(name + ": stage " + i + " has no convolution (expected: >= 1 width)");
        }
        for (int w : stages[i]) {
          if (w < 1) {
            throw new IllegalArgumentException(name + ": stage " + i + " widths " + Arrays.toString(stages[i])
                + " (expected: >= 1 each)");
          }
        }
      }
      this.batchNorm = batchNorm;
      this.stages = new int[stages.length][];
      for (int i = 0; i < stages.length; i++) {
        this.stages[i] = stages[i].clone();
      }
    }

    /** The classifier's outputs (default 1000). */
    public Builder classes(int n) {
      if (n < 1) {
        throw new IllegalArgumentException(name + ": classes " + n + " (expected: >= 1)");
      }
      this.classes = n;
      return this;
    }

    /** The input's channels (default 3). */
    public Builder inChannels(int n) {
      if (n < 1) {
        throw new IllegalArgumentException(name + ": inChannels " + n + " (expected: >= 1)");
      }
      this.inChannels = n;
      return this;
    }

    /** The width of the classifier's two hidden layers (default 4096). */
    public Builder hidden(int n) {
      if (n < 1) {
        throw new IllegalArgumentException(name + ": hidden " + n + " (expected: >= 1)");
      }
      this.hidden = n;
      return this;
    }

    /** The classifier's dropout probability, in [0, 1) (default 0.5). */
    public Builder dropout(double p) {
      if (!(p >= 0 && p < 1)) {
        throw new IllegalArgumentException(name + ": dropout " + p + " (expected: in [0, 1))");
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
    public VGG build() {
      return new VGG(this);
    }

    private LayerGraph graph() {
      seedIndex = 0;
      List<Layer> features = new ArrayList<>();
      int in = inChannels;
      for (int[] stage : stages) {
        for (int width : stage) {
          features.add(Conv2D.builder(in, width).kernel(3).padding(1).initializer(Initializer.HE_NORMAL)
              .seed(nextSeed()).build());
          if (batchNorm) {
            features.add(new BatchNorm2D(width));
          }
          features.add(new ReLU());
          in = width;
        }
        features.add(Pool2D.max(2, 2));
      }
      Layer classifier = new Sequential(linear(in * 7 * 7, hidden), new ReLU(), new Dropout(dropout, nextSeed()),
          linear(hidden, hidden), new ReLU(), new Dropout(dropout, nextSeed()), linear(hidden, classes));
      return LayerGraph.chain(new LayerNode(new Sequential(features.toArray(new Layer[0])), "features"),
          new LayerNode(new AdaptiveAvgPool2D(7, 7), "avgpool"), new LayerNode(new Flatten(), "flatten"),
          new LayerNode(classifier, "classifier"));
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

package org.autoprop.zoo;

import java.util.List;
import java.util.Map;
import org.autoprop.blocks.BasicConv2D;
import org.autoprop.blocks.IncepBlock;
import org.autoprop.graph.LayerGraph;
import org.autoprop.graph.LayerNode;
import org.autoprop.layer.AdaptiveAvgPool2D;
import org.autoprop.layer.Dense;
import org.autoprop.layer.Dropout;
import org.autoprop.layer.Flatten;
import org.autoprop.layer.GlobalAvgPool2D;
import org.autoprop.layer.Initializer;
import org.autoprop.layer.Layer;
import org.autoprop.layer.Parameter;
import org.autoprop.layer.Pool2D;
import org.autoprop.layer.ReLU;
import org.autoprop.models.GraphBlock;
import org.autoprop.tensor.Tensor;

/**
 * torchvision's GoogLeNet (Inception V1, Szegedy et al. 2014) on {@code [N, C, H, W]}, with
 * torchvision's structure and state-dict names ({@code conv1.conv.weight}, {@code conv1.bn.*},
 * {@code inception3a.branch1.conv.weight}, {@code inception3a.branch2.0.bn.running_mean},
 * {@code inception4a.branch4.1.conv.weight}, {@code fc.weight}):
 *
 * <pre>
 * conv1 (7x7, stride 2, 64) -> maxpool1 (3, stride 2, ceil mode) -> conv2 (1x1, 64) -> conv3 (3x3, 192)
 * -> maxpool2 -> inception3a -> inception3b -> maxpool3 -> inception4a .. inception4e
 * -> maxpool4 (2, stride 2, ceil mode) -> inception5a -> inception5b
 * -> avgpool (global) -> flatten -> dropout (0.2) -> fc (1024 -> classes)
 * </pre>
 *
 * <p>Convolutions are {@link BasicConv2D}s, the inception modules {@link IncepBlock#v1}.
 * torchvision's defaults differ in two places, by choice: its {@code GoogLeNet} class has
 * {@code aux_logits=True}, here they are off unless {@link Builder#auxLogits} (as torchvision's
 * {@code googlenet(weights=...)} returns it). With them on, the state dict has torchvision's
 * {@code aux1.*} and {@code aux2.*} ({@code InceptionAux}: adaptive average pool to 4x4, 1x1
 * BasicConv2D to 128, {@code fc1} 2048 to 1024, ReLU, dropout 0.7, {@code fc2}), so that
 * torchvision's checkpoints load strictly and save back; but {@link #forward} returns the main
 * logits in both modes and the auxiliary heads never run (they get no gradient: training with
 * them is training with auxiliary loss weight 0). {@code transform_input} (the re-normalisation
 * of torchvision's ported weights) is not applied: give the input as those weights expect it.
 *
 * <p>{@link Builder#widthDivisor} divides every width (not the input channels) for small test
 * networks. Weights start He normal (torchvision: a truncated normal of deviation 0.01), the
 * linear layers as {@code nn.Linear}; batch norms have epsilon 1e-3 and momentum 0.1.
 *
 * <p>Example: {@code GoogLeNet.builder().classes(10).seed(7).build()}.
 */
public final class GoogLeNet extends GraphBlock {
  /** torchvision's inception modules: name, then ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj. */
  private static final Object[][] MODULES = {
      {"inception3a", 64, 96, 128, 16, 32, 32}, {"inception3b", 128, 128, 192, 32, 96, 64},
      {"maxpool3"},
      {"inception4a", 192, 96, 208, 16, 48, 64}, {"inception4b", 160, 112, 224, 24, 64, 64},
      {"inception4c", 128, 128, 256, 24, 64, 64}, {"inception4d", 112, 144, 288, 32, 64, 64},
      {"inception4e", 256, 160, 320, 32, 128, 128},
      {"maxpool4"},
      {"inception5a", 256, 160, 320, 32, 128, 128}, {"inception5b", 384, 192, 384, 48, 128, 128}};

  private final AuxHeads aux;

  private GoogLeNet(LayerGraph graph, AuxHeads aux) {
    super(graph);
    this.aux = aux;
  }

  @Override
  public String typeName() {
    return "GoogLeNet";
  }

  /** torchvision's {@code googlenet(aux_logits=False)}: 1000 classes, 3 input channels. */
  public static Builder builder() {
    return new Builder();
  }

  /** Whether the auxiliary classifiers {@code aux1} and {@code aux2} are carried. */
  public boolean hasAuxLogits() {
    return !aux.isEmpty();
  }

  @Override
  public List<Parameter> parameters() {
    return aux.parameters(super.parameters());
  }

  @Override
  public Map<String, Tensor> buffers() {
    return aux.buffers(super.buffers());
  }

  @Override
  public void zeroGrad() {
    super.zeroGrad();
    aux.zeroGrad();
  }

  /** Options of a {@link GoogLeNet}: torchvision's defaults but {@code aux_logits}. */
  public static final class Builder {
    private int classes = 1000;
    private int inChannels = 3;
    private boolean auxLogits;
    private double dropout = 0.2;
    private double dropoutAux = 0.7;
    private int divisor = 1;
    private Long seed;
    private int seedIndex;

    private Builder() {}

    /** The classifier's outputs (default 1000). */
    public Builder classes(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("GoogLeNet: classes " + n + " (expected: >= 1)");
      }
      this.classes = n;
      return this;
    }

    /** The input's channels (default 3). */
    public Builder inChannels(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("GoogLeNet: inChannels " + n + " (expected: >= 1)");
      }
      this.inChannels = n;
      return this;
    }

    /** Whether to carry torchvision's auxiliary classifiers {@code aux1} and {@code aux2} (default false). */
    public Builder auxLogits(boolean on) {
      this.auxLogits = on;
      return this;
    }

    /** The dropout before {@code fc} (default 0.2). */
    public Builder dropout(double p) {
      this.dropout = checkDropout("dropout", p);
      return this;
    }

    /** The dropout of the auxiliary classifiers (default 0.7). */
    public Builder dropoutAux(double p) {
      this.dropoutAux = checkDropout("dropoutAux", p);
      return this;
    }

    private static double checkDropout(String what, double p) {
      if (!(p >= 0 && p < 1)) {
        throw new IllegalArgumentException("GoogLeNet: " + what + " " + p + " (expected: 0 <= " + what + " < 1)");
      }
      return p;
    }

    /** Divides every width by {@code d} (default 1), which must divide all of them (8 does). */
    public Builder widthDivisor(int d) {
      if (d < 1) {
        throw new IllegalArgumentException("GoogLeNet: widthDivisor " + d + " (expected: >= 1)");
      }
      this.divisor = d;
      return this;
    }

    /** The seed of the initialization (default: the next of the global default sequence). */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    private int w(int width) {
      if (width % divisor != 0) {
        throw new IllegalArgumentException("GoogLeNet: widthDivisor " + divisor + " does not divide the width " + width
            + " (expected: a divisor of every width)");
      }
      return width / divisor;
    }

    private long nextSeed() {
      return LayerSeeds.seed(seed, seedIndex++);
    }

    private BasicConv2D conv(int from, int to, int kernel, int stride, int padding) {
      return BasicConv2D.builder(from, to).kernel(kernel).stride(stride).padding(padding).seed(nextSeed()).build();
    }

    private Dense linear(int from, int to) {
      return Dense.builder(from, to).initializer(Initializer.PYTORCH_DEFAULT).seed(nextSeed()).build();
    }

    /** The model. */
    public GoogLeNet build() {
      seedIndex = 0;
      // Checks every width first: a divisor that fails names the width, not a half-built graph.
      for (Object[] m : MODULES) {
        for (int i = 1; i < m.length; i++) {
          w((Integer) m[i]);
        }
      }
      w(192);
      LayerNode conv1 = new LayerNode(conv(inChannels, w(64), 7, 2, 3), "conv1");
      LayerGraph.Builder g = LayerGraph.builder().root(conv1);
      LayerNode last = g.extend(conv1, new LayerNode(Pool2D.maxCeilMode(3, 2, 0), "maxpool1"),
          new LayerNode(conv(w(64), w(64), 1, 1, 0), "conv2"), new LayerNode(conv(w(64), w(192), 3, 1, 1), "conv3"),
          new LayerNode(Pool2D.maxCeilMode(3, 2, 0), "maxpool2"));
      int channels = w(192);
      AuxHeads heads = new AuxHeads();
      for (Object[] m : MODULES) {
        String name = (String) m[0];
        if (m.length == 1) {
          Pool2D pool = name.equals("maxpool4") ? Pool2D.maxCeilMode(2, 2, 0) : Pool2D.maxCeilMode(3, 2, 0);
          last = g.extend(last, new LayerNode(pool, name));
          continue;
        }
        int[] c = new int[6];
        for (int i = 0; i < 6; i++) {
          c[i] = w((Integer) m[i + 1]);
        }
        IncepBlock block = IncepBlock.v1(channels, c[0], c[1], c[2], c[3], c[4], c[5]).seed(nextSeed()).build();
        last = g.extend(last, new LayerNode(block, name));
        channels = c[0] + c[2] + c[4] + c[5];
        if (auxLogits && (name.equals("inception4a") || name.equals("inception4d"))) {
          heads.add(name.equals("inception4a") ? "aux1" : "aux2", auxHead(channels));
        }
      }
      last = g.extend(last, new LayerNode(new GlobalAvgPool2D(), "avgpool"), new LayerNode(new Flatten(), "flatten"),
          new LayerNode(new Dropout(dropout, nextSeed()), "dropout"), new LayerNode(linear(channels, classes), "fc"));
      return new GoogLeNet(g.term(last).build(), heads);
    }

    /** torchvision's {@code InceptionAux(in, classes)}. */
    private Layer auxHead(int in) {
      return LayerGraph.chain(new LayerNode(new AdaptiveAvgPool2D(4, 4), "pool"),
          new LayerNode(conv(in, w(128), 1, 1, 0), "conv"), new LayerNode(new Flatten(), "flatten"),
          new LayerNode(linear(w(128) * 16, w(1024)), "fc1"), new LayerNode(new ReLU(), "relu"),
          new LayerNode(new Dropout(dropoutAux, nextSeed()), "dropout"), new LayerNode(linear(w(1024), classes), "fc2"));
    }
  }
}

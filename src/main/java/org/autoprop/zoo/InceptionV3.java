package org.autoprop.zoo;

import java.util.List;
import java.util.Map;
import org.autoprop.blocks.BasicConv2D;
import org.autoprop.blocks.IncepBlock;
import org.autoprop.graph.LayerGraph;
import org.autoprop.graph.LayerNode;
import org.autoprop.layer.Dense;
import org.autoprop.layer.Dropout;
import org.autoprop.layer.Flatten;
import org.autoprop.layer.GlobalAvgPool2D;
import org.autoprop.layer.Initializer;
import org.autoprop.layer.Layer;
import org.autoprop.layer.Parameter;
import org.autoprop.layer.Pool2D;
import org.autoprop.models.GraphBlock;
import org.autoprop.tensor.Tensor;

/**
 * torchvision's Inception V3 (Szegedy et al. 2015, {@code inception_v3}) on {@code [N, C, H, W]}
 * (299x299 images; at least 75x75), with torchvision's structure and state-dict names
 * ({@code Conv2d_1a_3x3.conv.weight}, {@code Mixed_5b.branch1x1.bn.running_var},
 * {@code Mixed_6b.branch7x7_2.conv.weight}, {@code Mixed_7c.branch3x3dbl_3b.conv.weight},
 * {@code fc.weight}):
 *
 * <pre>
 * Conv2d_1a_3x3 (32, stride 2) -> Conv2d_2a_3x3 (32) -> Conv2d_2b_3x3 (64, padding 1) -> maxpool1 (3, stride 2)
 * -> Conv2d_3b_1x1 (80) -> Conv2d_4a_3x3 (192) -> maxpool2 (3, stride 2)
 * -> Mixed_5b/5c/5d (InceptionA, pool features 32, 64, 64) -> Mixed_6a (InceptionB)
 * -> Mixed_6b/6c/6d/6e (InceptionC, 7x7 channels 128, 160, 160, 192) -> Mixed_7a (InceptionD)
 * -> Mixed_7b/7c (InceptionE) -> avgpool (global) -> dropout (0.5) -> flatten -> fc (2048 -> classes)
 * </pre>
 *
 * <p>Convolutions are {@link BasicConv2D}s; {@code InceptionA} to {@code E} are
 * {@link IncepBlock#v2TypeA}, {@link IncepBlock#v2ReduxA}, {@link IncepBlock#v2TypeB},
 * {@link IncepBlock#v2ReduxB} and {@link IncepBlock#v2TypeC}. torchvision's class defaults to
 * {@code aux_logits=True}; here the auxiliary classifier is off unless {@link Builder#auxLogits}.
 * With it on, the state dict has torchvision's {@code AuxLogits.*} ({@code InceptionAux}: average
 * pool 5 stride 3, {@code conv0} 1x1 to 128, {@code conv1} 5x5 to 768, global average pool,
 * {@code fc}), so that torchvision's checkpoints (which include it) load strictly and save back;
 * but {@link #forward} returns the main logits in both modes and the auxiliary head never runs (it
 * gets no gradient: training with auxiliary loss weight 0). {@code transform_input} is not applied.
 *
 * <p>{@link Builder#widthDivisor} divides every width (not the input channels) for small test
 * networks (16 divides all of them). Weights start He normal (torchvision: a truncated normal of
 * deviation 0.1), the linear layers as {@code nn.Linear}; batch norms have epsilon 1e-3 and
 * momentum 0.1.
 *
 * <p>Example: {@code InceptionV3.builder().classes(10).seed(7).build()}.
 */
public final class InceptionV3 extends GraphBlock {
  private final AuxHeads aux;

  private InceptionV3(LayerGraph graph, AuxHeads aux) {
    super(graph);
    this.aux = aux;
  }

  @Override
  public String typeName() {
    return "InceptionV3";
  }

  /** torchvision's {@code inception_v3(aux_logits=False)}: 1000 classes, 3 input channels. */
  public static Builder builder() {
    return new Builder();
  }

  /** Whether the auxiliary classifier {@code AuxLogits} is carried. */
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

  /** Options of an {@link InceptionV3}: torchvision's defaults but {@code aux_logits}. */
  public static final class Builder {
    private int classes = 1000;
    private int inChannels = 3;
    private boolean auxLogits;
    private double dropout = 0.5;
    private int divisor = 1;
    private Long seed;
    private int seedIndex;

    private Builder() {}

    /** The classifier's outputs (default 1000). */
    public Builder classes(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("InceptionV3: classes " + n + " (expected: >= 1)");
      }
      this.classes = n;
      return this;
    }

    /** The input's channels (default 3). */
    public Builder inChannels(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("InceptionV3: inChannels " + n + " (expected: >= 1)");
      }
      this.inChannels = n;
      return this;
    }

    /** Whether to carry torchvision's auxiliary classifier {@code AuxLogits} (default false). */
    public Builder auxLogits(boolean on) {
      this.auxLogits = on;
      return this;
    }

    /** The dropout before {@code fc} (default 0.5). */
    public Builder dropout(double p) {
      if (!(p >= 0 && p < 1)) {
        throw new IllegalArgumentException("InceptionV3: dropout " + p + " (expected: 0 <= dropout < 1)");
      }
      this.dropout = p;
      return this;
    }

    /** Divides every width by {@code d} (default 1), which must divide all of them (16 does). */
    public Builder widthDivisor(int d) {
      if (d < 1) {
        throw new IllegalArgumentException("InceptionV3: widthDivisor " + d + " (expected: >= 1)");
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
        throw new IllegalArgumentException("InceptionV3: widthDivisor " + divisor + " does not divide the width "
            + width + " (expected: a divisor of every width)");
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

    private IncepBlock block(IncepBlock.Builder b) {
      return b.widthDivisor(divisor).seed(nextSeed()).build();
    }

    /** The model. */
    public InceptionV3 build() {
      seedIndex = 0;
      for (int width : new int[] {32, 48, 64, 80, 96, 128, 160, 192, 224, 256, 288, 320, 384, 448, 768, 1280, 2048}) {
        w(width);
      }
      LayerNode first = new LayerNode(conv(inChannels, w(32), 3, 2, 0), "Conv2d_1a_3x3");
      LayerGraph.Builder g = LayerGraph.builder().root(first);
      LayerNode last = g.extend(first,
          new LayerNode(conv(w(32), w(32), 3, 1, 0), "Conv2d_2a_3x3"),
          new LayerNode(conv(w(32), w(64), 3, 1, 1), "Conv2d_2b_3x3"),
          new LayerNode(Pool2D.max(3, 2, 0), "maxpool1"),
          new LayerNode(conv(w(64), w(80), 1, 1, 0), "Conv2d_3b_1x1"),
          new LayerNode(conv(w(80), w(192), 3, 1, 0), "Conv2d_4a_3x3"),
          new LayerNode(Pool2D.max(3, 2, 0), "maxpool2"),
          new LayerNode(block(IncepBlock.v2TypeA(w(192), w(32))), "Mixed_5b"),
          new LayerNode(block(IncepBlock.v2TypeA(w(256), w(64))), "Mixed_5c"),
          new LayerNode(block(IncepBlock.v2TypeA(w(288), w(64))), "Mixed_5d"),
          new LayerNode(block(IncepBlock.v2ReduxA(w(288))), "Mixed_6a"),
          new LayerNode(block(IncepBlock.v2TypeB(w(768), w(128))), "Mixed_6b"),
          new LayerNode(block(IncepBlock.v2TypeB(w(768), w(160))), "Mixed_6c"),
          new LayerNode(block(IncepBlock.v2TypeB(w(768), w(160))), "Mixed_6d"),
          new LayerNode(block(IncepBlock.v2TypeB(w(768), w(192))), "Mixed_6e"));
      AuxHeads heads = new AuxHeads();
      if (auxLogits) {
        heads.add("AuxLogits", auxHead(w(768)));
      }
      last = g.extend(last,
          new LayerNode(block(IncepBlock.v2ReduxB(w(768))), "Mixed_7a"),
          new LayerNode(block(IncepBlock.v2TypeC(w(1280))), "Mixed_7b"),
          new LayerNode(block(IncepBlock.v2TypeC(w(2048))), "Mixed_7c"),
          new LayerNode(new GlobalAvgPool2D(), "avgpool"),
          new LayerNode(new Dropout(dropout, nextSeed()), "dropout"),
          new LayerNode(new Flatten(), "flatten"),
          new LayerNode(linear(w(2048), classes), "fc"));
      return new InceptionV3(g.term(last).build(), heads);
    }

    /** torchvision's {@code InceptionAux(in, classes)}. */
    private Layer auxHead(int in) {
      return LayerGraph.chain(new LayerNode(Pool2D.avg(5, 3, 0), "pool"),
          new LayerNode(conv(in, w(128), 1, 1, 0), "conv0"), new LayerNode(conv(w(128), w(768), 5, 1, 0), "conv1"),
          new LayerNode(new GlobalAvgPool2D(), "avgpool"), new LayerNode(new Flatten(), "flatten"),
          new LayerNode(linear(w(768), classes), "fc"));
    }
  }
}

package org.autoprop.models;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.autoprop.graph.LayerGraph;
import org.autoprop.graph.LayerNode;
import org.autoprop.graph.MergeMode;
import org.autoprop.graph.SequentialNode;
import org.autoprop.layer.BatchNorm2D;
import org.autoprop.layer.ClassToken;
import org.autoprop.layer.Conv2D;
import org.autoprop.layer.Dense;
import org.autoprop.layer.Embedding;
import org.autoprop.layer.Flatten;
import org.autoprop.layer.GlobalAvgPool2D;
import org.autoprop.layer.Identity;
import org.autoprop.layer.Initializer;
import org.autoprop.layer.LayerNorm;
import org.autoprop.layer.Padding;
import org.autoprop.layer.Pool2D;
import org.autoprop.layer.PositionEmbedding;
import org.autoprop.layer.ReLU;
import org.autoprop.layer.Reshape;
import org.autoprop.layer.Slice;
import org.autoprop.layer.Transpose;

/** The reference networks of the benchmark workloads (WORKLOADS.md) and of the demonstrations (LM.md). */
public final class ReferenceNets {
  private ReferenceNets() {}

  /**
   * A ResNet basic block with an identity shortcut:
   * {@code x -> conv1 -> bn1 -> relu1 -> conv2 -> bn2 -> relu(SUM with x)}, all convolutions 3x3
   * with "same" padding. Nodes: root, conv1, bn1, relu1, conv2, bn2, relu. Input [N, C, H, W].
   */
  public static LayerGraph basicBlock(int channels, long seed) {
    LayerNode root = new LayerNode(new Identity(), "root");
    LayerNode conv1 = new LayerNode(conv3x3(channels, channels, seed), "conv1");
    LayerNode bn1 = new LayerNode(new BatchNorm2D(channels), "bn1");
    LayerNode relu1 = new LayerNode(new ReLU(), "relu1");
    LayerNode conv2 = new LayerNode(conv3x3(channels, channels, seed + 1), "conv2");
    LayerNode bn2 = new LayerNode(new BatchNorm2D(channels), "bn2");
    LayerNode out = new LayerNode(new ReLU(), MergeMode.SUM, "relu");
    Map<LayerNode, List<LayerNode>> edges = new LinkedHashMap<>();
    edges.put(root, List.of(conv1, out));
    edges.put(conv1, List.of(bn1));
    edges.put(bn1, List.of(relu1));
    edges.put(relu1, List.of(conv2));
    edges.put(conv2, List.of(bn2));
    edges.put(bn2, List.of(out));
    return new LayerGraph(edges, root, out).build();
  }

  /**
   * FMNIST-NET: stem Conv2D(1->32)+BN+ReLU; a basic block at 32 channels; MaxPool 2x2; a basic
   * block 32->64 with a 1x1 convolution + BN shortcut; MaxPool 2x2; global average pool, Dense(64->10).
   * Input [N, 1, 28, 28]; output logits [N, 10].
   */
  public static LayerGraph fashionNet(long seed) {
    LayerNode stem = new SequentialNode("stem", conv3x3(1, 32, seed), new BatchNorm2D(32), new ReLU());
    LayerNode b1a = new SequentialNode("block1_a", conv3x3(32, 32, seed + 1), new BatchNorm2D(32), new ReLU());
    LayerNode b1b = new SequentialNode("block1_b", conv3x3(32, 32, seed + 2), new BatchNorm2D(32));
    LayerNode b1 = new LayerNode(new ReLU(), MergeMode.SUM, "block1_out");
    LayerNode pool1 = new LayerNode(Pool2D.max(2, 2, 0), "pool1");
    LayerNode b2a = new SequentialNode("block2_a", conv3x3(32, 64, seed + 3), new BatchNorm2D(64), new ReLU());
    LayerNode b2b = new SequentialNode("block2_b", conv3x3(64, 64, seed + 4), new BatchNorm2D(64));
    LayerNode b2s = new SequentialNode("block2_shortcut",
        Conv2D.builder(32, 64).kernel(1, 1).padding(Padding.VALID).seed(seed + 5).build(), new BatchNorm2D(64));
    LayerNode b2 = new LayerNode(new ReLU(), MergeMode.SUM, "block2_out");
    LayerNode pool2 = new LayerNode(Pool2D.max(2, 2, 0), "pool2");
    LayerNode head = new SequentialNode("head",
        new GlobalAvgPool2D(), new Flatten(), Dense.builder(64, 10).seed(seed + 6).build());
    Map<LayerNode, List<LayerNode>> edges = new LinkedHashMap<>();
    edges.put(stem, List.of(b1a, b1));
    edges.put(b1a, List.of(b1b));
    edges.put(b1b, List.of(b1));
    edges.put(b1, List.of(pool1));
    edges.put(pool1, List.of(b2a, b2s));
    edges.put(b2a, List.of(b2b));
    edges.put(b2b, List.of(b2));
    edges.put(b2s, List.of(b2));
    edges.put(b2, List.of(pool2));
    edges.put(pool2, List.of(head));
    return new LayerGraph(edges, stem, head).build();
  }

  /**
   * VIT-FMNIST (docs/WORKLOADS.md): patches Conv2D(1->96, 7x7, stride 7) to 16 tokens of 96,
   * a learned class token prepended and a learned position embedding [1, 17, 96] added, 4 pre-norm
   * {@link Encoder} layers (4 heads, feed-forward 192, GELU (erf), no dropout), then LayerNorm(96) on
   * the class token and Dense(96->10). Nodes: patch, tokens, transpose, cls, pos, layers.0 ..
   * layers.3, cls_out, norm, head. Input [N, 1, 28, 28]; output logits [N, 10]. (The class token is
   * taken before the final norm, which normalises each token on its own, so the result is
   * PyTorch's {@code head(norm(x[:, 0]))}.) Every layer starts with PyTorch's default
   * initialization, as the peer {@code torch_vit.py}.
   */
  public static LayerGraph vitFashion(long seed) {
    int d = 96;
    LayerNode patch = new LayerNode(Conv2D.builder(1, d).kernel(7).stride(7).seed(seed)
        .initializer(Initializer.PYTORCH_DEFAULT).biasInitializer(Initializer.PYTORCH_DEFAULT).build(), "patch");
    LayerNode tokens = new LayerNode(new Reshape(d, 16), "tokens");           // [N, 96, 16]
    LayerNode transpose = new LayerNode(new Transpose(1, 2), "transpose");    // [N, 16, 96]
    LayerNode cls = new LayerNode(ClassToken.builder(d).seed(seed + 1).build(), "cls");
    LayerNode pos = new LayerNode(PositionEmbedding.builder(17, d).seed(seed + 2).build(), "pos");
    LayerGraph.Builder g = LayerGraph.builder().edges(patch, tokens, transpose, cls, pos);
    LayerNode last = pos;
    for (int i = 0; i < 4; i++) {
      LayerNode layer = new LayerNode(Encoder.builder(d, 4).dimFeedforward(192).dropout(0)
          .activation(PositionwiseFeedForward.Activation.GELU).normFirst(true).seed(seed + 3 + i).build(),
          "layers." + i);
      g.edge(last, layer);
      last = layer;
    }
    LayerNode clsOut = new LayerNode(Slice.index(1, 0), "cls_out");
    LayerNode norm = new LayerNode(new LayerNorm(d), "norm");
    LayerNode head = new LayerNode(torchLinear(d, 10, seed + 7), "head");
    return g.edges(last, clsOut, norm, head).root(patch).term(head).build();
  }

  /**
   * CHAR-LM (docs/LM.md): Embedding(256, 128) of byte ids, a learned position embedding [1, 64,
   * 128], 2 pre-norm causal {@link Encoder} layers (4 heads, feed-forward 512, GELU (erf), no
   * dropout), LayerNorm(128), Dense(128->256). Nodes: embed, pos, layers.0, layers.1, norm, head.
   * Input: ids [N, T] with T {@literal <=} 64; output logits [N, T, 256].
   */
  public static LayerGraph charLm(long seed) {
    int d = 128;
    LayerNode embed = new LayerNode(Embedding.builder(256, d).seed(seed).build(), "embed");
    LayerNode pos = new LayerNode(PositionEmbedding.builder(64, d).seed(seed + 1).build(), "pos");
    LayerGraph.Builder g = LayerGraph.builder().edges(embed, pos);
    LayerNode last = pos;
    for (int i = 0; i < 2; i++) {
      LayerNode layer = new LayerNode(Encoder.builder(d, 4).dimFeedforward(512).dropout(0)
          .activation(PositionwiseFeedForward.Activation.GELU).normFirst(true).causal(true).seed(seed + 2 + i).build(),
          "layers." + i);
      g.edge(last, layer);
      last = layer;
    }
    LayerNode norm = new LayerNode(new LayerNorm(d), "norm");
    LayerNode head = new LayerNode(torchLinear(d, 256, seed + 4), "head");
    return g.edges(last, norm, head).root(embed).term(head).build();
  }

  /** A Dense initialized as PyTorch's {@code nn.Linear}, so the transformer nets start where the peers do. */
  private static Dense torchLinear(int in, int out, long seed) {
    return Dense.builder(in, out).seed(seed)
        .initializer(Initializer.PYTORCH_DEFAULT).biasInitializer(Initializer.PYTORCH_DEFAULT).build();
  }

  private static Conv2D conv3x3(int in, int out, long seed) {
    return Conv2D.builder(in, out).kernel(3, 3).padding(Padding.SAME).seed(seed).build();
  }
}

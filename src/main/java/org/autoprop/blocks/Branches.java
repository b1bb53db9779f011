package org.autoprop.blocks;

import java.util.List;
import org.autoprop.graph.LayerGraph;
import org.autoprop.graph.LayerNode;
import org.autoprop.graph.MergeMode;
import org.autoprop.layer.Identity;
import org.autoprop.layer.Layer;

/**
 * Builds the graph of a multi-branch block (the Inception family): branches grow from the input
 * node {@code in}, each convolution a {@link BasicConv2D} seeded in creation order from the
 * block's seed, and {@link #concat} joins the branch ends on the channel axis in the order given
 * ({@code torch.cat([...], 1)}).
 */
final class Branches {
  final LayerGraph.Builder graph = LayerGraph.builder();
  final LayerNode in = new LayerNode(new Identity(), "in");
  private final Long seed;
  private final double momentum;
  private int seeds;

  Branches(Long seed, double momentum) {
    this.seed = seed;
    this.momentum = momentum;
    graph.root(in);
  }

  /** A {@code kh x kw} BasicConv2D of stride {@code s} and padding {@code ph x pw}. */
  BasicConv2D conv(int from, int to, int kh, int kw, int s, int ph, int pw) {
    return BasicConv2D.builder(from, to).kernel(kh, kw).stride(s).padding(ph, pw).momentum(momentum)
        .seed(Rank.derive(seed, seeds++)).build();
  }

  /** A square {@code k x k} BasicConv2D of stride {@code s}, padding {@code p}. */
  BasicConv2D conv(int from, int to, int k, int s, int p) {
    return conv(from, to, k, k, s, p, p);
  }

  /** The next seed of the block's sequence, for a layer that is not a BasicConv2D. */
  Long nextSeed() {
    return Rank.derive(seed, seeds++);
  }

  /** Node {@code name} running {@code layer}, fed by {@code from}. */
  LayerNode then(LayerNode from, String name, Layer layer) {
    return graph.extend(from, new LayerNode(layer, name));
  }

  /** Node {@code name} running {@code layers} as an {@code nn.Sequential} (children named 0, 1, ...). */
  LayerNode sequential(LayerNode from, String name, Layer... layers) {
    return then(from, name, Chain.indexed(List.of(layers)));
  }

  /** The concatenation of {@code ends} on the channel axis, in that order, as the term. */
  LayerGraph concat(LayerNode... ends) {
    LayerNode cat = new LayerNode(new Identity(), MergeMode.CHCAT, "cat");
    for (LayerNode e : ends) {
      graph.edge(e, cat);
    }
    return graph.term(cat).build();
  }
}

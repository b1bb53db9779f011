package org.autoprop.models;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Objects;
import org.autoprop.graph.LayerGraph;
import org.autoprop.graph.LayerNode;
import org.autoprop.layer.BatchNorm2D;
import org.autoprop.layer.Conv2D;
import org.autoprop.layer.Layer;
import org.autoprop.layer.Sequential;

/**
 * Turns a trained model into its inference form by folding every {@link BatchNorm2D} that
 * directly follows a {@link Conv2D} into that convolution ({@link Conv2D#foldBatchNorm}), as
 * PyTorch's {@code fuse_conv_bn_eval} does: the model then computes its evaluation-mode outputs
 * (to float rounding) with one pass fewer per pair and no normalisation buffers.
 *
 * <p>A pair folds when, in one {@link LayerGraph} or {@link Sequential}, the convolution's output
 * goes only to the batch norm and the batch norm has no other input; nested graphs, blocks
 * ({@link GraphBlock}) and sequentials are folded too. The folded convolution takes the
 * convolution's node name (or child name); the batch-norm node disappears, its successors read the
 * convolution in its place, merge inputs in their order. So the state dict changes: each folded
 * convolution gains a {@code bias} and the batch norms' entries are gone.
 *
 * <p>The model is changed in place and is for inference from then on: training it would train a
 * network without batch normalisation. Fold a copy (a fresh model with the trained state dict
 * loaded) to keep the trainable one. Not thread-safe: fold before any thread runs the model.
 *
 * <p>Example: {@code ResNet net = ResNet.resnet18().build(); StateDict.load(...);
 * BatchNormFolding.fold(net); net.forward(images, false);}
 */
public final class BatchNormFolding {
  private BatchNormFolding() {}

  /**
   * Folds the pairs of {@code block}'s graph and of everything nested in it, then rebuilds it.
   *
   * @return the number of batch norms folded
   */
  public static int fold(GraphBlock block) {
    return fold(Objects.requireNonNull(block, "block").graph());
  }

  /**
   * Folds the pairs of {@code graph} and of everything nested in it, then rebuilds it.
   *
   * @return the number of batch norms folded
   * @throws IllegalStateException when the graph is not built (its shape checks must have passed)
   */
  public static int fold(LayerGraph graph) {
    Objects.requireNonNull(graph, "graph");
    graph.order(); // throws the graph's own message when unbuilt
    int folded = 0;
    for (LayerNode node : new ArrayList<>(graph.nodes())) {
      Layer layer = node.layer();
      if (layer instanceof Sequential s) {
        Folded f = foldChildren(s);
        if (f.sequential != s) {
          graph.replaceNode(node, new LayerNode(f.sequential, node.mode(), node.name()));
        }
        folded += f.count;
      } else {
        folded += foldNested(layer);
      }
    }
    for (LayerNode node : new ArrayList<>(graph.nodes())) {
      if (node.layer() instanceof Conv2D conv && node != graph.term()) {
        List<LayerNode> next = graph.successors(node);
        if (next.size() == 1 && next.get(0).layer() instanceof BatchNorm2D bn
            && graph.predecessors(next.get(0)).size() == 1) {
          graph.replaceNode(node, new LayerNode(conv.foldBatchNorm(bn), node.mode(), node.name()));
          graph.bypassNode(next.get(0));
          folded++;
        }
      }
    }
    graph.clear();
    graph.build();
    return folded;
  }

  /** Folds a graph or block nested as a layer, in place; 0 for any other layer. */
  private static int foldNested(Layer layer) {
    if (layer instanceof LayerGraph g) {
      return fold(g);
    }
    if (layer instanceof GraphBlock b) {
      return fold(b.graph());
    }
    return 0;
  }

  private record Folded(Sequential sequential, int count) {}

  /** A sequential with its pairs folded (itself when there are none); nested containers folded in place. */
  private static Folded foldChildren(Sequential s) {
    List<String> names = s.names();
    List<Layer> layers = s.layers();
    LinkedHashMap<String, Layer> children = new LinkedHashMap<>();
    int count = 0;
    boolean changed = false;
    for (int i = 0; i < layers.size(); i++) {
      Layer layer = layers.get(i);
      if (layer instanceof Conv2D conv && i + 1 < layers.size() && layers.get(i + 1) instanceof BatchNorm2D bn) {
        children.put(names.get(i), conv.foldBatchNorm(bn));
        count++;
        changed = true;
        i++;
      } else if (layer instanceof Sequential inner) {
        Folded f = foldChildren(inner);
        children.put(names.get(i), f.sequential);
        count += f.count;
        changed |= f.sequential != inner;
      } else {
        count += foldNested(layer);
        children.put(names.get(i), layer);
      }
    }
    if (!changed) {
      return new Folded(s, count); // only nested graphs changed, in place
    }
    return new Folded(new Sequential(children).fusion(s.fusion()), count);
  }
}

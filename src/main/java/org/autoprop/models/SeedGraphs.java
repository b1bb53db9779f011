package org.autoprop.models;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.autoprop.graph.LayerGraph;
import org.autoprop.graph.LayerNode;
import org.autoprop.graph.MergeMode;
import org.autoprop.graph.SequentialNode;
import org.autoprop.layer.BatchNorm2D;
import org.autoprop.layer.Conv2D;
import org.autoprop.layer.Identity;
import org.autoprop.layer.Padding;
import org.autoprop.layer.ReLU;

/**
 * The three example graphs of Luma's AutoProp README, in Java. All convolutions are 3x3 with
 * "same" padding so that branch outputs line up.
 */
public final class SeedGraphs {
  private SeedGraphs() {}

  /** {@code conv(Conv2D 3->6) -> bn(BatchNorm2D 6) -> relu}: a chain. Input [N, 3, H, W]. */
  public static LayerGraph linear(long seed) {
    LayerNode conv = new LayerNode(Conv2D.builder(3, 6).kernel(3, 3).padding(Padding.SAME).seed(seed).build(), "conv");
    LayerNode bn = new LayerNode(new BatchNorm2D(6), "bn");
    LayerNode relu = new LayerNode(new ReLU(), "relu");
    Map<LayerNode, List<LayerNode>> edges = new LinkedHashMap<>();
    edges.put(conv, List.of(bn));
    edges.put(bn, List.of(relu));
    return new LayerGraph(edges, conv, relu).build();
  }

  /**
   * {@code conv(Conv2D 3->6) -> [relu, term]; relu -> term}, where term is an identity node
   * that sums its inputs: a shortcut around the activation. Input [N, 3, H, W].
   */
  public static LayerGraph shortcut(long seed) {
    LayerNode conv = new LayerNode(Conv2D.builder(3, 6).kernel(3, 3).padding(Padding.SAME).seed(seed).build(), "conv");
    LayerNode relu = new LayerNode(new ReLU(), "relu");
    LayerNode term = new LayerNode(new Identity(), MergeMode.SUM, "term");
    Map<LayerNode, List<LayerNode>> edges = new LinkedHashMap<>();
    edges.put(conv, List.of(relu, term));
    edges.put(relu, List.of(term));
    return new LayerGraph(edges, conv, term).build();
  }

  /**
   * An identity root feeding three branches {@code Conv2D(3 -> 6 / 12 / 18) + ReLU}, joined by
   * channel concatenation in branch order: output [N, 36, H, W]. Input [N, 3, H, W].
   */
  public static LayerGraph chcat(long seed) {
    LayerNode root = new LayerNode(new Identity(), "root");
    LayerNode term = new LayerNode(new Identity(), MergeMode.CHCAT, "term");
    Map<LayerNode, List<LayerNode>> edges = new LinkedHashMap<>();
    LayerNode[] branches = new LayerNode[3];
    for (int i = 0; i < 3; i++) {
      int out = 6 * (i + 1);
      branches[i] = new SequentialNode("branch_" + (i + 1),
          Conv2D.builder(3, out).kernel(3, 3).padding(Padding.SAME).seed(seed + i).build(), new ReLU());
      edges.put(branches[i], List.of(term));
    }
    edges.put(root, List.of(branches));
    Map<LayerNode, List<LayerNode>> ordered = new LinkedHashMap<>();
    ordered.put(root, edges.remove(root));
    ordered.putAll(edges);
    return new LayerGraph(ordered, root, term).build();
  }
}

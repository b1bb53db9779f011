package org.autoprop.blocks;

import java.util.List;
import org.autoprop.graph.LayerGraph;
import org.autoprop.graph.LayerNode;
import org.autoprop.layer.Layer;

/** Graphs that are a chain of layers with the names {@code nn.Sequential} gives its children. */
final class Chain {
  private Chain() {}

  /**
   * The built chain {@code layers[0] -> layers[1] -> ...}, the nodes named {@code "0"}, {@code "1"},
   * ... so that parameter names are those of a PyTorch {@code nn.Sequential} of the same layers
   * ({@code 0.weight}, {@code 1.running_mean}).
   */
  static LayerGraph indexed(List<Layer> layers) {
    LayerNode[] nodes = new LayerNode[layers.size()];
    for (int i = 0; i < nodes.length; i++) {
      nodes[i] = new LayerNode(layers.get(i), Integer.toString(i));
    }
    return LayerGraph.chain(nodes);
  }
}

package org.autoprop.zoo;

import org.autoprop.graph.LayerGraph;
import org.autoprop.graph.LayerNode;
import org.autoprop.layer.Initializer;

/**
 * What the plain feed-forward models of the zoo ({@link VGG}, {@link AlexNet}, {@link LeNet5})
 * share: a graph that is a chain of named nodes, and one seed per layer derived from the model's.
 */
final class Chain {
  private Chain() {}

  /** The graph {@code nodes[0] -> nodes[1] -> ...}, rooted at the first, ending at the last. */
  static LayerGraph chain(LayerNode... nodes) {
    LayerGraph.Builder g = LayerGraph.builder().root(nodes[0]);
    for (int i = 1; i < nodes.length; i++) {
      g.edge(nodes[i - 1], nodes[i]);
    }
    return g.term(nodes[nodes.length - 1]).build();
  }

  /**
   * The seed of the model's {@code i}-th layer: a mix of the model's seed and {@code i}, or the
   * next of the global default sequence when the model has none.
   */
  static long seed(Long modelSeed, int i) {
    return modelSeed == null ? Initializer.nextDefaultSeed()
        : modelSeed * 0x9E3779B97F4A7C15L + 0x2545F4914F6CDD1DL * (i + 1);
  }
}

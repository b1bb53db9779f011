package org.autoprop.graph;

import org.autoprop.layer.Layer;
import org.autoprop.layer.Sequential;

/**
 * A {@link LayerNode} whose layer is a {@link Sequential} of the given layers; parameter names
 * become {@code NODE.INDEX.PARAM} ({@code branch_1.0.weight}).
 */
public class SequentialNode extends LayerNode {
  /** A node running {@code layers} in order, merging its inputs with {@link MergeMode#SUM}. */
  public SequentialNode(String name, Layer... layers) {
    this(name, MergeMode.SUM, layers);
  }

  /** A node running {@code layers} in order, merging its inputs with {@code mode}. */
  public SequentialNode(String name, MergeMode mode, Layer... layers) {
    super(new Sequential(java.util.Objects.requireNonNull(layers, "layers")), mode, name);
  }

  /** The sequential layer. */
  public Sequential sequential() {
    return (Sequential) layer();
  }
}

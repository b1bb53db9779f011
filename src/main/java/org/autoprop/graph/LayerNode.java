package org.autoprop.graph;

import java.util.Objects;
import org.autoprop.layer.Layer;

/**
 * A node of a {@link LayerGraph}: a layer, a name and the {@link MergeMode} that combines the
 * outputs of the node's predecessors into the layer's input.
 *
 * <p>Nodes are compared by identity, never by name: two nodes with equal names are different keys
 * of a graph's adjacency map (and an error at {@link LayerGraph#build()}).
 *
 * <p>A node belongs to at most one built graph at a time (see {@link LayerGraph}): its layer keeps
 * the state of its latest forward, which two graphs would overwrite for each other.
 */
public class LayerNode {
  private final Layer layer;
  private final MergeMode mode;
  private final String name;
  /** The built graph this node belongs to, or null; set and cleared by {@link LayerGraph#build()}. */
  LayerGraph owner;

  /** A node merging its inputs with {@code mode}. */
  public LayerNode(Layer layer, MergeMode mode, String name) {
    Objects.requireNonNull(layer, "layer");
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(name, "name");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("LayerNode name must not be empty (layer " + layer.typeName() + ")");
    }
    this.layer = layer;
    this.mode = mode;
    this.name = name;
  }

  /** A node merging its inputs with {@link MergeMode#SUM}. */
  public LayerNode(Layer layer, String name) {
    this(layer, MergeMode.SUM, name);
  }

  /** The layer. */
  public Layer layer() {
    return layer;
  }

  /** The merge mode applied when the node has several inputs. */
  public MergeMode mode() {
    return mode;
  }

  /** The built graph this node belongs to, or null when no built graph holds it. */
  public LayerGraph graph() {
    return owner;
  }

  /** The name, the prefix of the layer's parameter names. */
  public String name() {
    return name;
  }

  /** Identity: a node equals only itself. */
  @Override
  public final boolean equals(Object o) {
    return this == o;
  }

  /** Identity hash. */
  @Override
  public final int hashCode() {
    return System.identityHashCode(this);
  }

  /** {@code name (LayerType, MODE)}. */
  @Override
  public String toString() {
    return name + " (" + layer.typeName() + ", " + mode + ")";
  }
}

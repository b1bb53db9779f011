package org.autoprop.graph;

import java.util.List;

/**
 * What {@link LayerGraph#build()} found wrong with a graph, in terms of node names. The
 * {@link #kind()} tells which rule was broken; {@link #nodes()} names the nodes involved.
 */
public final class GraphValidationException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  /** The broken rule. */
  public enum Kind {
    /** Two different nodes have the same name. */
    DUPLICATE_NAME,
    /** The same layer object is held by two nodes. */
    SHARED_LAYER,
    /** An edge is declared more than once. */
    DUPLICATE_EDGE,
    /** The root is not set or not a node of the graph. */
    ROOT_MISSING,
    /** The term is not set or not a node of the graph. */
    TERM_MISSING,
    /** The edges form a cycle. */
    CYCLE,
    /** The root has predecessors. */
    ROOT_HAS_PREDECESSORS,
    /** Some nodes are not reachable from the root. */
    UNREACHABLE_FROM_ROOT,
    /** The term has successors, so it is not a sink. */
    TERM_NOT_SINK,
    /**
     * Some nodes cannot reach the term; in a DAG this is the same as the term not being the
     * unique sink, and the message names the other sinks too.
     */
    CANNOT_REACH_TERM,
    /** A merge mode is given an input count it cannot take (DOT takes exactly 2). */
    MERGE_ARITY,
    /**
     * A node whose layer takes several ordered inputs ({@link org.autoprop.layer.MultiInputLayer})
     * has a merge mode other than the default {@link MergeMode#SUM} (its inputs are never merged).
     */
    MULTI_INPUT_MODE,
    /** A node whose layer takes several ordered inputs has a number of predecessors it cannot take. */
    MULTI_INPUT_ARITY,
    /**
     * A node, or a graph used as a node's layer, already belongs to another built graph; {@link
     * #nodes()} names the node.
     */
    OWNED_BY_ANOTHER_GRAPH,
    /**
     * The graph is a node's layer inside itself, directly or through nested graphs and
     * Sequentials; {@link #nodes()} is the path of node (and Sequential child) names to it.
     */
    CONTAINS_ITSELF
  }

  private final Kind kind;
  private final List<String> nodes;

  GraphValidationException(Kind kind, List<String> nodes, String message) {
    super(message);
    this.kind = kind;
    this.nodes = List.copyOf(nodes);
  }

  /** The broken rule. */
  public Kind kind() {
    return kind;
  }

  /** The names of the nodes involved, in the order the message names them. */
  public List<String> nodes() {
    return nodes;
  }
}

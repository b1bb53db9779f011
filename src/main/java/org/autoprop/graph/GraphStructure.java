package org.autoprop.graph;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;

/**
 * What a {@link LayerGraph} is made of before it is built: its nodes in insertion order, its edges
 * in declaration order (the order of every merge's inputs), its root and its term. The editing
 * methods behind Luma's API check their arguments; none validates the whole graph, which
 * {@link GraphValidator} does at build.
 */
final class GraphStructure {
  /** A directed edge; declaration order matters (merge input order). */
  record Edge(LayerNode from, LayerNode to) {}

  final LinkedHashSet<LayerNode> nodes = new LinkedHashSet<>();
  final List<Edge> edges = new ArrayList<>();
  LayerNode root;
  LayerNode term;

  void addNodeIfAbsent(LayerNode n) {
    nodes.add(Objects.requireNonNull(n, "node"));
  }

  /** Appends the edge {@code from -> to}, adding the nodes if new. */
  void addEdge(LayerNode from, LayerNode to) {
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    addNodeIfAbsent(from);
    addNodeIfAbsent(to);
    edges.add(new Edge(from, to));
  }

  /** Adds a new node with edges from each of {@code prev} and to each of {@code next}, all existing nodes. */
  void addNode(LayerNode node, List<LayerNode> prev, List<LayerNode> next) {
    Objects.requireNonNull(node, "node");
    Objects.requireNonNull(prev, "prev");
    Objects.requireNonNull(next, "next");
    if (nodes.contains(node)) {
      throw new IllegalArgumentException("addNode: node '" + node.name() + "' is already in the graph");
    }
    for (LayerNode p : prev) {
      requireNode(p, "addNode('" + node.name() + "') predecessor");
    }
    for (LayerNode n : next) {
      requireNode(n, "addNode('" + node.name() + "') successor");
    }
    addNodeIfAbsent(node);
    for (LayerNode p : prev) {
      edges.add(new Edge(p, node));
    }
    for (LayerNode n : next) {
      edges.add(new Edge(node, n));
    }
  }

  /** Removes {@code node} and every edge touching it. */
  void removeNode(LayerNode node) {
    Objects.requireNonNull(node, "node");
    requireNode(node, "removeNode");
    nodes.remove(node);
    edges.removeIf(e -> e.from == node || e.to == node);
  }

  /** Puts {@code replacement}, a new node, where {@code node} is: its edges in their places, root, term. */
  void replaceNode(LayerNode node, LayerNode replacement) {
    Objects.requireNonNull(replacement, "replacement");
    requireNode(node, "replaceNode");
    if (nodes.contains(replacement)) {
      throw new IllegalArgumentException("replaceNode('" + node.name() + "'): node '" + replacement.name()
          + "' is already in the graph");
    }
    List<LayerNode> order = new ArrayList<>(nodes);
    order.set(order.indexOf(node), replacement);
    nodes.clear();
    nodes.addAll(order);
    edges.replaceAll(e -> new Edge(e.from == node ? replacement : e.from, e.to == node ? replacement : e.to));
    root = root == node ? replacement : root;
    term = term == node ? replacement : term;
  }

  /**
   * Removes {@code node}, which has one predecessor {@code p}: each edge {@code node -> s} becomes
   * {@code p -> s} in its place (so merge inputs keep their order), and {@code p} becomes the term
   * if {@code node} was.
   */
  void bypassNode(LayerNode node) {
    requireNode(node, "bypassNode");
    List<LayerNode> prev = predecessors(node);
    if (prev.size() != 1) {
      throw new IllegalArgumentException("bypassNode: node '" + node.name() + "' has " + prev.size()
          + " predecessors (expected: 1)");
    }
    LayerNode p = prev.get(0);
    edges.removeIf(e -> e.to == node);
    edges.replaceAll(e -> e.from == node ? new Edge(p, e.to) : e);
    nodes.remove(node);
    if (term == node) {
      term = p;
    }
  }

  /** Removes the first edge {@code from -> to}, or throws naming both nodes. */
  void removeEdge(LayerNode from, LayerNode to) {
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    for (int i = 0; i < edges.size(); i++) {
      if (edges.get(i).from == from && edges.get(i).to == to) {
        edges.remove(i);
        return;
      }
    }
    throw new IllegalArgumentException("removeEdge: no edge '" + name(from) + "' -> '" + name(to) + "'");
  }

  /** The predecessors of {@code n} in edge declaration order. */
  List<LayerNode> predecessors(LayerNode n) {
    Objects.requireNonNull(n, "n");
    requireNode(n, "predecessors");
    List<LayerNode> out = new ArrayList<>();
    for (Edge e : edges) {
      if (e.to == n) {
        out.add(e.from);
      }
    }
    return out;
  }

  /** The successors of {@code n} in edge declaration order. */
  List<LayerNode> successors(LayerNode n) {
    Objects.requireNonNull(n, "n");
    requireNode(n, "successors");
    List<LayerNode> out = new ArrayList<>();
    for (Edge e : edges) {
      if (e.from == n) {
        out.add(e.to);
      }
    }
    return out;
  }

  /**
   * {@code first} then {@code next}: the nodes and edges of both, joined by the edge
   * {@code first.term -> next.root}, with first's root and next's term.
   */
  static GraphStructure join(GraphStructure first, GraphStructure next) {
    if (first.term == null || next.root == null) {
      throw new IllegalStateException("then: " + (first.term == null ? "this graph has no term" : "the next graph has no root"));
    }
    GraphStructure s = new GraphStructure();
    s.nodes.addAll(first.nodes);
    s.edges.addAll(first.edges);
    s.nodes.addAll(next.nodes);
    s.edges.add(new Edge(first.term, next.root));
    s.edges.addAll(next.edges);
    s.root = first.root;
    s.term = next.term;
    return s;
  }

  void requireNode(LayerNode n, String what) {
    if (n == null || !nodes.contains(n)) {
      throw new IllegalArgumentException(what + ": node '" + name(n) + "' is not in the graph");
    }
  }

  static String name(LayerNode n) {
    return n == null ? "null" : n.name();
  }
}

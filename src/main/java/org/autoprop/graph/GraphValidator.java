package org.autoprop.graph;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.autoprop.graph.GraphValidationException.Kind;
import org.autoprop.graph.GraphStructure.Edge;
import org.autoprop.layer.Layer;
import org.autoprop.layer.MultiInputLayer;

/** The checks of {@link LayerGraph#build()}, in the order its Javadoc lists them. */
final class GraphValidator {
  private GraphValidator() {}

  /** Successors and predecessors of every node, each in edge declaration order. */
  record Adjacency(Map<LayerNode, List<LayerNode>> out, Map<LayerNode, List<LayerNode>> in) {}

  /** Validates the graph or throws a {@link GraphValidationException} naming the nodes. */
  static Adjacency validate(GraphStructure structure) {
    return validate(structure.nodes, structure.edges, structure.root, structure.term);
  }

  private static Adjacency validate(Collection<LayerNode> nodes, List<Edge> edges, LayerNode root, LayerNode term) {
    validateNamesAndLayers(nodes);
    Map<LayerNode, List<LayerNode>> out = new HashMap<>();
    Map<LayerNode, List<LayerNode>> in = new HashMap<>();
    for (LayerNode n : nodes) {
      out.put(n, new ArrayList<>());
      in.put(n, new ArrayList<>());
    }
    Map<Edge, Integer> counts = new LinkedHashMap<>();
    for (Edge e : edges) {
      counts.merge(e, 1, Integer::sum);
      out.get(e.from()).add(e.to());
      in.get(e.to()).add(e.from());
    }
    for (Map.Entry<Edge, Integer> c : counts.entrySet()) {
      if (c.getValue() > 1) {
        Edge e = c.getKey();
        throw new GraphValidationException(Kind.DUPLICATE_EDGE, List.of(e.from().name(), e.to().name()),
            "LayerGraph: duplicate edge '" + e.from().name() + "' -> '" + e.to().name() + "' (declared " + c.getValue() + " times)");
      }
    }
    if (root == null || !nodes.contains(root)) {
      throw new GraphValidationException(Kind.ROOT_MISSING, root == null ? List.of() : List.of(root.name()),
          root == null ? "LayerGraph: root is not set" : "LayerGraph: root '" + root.name() + "' is not a node of the graph");
    }
    if (term == null || !nodes.contains(term)) {
      throw new GraphValidationException(Kind.TERM_MISSING, term == null ? List.of() : List.of(term.name()),
          term == null ? "LayerGraph: term is not set" : "LayerGraph: term '" + term.name() + "' is not a node of the graph");
    }
    List<LayerNode> cycle = findCycle(nodes, out);
    if (cycle != null) {
      List<String> names = names(cycle);
      throw new GraphValidationException(Kind.CYCLE, names, "LayerGraph: cycle " + String.join(" -> ", quoted(names)));
    }
    if (!in.get(root).isEmpty()) {
      List<String> p = names(in.get(root));
      throw new GraphValidationException(Kind.ROOT_HAS_PREDECESSORS, concat(root.name(), p),
          "LayerGraph: root '" + root.name() + "' has predecessors " + String.join(", ", quoted(p)) + " (expected: none)");
    }
    List<LayerNode> unreachable = unreached(nodes, root, out);
    if (!unreachable.isEmpty()) {
      List<String> u = names(unreachable);
      throw new GraphValidationException(Kind.UNREACHABLE_FROM_ROOT, u,
          "LayerGraph: nodes not reachable from root '" + root.name() + "': " + String.join(", ", quoted(u)));
    }
    if (!out.get(term).isEmpty()) {
      List<String> s = names(out.get(term));
      throw new GraphValidationException(Kind.TERM_NOT_SINK, concat(term.name(), s),
          "LayerGraph: term '" + term.name() + "' has successors " + String.join(", ", quoted(s))
              + " (expected: none; term must be the unique sink)");
    }
    List<LayerNode> stuck = unreached(nodes, term, in);
    if (!stuck.isEmpty()) {
      List<String> s = names(stuck);
      List<String> sinks = new ArrayList<>();
      for (LayerNode n : stuck) {
        if (out.get(n).isEmpty()) {
          sinks.add(n.name());
        }
      }
      throw new GraphValidationException(Kind.CANNOT_REACH_TERM, s,
          "LayerGraph: nodes that cannot reach term '" + term.name() + "': " + String.join(", ", quoted(s))
              + "; term is not the unique sink, other sinks: " + String.join(", ", quoted(sinks)));
    }
    for (LayerNode n : nodes) {
      List<LayerNode> p = in.get(n);
      if (n.layer() instanceof MultiInputLayer m) {
        if (n.mode() != MergeMode.SUM) {
          throw new GraphValidationException(Kind.MULTI_INPUT_MODE, List.of(n.name()),
              "LayerGraph: node '" + n.name() + "' (" + m.typeName() + ") takes its inputs unmerged, in edge order, "
                  + "but has merge mode " + n.mode() + " (expected: the default, SUM, which such a node never applies)");
        }
        int c = n == root ? 1 : p.size();
        if (c < m.minInputs() || c > m.maxInputs()) {
          throw new GraphValidationException(Kind.MULTI_INPUT_ARITY, concat(n.name(), names(p)),
              "LayerGraph: node '" + n.name() + "' (" + m.typeName() + ") has " + c + " input" + (c == 1 ? "" : "s")
                  + (n == root ? " (the graph input)" : " (" + String.join(", ", quoted(names(p))) + ")")
                  + " (expected: " + m.expectedInputs() + ")");
        }
        continue;
      }
      if (n != root && !n.mode().acceptsInputs(p.size())) {
        throw new GraphValidationException(Kind.MERGE_ARITY, concat(n.name(), names(p)),
            "LayerGraph: node '" + n.name() + "' merges " + p.size() + " input" + (p.size() == 1 ? "" : "s")
                + " (" + String.join(", ", quoted(names(p))) + ") with " + n.mode()
                + " (expected: " + n.mode().expectedInputs() + ")");
      }
    }
    return new Adjacency(out, in);
  }

  private static void validateNamesAndLayers(Collection<LayerNode> nodes) {
    Map<String, LayerNode> byName = new HashMap<>();
    Map<Layer, LayerNode> byLayer = new IdentityHashMap<>();
    for (LayerNode n : nodes) {
      LayerNode before = byName.put(n.name(), n);
      if (before != null) {
        throw new GraphValidationException(Kind.DUPLICATE_NAME, List.of(n.name()),
            "LayerGraph: duplicate node name '" + n.name() + "': held by two different nodes ("
                + before.layer().typeName() + " and " + n.layer().typeName() + ")");
      }
      LayerNode other = byLayer.put(n.layer(), n);
      if (other != null) {
        throw new GraphValidationException(Kind.SHARED_LAYER, List.of(other.name(), n.name()),
            "LayerGraph: nodes '" + other.name() + "' and '" + n.name() + "' hold the same "
                + n.layer().typeName() + " object (a layer keeps its latest forward's state: use two layers)");
      }
    }
  }

  private static List<LayerNode> findCycle(Collection<LayerNode> nodes, Map<LayerNode, List<LayerNode>> out) {
    Map<LayerNode, Integer> color = new HashMap<>();
    List<LayerNode> stack = new ArrayList<>();
    for (LayerNode n : nodes) {
      if (!color.containsKey(n)) {
        List<LayerNode> c = dfsCycle(n, out, color, stack);
        if (c != null) {
          return c;
        }
      }
    }
    return null;
  }

  private static List<LayerNode> dfsCycle(LayerNode n, Map<LayerNode, List<LayerNode>> out,
      Map<LayerNode, Integer> color, List<LayerNode> stack) {
    color.put(n, 1);
    stack.add(n);
    for (LayerNode s : out.get(n)) {
      Integer c = color.get(s);
      if (c == null) {
        List<LayerNode> found = dfsCycle(s, out, color, stack);
        if (found != null) {
          return found;
        }
      } else if (c == 1) {
        List<LayerNode> cycle = new ArrayList<>(stack.subList(stack.indexOf(s), stack.size()));
        cycle.add(s);
        return cycle;
      }
    }
    stack.remove(stack.size() - 1);
    color.put(n, 2);
    return null;
  }

  /** The nodes not reached from {@code start} along {@code adj}, in insertion order. */
  private static List<LayerNode> unreached(Collection<LayerNode> nodes, LayerNode start,
      Map<LayerNode, List<LayerNode>> adj) {
    Set<LayerNode> seen = new HashSet<>();
    Deque<LayerNode> todo = new ArrayDeque<>();
    seen.add(start);
    todo.add(start);
    while (!todo.isEmpty()) {
      for (LayerNode s : adj.get(todo.poll())) {
        if (seen.add(s)) {
          todo.add(s);
        }
      }
    }
    List<LayerNode> missing = new ArrayList<>();
    for (LayerNode n : nodes) {
      if (!seen.contains(n)) {
        missing.add(n);
      }
    }
    return missing;
  }

  private static List<String> names(List<LayerNode> ns) {
    List<String> out = new ArrayList<>();
    for (LayerNode n : ns) {
      out.add(n.name());
    }
    return out;
  }

  private static List<String> quoted(List<String> names) {
    List<String> out = new ArrayList<>();
    for (String s : names) {
      out.add("'" + s + "'");
    }
    return out;
  }

  private static List<String> concat(String first, List<String> rest) {
    List<String> out = new ArrayList<>();
    out.add(first);
    out.addAll(rest);
    return out;
  }
}

package org.autoprop.graph;

import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.autoprop.layer.Layer;
import org.autoprop.layer.Sequential;

/**
 * Who holds what, for one {@link LayerGraph}: a node belongs to at most one built graph (recorded
 * in {@link LayerNode#owner}), and so does a graph used as a node's layer (its {@link #parent}),
 * because a layer keeps the state of its latest forward. {@link #check} runs at build, before
 * {@link #claim}; the claim is given back when the build is undone.
 */
final class GraphOwnership {
  private final LayerGraph graph;
  /** The built graph that holds {@link #graph} as (part of) a node's layer, or null. */
  private LayerGraph parent;
  /** The nodes and nested graphs the latest build claimed (the structure may change before release). */
  private final List<LayerNode> claimedNodes = new ArrayList<>();
  private final List<LayerGraph> claimedGraphs = new ArrayList<>();

  GraphOwnership(LayerGraph graph) {
    this.graph = graph;
  }

  /**
   * Rejects a node's layer that is this graph, directly or through nested graphs and Sequentials,
   * then a node or nested graph that another built graph holds.
   */
  void check(Collection<LayerNode> nodes) {
    rejectSelfContainment(nodes);
    rejectForeignOwners(nodes);
  }

  private void rejectSelfContainment(Collection<LayerNode> nodes) {
    List<String> path = new ArrayList<>();
    Map<Layer, Boolean> onPath = new IdentityHashMap<>();
    onPath.put(graph, true);
    for (LayerNode v : nodes) {
      path.add(v.name());
      findSelf(v.layer(), path, onPath);
      path.remove(path.size() - 1);
    }
  }

  private void findSelf(Layer l, List<String> path, Map<Layer, Boolean> onPath) {
    if (l == graph) {
      throw new GraphValidationException(GraphValidationException.Kind.CONTAINS_ITSELF, path,
          graph.describe() + " contains itself: the layer at " + String.join(" -> ", quoted(path))
              + " is this graph (a graph cannot be a layer inside itself: it would recurse forever)");
    }
    if (onPath.put(l, true) != null) {
      return; // another container that contains itself: its own build() reports it
    }
    if (l instanceof LayerGraph g) {
      for (LayerNode v : g.structure().nodes) {
        path.add(v.name());
        findSelf(v.layer(), path, onPath);
        path.remove(path.size() - 1);
      }
    } else if (l instanceof Sequential s) {
      for (int i = 0; i < s.size(); i++) {
        path.add(s.names().get(i));
        findSelf(s.layers().get(i), path, onPath);
        path.remove(path.size() - 1);
      }
    }
    onPath.remove(l);
  }

  private static List<String> quoted(List<String> names) {
    List<String> out = new ArrayList<>();
    for (String n : names) {
      out.add("'" + n + "'");
    }
    return out;
  }

  private void rejectForeignOwners(Collection<LayerNode> nodes) {
    for (LayerNode v : nodes) {
      LayerGraph other = v.owner;
      if (other != null && other != graph) {
        throw new GraphValidationException(GraphValidationException.Kind.OWNED_BY_ANOTHER_GRAPH, List.of(v.name()),
            graph.describe() + ": node '" + v.name() + "' (" + v.layer().typeName() + ") already belongs to the built "
                + other.describe() + " (a layer keeps the state of its latest "
                + "forward, so two graphs sharing it compute wrong gradients: use new nodes and layers, or call "
                + "clear() on the other graph first, e.g. node.graph().clear() if you no longer hold it)");
      }
      for (LayerGraph g : nestedGraphs(v.layer())) {
        LayerGraph holder = g.ownership().parent;
        if (holder != null && holder != graph) {
          throw new GraphValidationException(GraphValidationException.Kind.OWNED_BY_ANOTHER_GRAPH, List.of(v.name()),
              graph.describe() + ": node '" + v.name() + "' holds " + g.describe()
                  + ", which is already a layer of the built " + holder.describe() + " (a graph can be nested in "
                  + "one built graph at a time: build a second copy, or call clear() on the other graph first)");
        }
      }
    }
  }

  /** The graphs {@code l} is or holds as Sequential children (not looking inside those graphs). */
  static List<LayerGraph> nestedGraphs(Layer l) {
    if (l instanceof LayerGraph g) {
      return List.of(g);
    }
    if (l instanceof Sequential s) {
      List<LayerGraph> out = new ArrayList<>();
      for (Layer c : s.layers()) {
        out.addAll(nestedGraphs(c));
      }
      return out;
    }
    return List.of();
  }

  /** Marks the nodes of {@code order}, and the graphs nested in their layers, as held by this graph. */
  void claim(LayerNode[] order) {
    for (LayerNode v : order) {
      v.owner = graph;
      claimedNodes.add(v);
      for (LayerGraph g : nestedGraphs(v.layer())) {
        g.ownership().parent = graph;
        claimedGraphs.add(g);
      }
    }
  }

  /** Gives back what {@link #claim} took, unless another graph has taken it since. */
  void release() {
    for (LayerNode v : claimedNodes) {
      if (v.owner == graph) {
        v.owner = null;
      }
    }
    claimedNodes.clear();
    for (LayerGraph g : claimedGraphs) {
      if (g.ownership().parent == graph) {
        g.ownership().parent = null;
      }
    }
    claimedGraphs.clear();
  }
}

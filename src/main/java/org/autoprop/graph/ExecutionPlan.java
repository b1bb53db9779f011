package org.autoprop.graph;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.autoprop.layer.Fusion;
import org.autoprop.layer.Layer;
import org.autoprop.layer.MultiInputLayer;
import org.autoprop.layer.merge.Merge;
import org.autoprop.tensor.Shape;

/**
 * What {@link LayerGraph#build()} fixes for the executor: the topological order of the nodes, each
 * node's predecessors (in merge input order) and successors as indices into that order, the merge
 * of each node with several inputs (or its {@link MultiInputLayer}, which takes them unmerged), and what each node runs once fused ({@link Fusion}). Immutable
 * once made; the executor's run-time buffers live in the graph.
 */
final class ExecutionPlan {
  /** The nodes in execution order. */
  final LayerNode[] order;
  /** For node k, the indices of its predecessors in edge declaration order (merge input order). */
  final int[][] preds;
  /** For node k, the indices of its successors in edge declaration order. */
  final int[][] succs;
  final int rootIndex;
  final int termIndex;
  /** For node k with several inputs, its merge; null otherwise (and for a {@link #multi} node). */
  final Merge[] merges;
  /**
   * For node k with several inputs whose layer takes them unmerged, in edge order, that layer;
   * null otherwise.
   */
  final MultiInputLayer[] multi;
  /** What node k runs: its layer, or a fused layer standing for it and the nodes it absorbed. */
  final Layer[] exec;
  /** Node k was absorbed by a fused predecessor: it passes its input through, forward and backward. */
  final boolean[] passThrough;

  private ExecutionPlan(LayerNode[] order, int[][] preds, int[][] succs, int rootIndex, int termIndex, boolean fuse) {
    int n = order.length;
    this.order = order;
    this.preds = preds;
    this.succs = succs;
    this.rootIndex = rootIndex;
    this.termIndex = termIndex;
    merges = new Merge[n];
    multi = new MultiInputLayer[n];
    for (int k = 0; k < n; k++) {
      if (preds[k].length > 1 && order[k].layer() instanceof MultiInputLayer m) {
        multi[k] = m;
      } else if (preds[k].length > 1) {
        merges[k] = order[k].mode().newMerge();
      }
    }
    Layer[] layers = new Layer[n];
    for (int k = 0; k < n; k++) {
      layers[k] = order[k].layer();
    }
    Layer[] fused = fuse ? Fusion.plan(layers, chainLinks()) : layers;
    exec = new Layer[n];
    passThrough = new boolean[n];
    for (int k = 0; k < n; k++) {
      passThrough[k] = fused[k] == null;
      exec[k] = passThrough[k] ? layers[k] : fused[k];
    }
  }

  /**
   * The execution order of a validated graph: Kahn's algorithm, taking ready nodes in insertion
   * order, so that the order is the same on every build of the same structure.
   */
  static ExecutionPlan of(GraphStructure s, GraphValidator.Adjacency adj, boolean fuse) {
    Collection<LayerNode> nodes = s.nodes;
    Map<LayerNode, List<LayerNode>> out = adj.out();
    Map<LayerNode, List<LayerNode>> in = adj.in();
    int n = nodes.size();
    List<LayerNode> all = new ArrayList<>(nodes);
    Map<LayerNode, Integer> remaining = new HashMap<>();
    for (LayerNode v : all) {
      remaining.put(v, in.get(v).size());
    }
    LayerNode[] order = new LayerNode[n];
    Map<LayerNode, Integer> position = new HashMap<>();
    boolean[] done = new boolean[n];
    for (int k = 0; k < n; k++) {
      for (int i = 0; i < n; i++) {
        LayerNode v = all.get(i);
        if (!done[i] && remaining.get(v) == 0) {
          done[i] = true;
          order[k] = v;
          position.put(v, k);
          for (LayerNode succ : out.get(v)) {
            remaining.merge(succ, -1, Integer::sum);
          }
          break;
        }
      }
    }
    int[][] preds = new int[n][];
    int[][] succs = new int[n][];
    for (int k = 0; k < n; k++) {
      preds[k] = in.get(order[k]).stream().mapToInt(position::get).toArray();
      succs[k] = out.get(order[k]).stream().mapToInt(position::get).toArray();
    }
    return new ExecutionPlan(order, preds, succs, position.get(s.root), position.get(s.term), fuse);
  }

  /**
   * For each node, the successor that may run fused with it: its only successor, when that has no
   * other input (a merge is never absorbed, and neither is a node whose output also goes
   * elsewhere); else -1.
   */
  private int[] chainLinks() {
    int[] next = new int[order.length];
    for (int k = 0; k < order.length; k++) {
      boolean link = k != termIndex && succs[k].length == 1 && preds[succs[k][0]].length == 1;
      next[k] = link ? succs[k][0] : -1;
    }
    return next;
  }

  int size() {
    return order.length;
  }

  /** Shape inference through the whole graph: the shape of every node's output, in execution order. */
  Shape[] infer(Shape input) {
    Shape[] s = new Shape[order.length];
    List<Shape> incoming = new ArrayList<>();
    for (int k = 0; k < order.length; k++) {
      LayerNode v = order[k];
      Shape in;
      if (k == rootIndex) {
        in = input;
      } else if (preds[k].length == 1) {
        in = s[preds[k][0]];
      } else if (multi[k] != null) {
        incoming.clear();
        for (int p : preds[k]) {
          incoming.add(s[p]);
        }
        try {
          s[k] = multi[k].outputShape(incoming);
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("LayerGraph: node '" + v.name() + "' (" + v.layer().typeName()
              + ") cannot take its inputs " + describeInputs(k, s) + ": " + e.getMessage(), e);
        }
        continue;
      } else {
        incoming.clear();
        for (int p : preds[k]) {
          incoming.add(s[p]);
        }
        try {
          in = v.mode().outputShape(incoming);
        } catch (IllegalArgumentException e) {
          StringBuilder sb = new StringBuilder("LayerGraph: node '").append(v.name()).append("' (merge ")
              .append(v.mode()).append(") cannot merge its inputs ");
          for (int i = 0; i < preds[k].length; i++) {
            sb.append(i == 0 ? "" : ", ").append('\'').append(order[preds[k][i]].name()).append("' ")
                .append(s[preds[k][i]]);
          }
          throw new IllegalArgumentException(sb.append(": ").append(e.getMessage()).toString(), e);
        }
      }
      try {
        s[k] = v.layer().outputShape(in);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("LayerGraph: node '" + v.name() + "' (" + v.layer().typeName()
            + ") cannot take input " + in + ": " + e.getMessage(), e);
      }
    }
    return s;
  }

  /** {@code 'a' [2, 3], 'b' [2, 5]}: node k's predecessors and their shapes, in edge order. */
  private String describeInputs(int k, Shape[] s) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < preds[k].length; i++) {
      sb.append(i == 0 ? "" : ", ").append('\'').append(order[preds[k][i]].name()).append("' ").append(s[preds[k][i]]);
    }
    return sb.toString();
  }

  /** Every path from {@code start} to {@code end}, depth-first in edge declaration order. */
  List<List<LayerNode>> paths(LayerNode start, LayerNode end) {
    List<List<LayerNode>> out = new ArrayList<>();
    paths(indexOf(start), indexOf(end), new ArrayDeque<>(), out);
    return out;
  }

  private void paths(int at, int end, Deque<LayerNode> path, List<List<LayerNode>> out) {
    path.addLast(order[at]);
    if (at == end) {
      out.add(List.copyOf(path));
    } else {
      for (int s : succs[at]) {
        paths(s, end, path, out);
      }
    }
    path.removeLast();
  }

  private int indexOf(LayerNode n) {
    for (int i = 0; i < order.length; i++) {
      if (order[i] == n) {
        return i;
      }
    }
    throw new IllegalArgumentException("node '" + n.name() + "' is not in the graph");
  }

  /** The fused runs, as node names joined by {@code ->} ({@code "bn->relu"}), in execution order. */
  List<String> fusedRuns() {
    List<String> out = new ArrayList<>();
    for (int k = 0; k < order.length; k++) {
      if (!passThrough[k] && exec[k] != order[k].layer()) {
        StringBuilder run = new StringBuilder(order[k].name());
        for (int r = succs[k][0]; passThrough[r]; r = succs[r][0]) {
          run.append("->").append(order[r].name());
          if (succs[r].length == 0) {
            break;
          }
        }
        out.add(run.toString());
      }
    }
    return out;
  }
}

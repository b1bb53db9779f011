package org.autoprop.graph;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import org.autoprop.layer.AnomalyChecks;
import org.autoprop.layer.BatchNorm2D;
import org.autoprop.layer.BatchNormReLU2D;
import org.autoprop.layer.Layer;
import org.autoprop.layer.merge.Merge;
import org.autoprop.layer.Parameter;
import org.autoprop.layer.ReLU;
import org.autoprop.layer.Sequential;
import org.autoprop.layer.Updater;
import org.autoprop.tensor.NonFiniteException;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * A directed acyclic graph of {@link LayerNode}s from a root to a term, run as one {@link Layer}.
 *
 * <pre>{@code
 * LayerGraph g = LayerGraph.builder()
 *     .edges(stem, conv1, conv2)          // stem -> conv1 -> conv2
 *     .edge(stem, add).edge(conv2, add)   // add merges stem, then conv2 (declaration order)
 *     .root(stem).term(add)
 *     .build();
 * Tensor y = g.forward(x, true);
 * Tensor gx = g.backward(gy);
 * }</pre>
 *
 * <p>Rules:
 *
 * <ul>
 *   <li>{@link #build()} validates the whole graph (see {@link GraphValidationException.Kind}) and
 *       fixes a topological execution order. Any change to the structure ({@link #addNode},
 *       {@link #removeNode}, {@link #addEdge}, {@link #removeEdge}, {@link #setRoot},
 *       {@link #setTerm}, {@link #clear}) undoes the build; using an unbuilt graph throws
 *       {@link IllegalStateException} with {@value #NOT_BUILT}.
 *   <li>The inputs of a merge are ordered by the order in which their edges were declared
 *       (builder calls, or adjacency-map iteration order then list order, then later
 *       {@link #addEdge}/{@link #addNode} calls appended); forward and backward use that order.
 *   <li>The root receives the graph input as its single input (its merge mode is ignored). A node
 *       with one predecessor passes its output through unchanged, whatever its mode, except DOT,
 *       which needs exactly two inputs.
 *   <li>Given a new input shape, shape inference runs through the whole graph before any
 *       arithmetic; a mismatch names the node, the merge mode and every incoming shape.
 *   <li>{@link #forward} returns the term's output (owned by the term's layer). Any number of
 *       forwards may run before a {@link #backward}, which uses the latest forward. A node whose
 *       output feeds several nodes receives the sum of their gradients.
 *   <li>Parameter names are {@code NODE.PARAM} ({@code NODE.INDEX.PARAM} inside a Sequential,
 *       {@code OUTER.INNER.PARAM} for a nested graph).
 *   <li>Fusion: where a node whose layer is a {@link BatchNorm2D} (not the term) has exactly one
 *       successor, and that successor's layer is a {@link ReLU} whose only input is the batch norm
 *       node, {@link #build()} pairs them: the batch norm node runs a {@link BatchNormReLU2D} over
 *       its batch norm (one pass instead of two, the same numbers), and the ReLU node passes the
 *       tensor through forward and the gradient through backward without running its layer. The
 *       batch norm node's output (its layer's output buffer) then holds the post-ReLU values, the
 *       same tensor as the ReLU node's output; when the ReLU node is the term, {@link #forward}
 *       returns that tensor, owned by the batch norm layer. On by default
 *       ({@link BatchNormReLU2D#FUSE_BY_DEFAULT}); {@link #fusion(boolean)} sets it per graph.
 *   <li><b>Ownership.</b> A node belongs to at most one built graph at a time, and so does a
 *       graph used as the layer of a node (a nested graph): a layer keeps the state of its latest
 *       forward, so two graphs sharing one would silently compute wrong gradients. {@link #build()}
 *       rejects a node or nested graph that another built graph holds (naming both graphs; call
 *       {@link #clear()} on that graph to release it) and a graph that contains itself, directly or
 *       through nested graphs and {@link Sequential}s (naming the path).
 *       {@link #then(LayerGraph)} moves the nodes of both parts into the joined graph.
 *   <li><b>Inputs must not change between a forward and its backward.</b> The layers keep
 *       references to their inputs and outputs for the backward (nothing is copied), so writing
 *       into the graph input, the returned output or any tensor a node produced before
 *       {@link #backward} has run gives wrong gradients. Copy a tensor to change it. Anomaly
 *       detection checks this.
 *   <li><b>One thread at a time.</b> A graph, like every layer, is single-threaded: its layers
 *       reuse their buffers across calls. A second thread entering {@link #forward} or
 *       {@link #backward} while another is inside fails at once with an
 *       {@link IllegalStateException} naming the graph and both threads (the check is one
 *       compare-and-set per call; calls from several threads that do not overlap are not detected,
 *       and are still wrong if one thread's forward falls between another's forward and backward).
 *       To run one model on many threads, give each thread its own instance: build the same
 *       architecture once per thread (a {@code ThreadLocal}) and copy the trained weights into it
 *       by name, e.g. {@code StateDict.of(mine).forEach((k, t) -> t.copyFrom(StateDict.of(trained).get(k)))};
 *       the copies share no buffers, so they run in parallel.
 *   <li><b>Anomaly detection</b> ({@link #detectAnomalies(boolean)}, off by default, like
 *       PyTorch's anomaly mode): forward checks the graph input, every merged input and every
 *       node's output; backward checks every node's output gradient, input gradient and parameter
 *       gradients, and that no node's input (nor the returned output) changed since the forward.
 *       The first non-finite value throws a {@link NonFiniteException} naming the node, its layer
 *       type, the tensor, the index of the element and its value; nested graphs and
 *       {@link Sequential}s are checked too and named {@code OUTER.INNER}. When off, the cost is
 *       one well-predicted branch per node.
 * </ul>
 */
public final class LayerGraph implements Layer {
  /** The message of the exception thrown when an unbuilt graph is used. */
  public static final String NOT_BUILT = "'LayerGraph' has not built! Call 'build()' to build the graph.";

  private Updater optimizer;
  private String name;

  /** A directed edge; declaration order matters (merge input order). */
  record Edge(LayerNode from, LayerNode to) {}

  /** Parameter element counts: {@code biases} of parameters whose local name is {@code bias}, {@code weights} of all others. */
  public record ParamSize(long weights, long biases) {
    /** weights + biases. */
    public long total() {
      return weights + biases;
    }
  }

  private final LinkedHashSet<LayerNode> nodes = new LinkedHashSet<>();
  private final List<Edge> edges = new ArrayList<>();
  private LayerNode root;
  private LayerNode term;

  // Fixed by build().
  private boolean built;
  private LayerNode[] order;
  private int[][] preds;
  private int[][] succs;
  private int rootIndex;
  private int termIndex;
  private Merge[] merges;
  private List<Tensor>[] mergeInputs;
  private Boolean fusion; // null: BatchNormReLU2D.FUSE_BY_DEFAULT, not pushed into nested layers
  private Layer[] exec; // what node k runs: its layer, or a BatchNormReLU2D for a fused batch norm
  private boolean[] passThrough; // node k is the ReLU of a fused pair

  // Run-time state, reused while the input shape stays the same.
  private Shape cachedInput;
  private Shape[] shapes;
  private Tensor[] outputs;
  private Tensor[] gradAcc;
  private Tensor[] gradRef;
  private int[] gradCount;
  private final GradientSum gradSum = new GradientSum();
  private boolean forwardDone;

  // Anomaly detection: the checksums of each node's input and output at the latest forward, taken
  // only in that mode; forwardChecked says the latest forward took them.
  private boolean anomalies;
  private boolean pushingAnomalies;
  private boolean forwardChecked;
  private Tensor[] inputs;
  private long[] inputSums;
  private long[] outputSums;

  // Ownership, fixed by build(): the graph holding this one as a node's layer, and the nested
  // graphs this one claimed. LayerNode.owner holds the graph that claimed a node.
  private LayerGraph parent;
  private final List<LayerGraph> claimedGraphs = new ArrayList<>();

  // The thread inside forward or backward, or null; runnerOp is only read for the message.
  private final AtomicReference<Thread> runner = new AtomicReference<>();
  private String runnerOp;

  /**
   * A graph from an adjacency map (node to successors). The map's iteration order, then each
   * list's order, is the edge declaration order. Call {@link #build()} before use.
   */
  public LayerGraph(Map<LayerNode, List<LayerNode>> graph, LayerNode root, LayerNode term) {
    Objects.requireNonNull(graph, "graph");
    Objects.requireNonNull(root, "root");
    Objects.requireNonNull(term, "term");
    for (Map.Entry<LayerNode, List<LayerNode>> e : graph.entrySet()) {
      addNodeIfAbsent(e.getKey());
      for (LayerNode to : Objects.requireNonNull(e.getValue(), "successors of node " + name(e.getKey()))) {
        addNodeIfAbsent(to);
        edges.add(new Edge(e.getKey(), to));
      }
    }
    this.root = root;
    this.term = term;
  }

  private LayerGraph() {}

  /** A fluent builder; its {@link Builder#build()} returns a built graph. */
  public static Builder builder() {
    return new Builder();
  }

  /** Collects nodes and edges in declaration order. */
  public static final class Builder {
    private final LayerGraph g = new LayerGraph();

    private Builder() {}

    /** Adds a node without edges (e.g. the only node of a one-node graph). */
    public Builder node(LayerNode n) {
      g.addNodeIfAbsent(n);
      return this;
    }

    /** Adds the edge {@code from -> to} (and the nodes if new). */
    public Builder edge(LayerNode from, LayerNode to) {
      Objects.requireNonNull(from, "from");
      Objects.requireNonNull(to, "to");
      g.addNodeIfAbsent(from);
      g.addNodeIfAbsent(to);
      g.edges.add(new Edge(from, to));
      return this;
    }

    /** Adds the chain {@code n0 -> n1 -> ... -> nk}. */
    public Builder edges(LayerNode... chain) {
      Objects.requireNonNull(chain, "chain");
      for (int i = 0; i < chain.length; i++) {
        Objects.requireNonNull(chain[i], "chain[" + i + "]");
      }
      if (chain.length == 1) {
        node(chain[0]);
      }
      for (int i = 0; i + 1 < chain.length; i++) {
        edge(chain[i], chain[i + 1]);
      }
      return this;
    }

    /** Sets the root. */
    public Builder root(LayerNode n) {
      g.root = Objects.requireNonNull(n, "n");
      return this;
    }

    /** Sets the term. */
    public Builder term(LayerNode n) {
      g.term = Objects.requireNonNull(n, "n");
      return this;
    }

    /** Names the graph in messages; see {@link LayerGraph#name(String)}. */
    public Builder name(String name) {
      g.name(name);
      return this;
    }

    /** Sets BatchNorm2D + ReLU fusion; see {@link LayerGraph#fusion(boolean)}. */
    public Builder fusion(boolean on) {
      g.fusion(on);
      return this;
    }

    /** Builds (validates) the graph; see {@link LayerGraph#build()}. */
    public LayerGraph build() {
      return g.build();
    }
  }

  private void addNodeIfAbsent(LayerNode n) {
    nodes.add(Objects.requireNonNull(n, "node"));
  }

  /**
   * Names this graph in error messages (ownership, threads, anomalies); by default a graph is
   * described by its root, term and identity hash. Returns this.
   */
  public LayerGraph name(String name) {
    Objects.requireNonNull(name, "name");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("LayerGraph name must not be empty");
    }
    this.name = name;
    return this;
  }

  /** The name given by {@link #name(String)}, or null. */
  public String name() {
    return name;
  }

  /** How messages name this graph: {@code LayerGraph 'encoder'} or {@code LayerGraph(stem -> head)@1b6d3586}. */
  String describe() {
    return name != null ? "LayerGraph '" + name + "'"
        : "LayerGraph(" + name(root) + " -> " + name(term) + ")@" + Integer.toHexString(System.identityHashCode(this));
  }

  // ---------------------------------------------------------------- structure

  /** The nodes in insertion order. */
  public List<LayerNode> nodes() {
    return List.copyOf(nodes);
  }

  /** The root node (may be unset or stale before {@link #build()}). */
  public LayerNode root() {
    return root;
  }

  /** The term node (may be unset or stale before {@link #build()}). */
  public LayerNode term() {
    return term;
  }

  /** The predecessors of {@code n} in edge declaration order: the order of its merge inputs. */
  public List<LayerNode> predecessors(LayerNode n) {
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
  public List<LayerNode> successors(LayerNode n) {
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

  /** The execution order fixed by {@link #build()}. */
  public List<LayerNode> order() {
    requireBuilt();
    return List.of(order);
  }

  /**
   * Adds {@code node} with edges {@code p -> node} for each {@code p} of {@code prev} and
   * {@code node -> n} for each {@code n} of {@code next} (both must already be nodes), appended
   * to the edge declaration order. Undoes the build.
   */
  public LayerGraph addNode(LayerNode node, List<LayerNode> prev, List<LayerNode> next) {
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
    invalidate();
    return this;
  }

  /**
   * Removes {@code node} and every edge touching it; its neighbours are not reconnected. If it was
   * the root or the term, the next {@link #build()} reports that until a new one is set. Undoes
   * the build.
   */
  public LayerGraph removeNode(LayerNode node) {
    Objects.requireNonNull(node, "node");
    requireNode(node, "removeNode");
    nodes.remove(node);
    edges.removeIf(e -> e.from == node || e.to == node);
    invalidate();
    return this;
  }

  /** Adds the edge {@code from -> to} at the end of the declaration order (and the nodes if new). Undoes the build. */
  public LayerGraph addEdge(LayerNode from, LayerNode to) {
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    addNodeIfAbsent(from);
    addNodeIfAbsent(to);
    edges.add(new Edge(from, to));
    invalidate();
    return this;
  }

  /** Removes the edge {@code from -> to} (nodes stay). Undoes the build. */
  public LayerGraph removeEdge(LayerNode from, LayerNode to) {
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    for (int i = 0; i < edges.size(); i++) {
      if (edges.get(i).from == from && edges.get(i).to == to) {
        edges.remove(i);
        invalidate();
        return this;
      }
    }
    throw new IllegalArgumentException("removeEdge: no edge '" + name(from) + "' -> '" + name(to) + "'");
  }

  /** Sets the root. Undoes the build. */
  public LayerGraph setRoot(LayerNode n) {
    root = Objects.requireNonNull(n, "n");
    invalidate();
    return this;
  }

  /** Sets the term. Undoes the build. */
  public LayerGraph setTerm(LayerNode n) {
    term = Objects.requireNonNull(n, "n");
    invalidate();
    return this;
  }

  /**
   * Forgets the build: the execution order, the inferred shapes and every buffer. The structure
   * stays; {@link #build()} must run again before the graph is used.
   */
  public void clear() {
    invalidate();
  }

  private void invalidate() {
    release();
    built = false;
    order = null;
    preds = null;
    succs = null;
    merges = null;
    mergeInputs = null;
    exec = null;
    passThrough = null;
    cachedInput = null;
    shapes = null;
    outputs = null;
    gradAcc = null;
    gradRef = null;
    gradCount = null;
    inputs = null;
    inputSums = null;
    outputSums = null;
    forwardDone = false;
    forwardChecked = false;
  }

  /**
   * A new graph running this graph, then {@code next}: the nodes and edges of both plus the edge
   * {@code this.term -> next.root}, with this root and next's term, built. The new graph takes
   * the node and layer objects (so the weights too, like Luma's {@code +}): since a node belongs
   * to one built graph at a time, both parts are left unbuilt (their structure unchanged; calling
   * {@link #build()} on one again fails while the joined graph holds its nodes, until the joined
   * graph is {@link #clear() cleared}).
   */
  public LayerGraph then(LayerGraph next) {
    Objects.requireNonNull(next, "next");
    if (term == null || next.root == null) {
      throw new IllegalStateException("then: " + (term == null ? "this graph has no term" : "the next graph has no root"));
    }
    LayerGraph g = new LayerGraph();
    g.nodes.addAll(nodes);
    g.edges.addAll(edges);
    g.nodes.addAll(next.nodes);
    g.edges.add(new Edge(term, next.root));
    g.edges.addAll(next.edges);
    g.root = root;
    g.term = next.term;
    GraphValidator.validate(g.nodes, g.edges, g.root, g.term); // before the parts give up their nodes
    invalidate();
    next.invalidate();
    return g.build();
  }

  /**
   * Every path from {@code start} to {@code end} (each a list of nodes from start to end), in
   * depth-first order following the edge declaration order; empty when there is none. The number
   * of paths can grow exponentially with the depth of a graph.
   */
  public List<List<LayerNode>> getPath(LayerNode start, LayerNode end) {
    Objects.requireNonNull(start, "start");
    Objects.requireNonNull(end, "end");
    requireBuilt();
    requireNode(start, "getPath start");
    requireNode(end, "getPath end");
    List<List<LayerNode>> out = new ArrayList<>();
    Deque<LayerNode> path = new ArrayDeque<>();
    paths(indexOf(start), indexOf(end), path, out);
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

  private void requireNode(LayerNode n, String what) {
    if (n == null || !nodes.contains(n)) {
      throw new IllegalArgumentException(what + ": node '" + name(n) + "' is not in the graph");
    }
  }

  private static String name(LayerNode n) {
    return n == null ? "null" : n.name();
  }

  private void requireBuilt() {
    if (!built) {
      throw new IllegalStateException(NOT_BUILT);
    }
  }

  // ---------------------------------------------------------------- build

  /**
   * Validates the graph and fixes the execution order; returns this graph.
   *
   * @throws GraphValidationException naming the nodes, for the first broken rule found in this
   *     order: duplicate node names, a layer object in two nodes, duplicate edges, root or term
   *     missing, a cycle, root with predecessors, nodes unreachable from root, term with
   *     successors, nodes that cannot reach term (other sinks), a merge given an input count its
   *     mode cannot take, this graph inside itself (the path named), a node or nested graph that
   *     another built graph holds (both graphs named)
   */
  public LayerGraph build() {
    invalidate();
    GraphValidator.Adjacency adj = GraphValidator.validate(nodes, edges, root, term);
    rejectSelfContainment();
    rejectForeignOwners();
    fixOrder(adj.out(), adj.in());
    planFusion();
    claim();
    if (anomalies) {
      for (LayerNode v : order) {
        v.layer().detectAnomalies(true);
      }
    }
    built = true;
    return this;
  }

  // ---------------------------------------------------------------- ownership

  /** Rejects a node's layer that is this graph, directly or through nested graphs and Sequentials. */
  private void rejectSelfContainment() {
    List<String> path = new ArrayList<>();
    Map<Layer, Boolean> onPath = new java.util.IdentityHashMap<>();
    onPath.put(this, true);
    for (LayerNode v : nodes) {
      path.add(v.name());
      findSelf(v.layer(), path, onPath);
      path.remove(path.size() - 1);
    }
  }

  private void findSelf(Layer l, List<String> path, Map<Layer, Boolean> onPath) {
    if (l == this) {
      throw new GraphValidationException(GraphValidationException.Kind.CONTAINS_ITSELF, path,
          describe() + " contains itself: the layer at " + String.join(" -> ", quoted(path))
              + " is this graph (a graph cannot be a layer inside itself: it would recurse forever)");
    }
    if (onPath.put(l, true) != null) {
      return; // another container that contains itself: its own build() reports it
    }
    if (l instanceof LayerGraph g) {
      for (LayerNode v : g.nodes) {
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

  /** Rejects a node, or a nested graph, that another built graph holds. */
  private void rejectForeignOwners() {
    for (LayerNode v : nodes) {
      LayerGraph other = v.owner;
      if (other != null && other != this) {
        throw new GraphValidationException(GraphValidationException.Kind.OWNED_BY_ANOTHER_GRAPH, List.of(v.name()),
            describe() + ": node '" + v.name() + "' (" + v.layer().typeName() + ") already belongs to the built "
                + other.describe() + " (a layer keeps the state of its latest "
                + "forward, so two graphs sharing it compute wrong gradients: use new nodes and layers, or call "
                + "clear() on the other graph first, e.g. node.graph().clear() if you no longer hold it)");
      }
      for (LayerGraph g : nestedGraphs(v.layer())) {
        if (g.parent != null && g.parent != this) {
          throw new GraphValidationException(GraphValidationException.Kind.OWNED_BY_ANOTHER_GRAPH, List.of(v.name()),
              describe() + ": node '" + v.name() + "' holds " + g.describe()
                  + ", which is already a layer of the built " + g.parent.describe() + " (a graph can be nested in "
                  + "one built graph at a time: build a second copy, or call clear() on the other graph first)");
        }
      }
    }
  }

  /** The graphs {@code l} is or holds as Sequential children (not looking inside those graphs). */
  private static List<LayerGraph> nestedGraphs(Layer l) {
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

  private void claim() {
    for (LayerNode v : order) {
      v.owner = this;
      for (LayerGraph g : nestedGraphs(v.layer())) {
        g.parent = this;
        claimedGraphs.add(g);
      }
    }
  }

  /** Gives back what {@link #claim()} took; the structure may have changed since, so it walks the record. */
  private void release() {
    if (order != null) {
      for (LayerNode v : order) {
        if (v.owner == this) {
          v.owner = null;
        }
      }
    }
    for (LayerGraph g : claimedGraphs) {
      if (g.parent == this) {
        g.parent = null;
      }
    }
    claimedGraphs.clear();
  }

  // ---------------------------------------------------------------- fusion

  /**
   * Turns BatchNorm2D + ReLU fusion on or off for this graph (see the class documentation). Once
   * set, {@link #build()} also applies it to the {@link Sequential} layers of the nodes and to
   * nested graphs (rebuilding those that were built). Undoes the build. Returns this.
   */
  public LayerGraph fusion(boolean on) {
    fusion = on;
    invalidate();
    return this;
  }

  /** Whether this graph fuses BatchNorm2D + ReLU node pairs. */
  public boolean fusion() {
    return fusion == null ? BatchNormReLU2D.FUSE_BY_DEFAULT : fusion;
  }

  /** Fills exec and passThrough for the order fixed by fixOrder. */
  private void planFusion() {
    int n = order.length;
    exec = new Layer[n];
    passThrough = new boolean[n];
    for (int k = 0; k < n; k++) {
      Layer l = order[k].layer();
      exec[k] = l;
      if (fusion != null) {
        pushFusion(l, fusion);
      }
    }
    if (!fusion()) {
      return;
    }
    for (int k = 0; k < n; k++) {
      if (order[k].layer() instanceof BatchNorm2D bn && k != termIndex && succs[k].length == 1) {
        int r = succs[k][0];
        if (order[r].layer() instanceof ReLU && preds[r].length == 1) {
          exec[k] = new BatchNormReLU2D(bn);
          passThrough[r] = true;
        }
      }
    }
  }

  /** The fused pairs of the build, as {@code "bn->relu"} node names in execution order (for tests). */
  List<String> fusedPairs() {
    requireBuilt();
    List<String> out = new ArrayList<>();
    for (int k = 0; k < order.length; k++) {
      if (exec[k] instanceof BatchNormReLU2D) {
        out.add(order[k].name() + "->" + order[succs[k][0]].name());
      }
    }
    return out;
  }

  private static void pushFusion(Layer l, boolean on) {
    if (l instanceof Sequential s) {
      s.fusion(on);
    } else if (l instanceof LayerGraph g && (g.fusion == null || g.fusion != on)) {
      boolean wasBuilt = g.built;
      g.fusion(on);
      if (wasBuilt) {
        g.build();
      }
    }
  }

  private void fixOrder(Map<LayerNode, List<LayerNode>> out, Map<LayerNode, List<LayerNode>> in) {
    // Kahn's algorithm, taking ready nodes in insertion order so the order is deterministic.
    int n = nodes.size();
    List<LayerNode> all = new ArrayList<>(nodes);
    Map<LayerNode, Integer> remaining = new HashMap<>();
    for (LayerNode v : all) {
      remaining.put(v, in.get(v).size());
    }
    order = new LayerNode[n];
    Map<LayerNode, Integer> position = new HashMap<>();
    boolean[] done = new boolean[n];
    for (int k = 0; k < n; k++) {
      for (int i = 0; i < n; i++) {
        LayerNode v = all.get(i);
        if (!done[i] && remaining.get(v) == 0) {
          done[i] = true;
          order[k] = v;
          position.put(v, k);
          for (LayerNode s : out.get(v)) {
            remaining.merge(s, -1, Integer::sum);
          }
          break;
        }
      }
    }
    preds = new int[n][];
    succs = new int[n][];
    merges = new Merge[n];
    mergeInputs = new List[n];
    for (int k = 0; k < n; k++) {
      LayerNode v = order[k];
      preds[k] = in.get(v).stream().mapToInt(position::get).toArray();
      succs[k] = out.get(v).stream().mapToInt(position::get).toArray();
      if (preds[k].length > 1) {
        merges[k] = v.mode().newMerge();
        mergeInputs[k] = Arrays.asList(new Tensor[preds[k].length]);
      }
    }
    rootIndex = position.get(root);
    termIndex = position.get(term);
    outputs = new Tensor[n];
    gradAcc = new Tensor[n];
    gradRef = new Tensor[n];
    gradCount = new int[n];
    inputs = new Tensor[n];
    inputSums = new long[n];
    outputSums = new long[n];
  }

  // ---------------------------------------------------------------- shapes

  /** Shape inference through the whole graph: the shape of every node's output, in execution order. */
  private Shape[] infer(Shape input) {
    Shape[] s = new Shape[order.length];
    List<Shape> incoming = new ArrayList<>();
    for (int k = 0; k < order.length; k++) {
      LayerNode v = order[k];
      Shape in;
      if (k == rootIndex) {
        in = input;
      } else if (preds[k].length == 1) {
        in = s[preds[k][0]];
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

  /** The term's output shape, by shape inference through every node; errors name the node. */
  @Override
  public Shape outputShape(Shape input) {
    Objects.requireNonNull(input, "input");
    requireBuilt();
    return infer(input)[termIndex];
  }

  // ---------------------------------------------------------------- run

  /**
   * Runs every node in execution order (shape inference first when the input shape is new) and
   * returns the term's output, owned by the term's layer. Neither {@code x} nor the result may be
   * written until the matching {@link #backward} has run.
   *
   * @throws IllegalStateException if the graph is not built, or another thread is inside this
   *     graph's forward or backward
   * @throws NonFiniteException with anomaly detection on, for the first non-finite input, merged
   *     input or node output
   */
  @Override
  public Tensor forward(Tensor x, boolean training) {
    Objects.requireNonNull(x, "x");
    requireBuilt();
    enter("forward");
    try {
      return run(x, training);
    } finally {
      runner.set(null);
    }
  }

  private Tensor run(Tensor x, boolean training) {
    if (!x.shape().equals(cachedInput)) {
      shapes = infer(x.shape());
      cachedInput = x.shape();
    }
    boolean check = anomalies;
    forwardChecked = false;
    forwardDone = false; // a forward that throws midway must not let backward run on mixed outputs
    for (int k = 0; k < order.length; k++) {
      if (passThrough[k]) {
        outputs[k] = outputs[preds[k][0]]; // the fused batch norm already applied this ReLU
        continue;
      }
      Tensor in;
      if (k == rootIndex) {
        in = x;
        if (check) {
          requireFinite(k, in, "input");
        }
      } else if (preds[k].length == 1) {
        in = outputs[preds[k][0]];
      } else {
        List<Tensor> list = mergeInputs[k];
        for (int i = 0; i < preds[k].length; i++) {
          list.set(i, outputs[preds[k][i]]);
        }
        in = merges[k].forward(list);
        if (check) {
          requireFinite(k, in, "merged input (" + order[k].mode() + ")");
        }
      }
      if (check) {
        inputs[k] = in;
        inputSums[k] = AnomalyChecks.checksum(in);
        outputs[k] = forwardChecked(k, in, training);
        outputSums[k] = AnomalyChecks.checksum(outputs[k]);
      } else {
        outputs[k] = exec[k].forward(in, training);
      }
    }
    forwardDone = true;
    forwardChecked = check;
    return outputs[termIndex];
  }

  private Tensor forwardChecked(int k, Tensor in, boolean training) {
    Tensor out;
    try {
      out = exec[k].forward(in, training);
    } catch (NonFiniteException e) {
      throw e.withNodePrefix(order[k].name()); // found inside a nested graph or Sequential
    }
    requireFinite(k, out, "output");
    return out;
  }

  private void requireFinite(int k, Tensor t, String what) {
    AnomalyChecks.requireFinite(t, order[k].name(), order[k].layer().typeName(), what);
  }

  /**
   * Turns anomaly detection on or off for this graph and the layers of its nodes (nested graphs
   * and {@link Sequential}s included); see the class documentation. Off by default.
   */
  @Override
  public boolean detectsAnomalies() {
    return anomalies;
  }

  @Override
  public void detectAnomalies(boolean on) {
    if (pushingAnomalies) {
      return; // an unbuilt graph may still contain itself (build() rejects that): stop the recursion
    }
    anomalies = on;
    pushingAnomalies = true;
    try {
      for (LayerNode v : nodes) {
        v.layer().detectAnomalies(on);
      }
    } finally {
      pushingAnomalies = false;
    }
  }

  /** Marks this graph busy with {@code op} on the current thread, or fails naming both threads. */
  private void enter(String op) {
    Thread me = Thread.currentThread();
    if (!runner.compareAndSet(null, me)) {
      Thread other = runner.get();
      throw new IllegalStateException(describe() + ": " + op + " called on thread '" + me.getName() + "' while thread '"
          + (other == null ? "(just left)" : other.getName()) + "' is inside its " + runnerOp + " (a graph is "
          + "single-threaded: its layers reuse their buffers; give each thread its own copy of the model)");
    }
    runnerOp = op;
  }

  /**
   * Runs every node backward in reverse execution order, for the latest forward: merge gradients
   * go to the inputs in edge declaration order, fan-out nodes receive the sum of their successors'
   * gradients, parameter gradients accumulate. Returns the input gradient, owned by the root's layer.
   */
  @Override
  public Tensor backward(Tensor gradOut) {
    return backward(gradOut, true);
  }

  /**
   * As {@link #backward(Tensor)}; when {@code inputGradient} is false the root's layer may skip
   * the gradient of the graph input (training on data needs only the parameter gradients) and
   * null may be returned.
   *
   * @throws IllegalStateException before any forward, or when another thread is inside this
   *     graph's forward or backward, or (anomaly detection on) when a node's input or output
   *     changed since the forward
   * @throws NonFiniteException with anomaly detection on, for the first non-finite gradient
   */
  @Override
  public Tensor backward(Tensor gradOut, boolean inputGradient) {
    Objects.requireNonNull(gradOut, "gradOut");
    requireBuilt();
    enter("backward");
    try {
      return runBackward(gradOut, inputGradient);
    } finally {
      runner.set(null);
    }
  }

  private Tensor runBackward(Tensor gradOut, boolean inputGradient) {
    if (!forwardDone) {
      throw new IllegalStateException("LayerGraph: backward called before forward");
    }
    if (!gradOut.shape().equals(shapes[termIndex])) {
      throw new IllegalArgumentException("LayerGraph: gradient shape " + gradOut.shape()
          + " (expected: " + shapes[termIndex] + ", the output of term '" + term.name() + "')");
    }
    boolean check = anomalies;
    Arrays.fill(gradCount, 0);
    Arrays.fill(gradRef, null);
    gradRef[termIndex] = gradOut;
    Tensor inputGrad = null;
    for (int k = order.length - 1; k >= 0; k--) {
      Tensor gin;
      if (passThrough[k]) {
        gin = gradRef[k];
      } else if (check) {
        gin = backwardChecked(k, inputGradient);
      } else {
        gin = k == rootIndex ? exec[k].backward(gradRef[k], inputGradient) : exec[k].backward(gradRef[k]);
      }
      if (k == rootIndex) {
        inputGrad = gin;
      } else if (preds[k].length == 1) {
        give(preds[k][0], gin);
      } else {
        List<Tensor> parts = merges[k].backward(gin);
        for (int i = 0; i < preds[k].length; i++) {
          give(preds[k][i], parts.get(i));
        }
      }
    }
    return inputGrad;
  }

  private Tensor backwardChecked(int k, boolean inputGradient) {
    LayerNode v = order[k];
    if (forwardChecked) {
      // The input is the predecessor's output (or the graph input), the output is what the caller
      // or the successors received: a layer's backward may read either.
      AnomalyChecks.requireUnchanged(describe(), inputs[k], inputSums[k], v.name(), v.layer().typeName(), "input");
      AnomalyChecks.requireUnchanged(describe(), outputs[k], outputSums[k], v.name(), v.layer().typeName(), "output");
    }
    requireFinite(k, gradRef[k], "output gradient");
    Tensor gin;
    try {
      gin = k == rootIndex ? exec[k].backward(gradRef[k], inputGradient) : exec[k].backward(gradRef[k]);
    } catch (NonFiniteException e) {
      throw e.withNodePrefix(v.name());
    }
    if (gin != null) {
      requireFinite(k, gin, "input gradient");
    }
    for (Parameter p : v.layer().parameters()) {
      requireFinite(k, p.grad(), "gradient of parameter '" + p.name() + "'");
    }
    return gin;
  }

  /**
   * Hands gradient {@code g} to node {@code p}: kept as is for a single successor, summed at
   * fan-out. The first of several is only referenced (its owner does not write it again during
   * this backward pass), the second is added to it in one pass into the node's own buffer.
   */
  private void give(int p, Tensor g) {
    if (succs[p].length == 1) {
      gradRef[p] = g;
      return;
    }
    int count = gradCount[p]++;
    if (count == 0) {
      gradRef[p] = g;
    } else if (count == 1) {
      gradAcc[p] = Tensor.reuse(gradAcc[p], shapes[p]);
      gradSum.sum(gradRef[p], g, gradAcc[p]);
      gradRef[p] = gradAcc[p];
    } else {
      gradSum.sum(gradAcc[p], g, gradAcc[p]);
    }
  }

  // ---------------------------------------------------------------- parameters and reports

  /** Every node's parameters in execution order, named {@code NODE.PARAM}. */
  @Override
  public List<Parameter> parameters() {
    requireBuilt();
    List<Parameter> out = new ArrayList<>();
    for (LayerNode v : order) {
      for (Parameter p : v.layer().parameters()) {
        out.add(p.withPrefix(v.name()));
      }
    }
    return Collections.unmodifiableList(out);
  }

  /** Every node's buffers in execution order, named {@code NODE.BUFFER}. */
  @Override
  public Map<String, Tensor> buffers() {
    requireBuilt();
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (LayerNode v : order) {
      for (Map.Entry<String, Tensor> e : v.layer().buffers().entrySet()) {
        out.put(v.name() + "." + e.getKey(), e.getValue());
      }
    }
    return Collections.unmodifiableMap(out);
  }

  /** Zeroes the gradients of every node's parameters. */
  @Override
  public void zeroGrad() {
    requireBuilt();
    for (LayerNode v : order) {
      v.layer().zeroGrad();
    }
  }

  /**
   * Attaches an optimizer for Luma's training style: {@code forward}, {@code backward},
   * {@link #update()}. It must update exactly this graph's parameters (build it over
   * {@code graph.parameters()}).
   *
   * @throws IllegalArgumentException naming the parameters it misses or has in excess
   */
  public LayerGraph setOptimizer(Updater optimizer) {
    Objects.requireNonNull(optimizer, "optimizer");
    requireBuilt();
    java.util.Set<Tensor> mine = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    List<String> missing = new ArrayList<>();
    for (Parameter p : parameters()) {
      mine.add(p.value());
    }
    java.util.Set<Tensor> theirs = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    List<String> foreign = new ArrayList<>();
    for (Parameter p : optimizer.parameters()) {
      theirs.add(p.value());
      if (!mine.contains(p.value())) {
        foreign.add(p.name());
      }
    }
    for (Parameter p : parameters()) {
      if (!theirs.contains(p.value())) {
        missing.add(p.name());
      }
    }
    if (!missing.isEmpty() || !foreign.isEmpty()) {
      throw new IllegalArgumentException("setOptimizer: the optimizer does not cover this graph's parameters"
          + (missing.isEmpty() ? "" : "; missing: " + missing)
          + (foreign.isEmpty() ? "" : "; not in this graph: " + foreign)
          + " (build it over graph.parameters())");
    }
    this.optimizer = optimizer;
    return this;
  }

  /** The optimizer attached by {@link #setOptimizer}, or null. */
  public Updater optimizer() {
    return optimizer;
  }

  /**
   * Luma's {@code update()}: one optimizer step from the accumulated gradients, then
   * {@link #zeroGrad()}, so that a forward / backward / update loop does not carry gradients over.
   *
   * @throws IllegalStateException without an optimizer
   */
  public void update() {
    requireBuilt();
    requireOptimizer("update()");
    optimizer.step();
    zeroGrad();
  }

  /** Luma's {@code update_lr(lr)}: sets the attached optimizer's learning rate. */
  public void updateLr(double lr) {
    requireOptimizer("updateLr()");
    if (!(lr >= 0) || Double.isInfinite(lr)) {
      throw new IllegalArgumentException("updateLr: learning rate " + lr + " (expected: a finite number >= 0)");
    }
    optimizer.setLearningRate(lr);
  }

  private void requireOptimizer(String what) {
    if (optimizer == null) {
      throw new IllegalStateException("LayerGraph." + what + " needs an optimizer: call setOptimizer(...) first");
    }
  }

  /** The sum of the nodes' flops, merges included (see {@link GraphSummary#flops()}). */
  @Override
  public long flops(Shape input) {
    Objects.requireNonNull(input, "input");
    return GraphSummary.of(this, input).flops();
  }

  /** Element counts of the parameters: biases (local name {@code bias}) and weights (all others). */
  public ParamSize paramSize() {
    long w = 0;
    long b = 0;
    for (Parameter p : parameters()) {
      String n = p.name();
      if (n.equals("bias") || n.endsWith(".bias")) {
        b += p.value().size();
      } else {
        w += p.value().size();
      }
    }
    return new ParamSize(w, b);
  }

  /** The number of nodes (a Sequential or a nested graph counts as one). */
  public int layerCount() {
    requireBuilt();
    return order.length;
  }

  /**
   * A Keras-style table for an input of shape {@code input}: one row per node in execution order
   * (name, layer type, output shape, parameters, FLOPs, predecessors with the merge mode when
   * there are several; a Sequential node's children indented below it) followed by the totals
   * (trainable and non-trainable parameters, FLOPs, activation memory for the input's batch). See
   * {@link GraphSummary} for the definitions.
   */
  public String summary(Shape input) {
    Objects.requireNonNull(input, "input");
    return GraphSummary.of(this, input).table();
  }

  /** {@code LayerGraph}. */
  @Override
  public String typeName() {
    return "LayerGraph";
  }

  /** {@code LayerGraph(root -> ... -> term, n nodes)} or the unbuilt state. */
  @Override
  public String toString() {
    return "LayerGraph(" + (name == null ? "" : "'" + name + "': ") + name(root) + " -> " + name(term) + ", " + nodes.size() + " nodes"
        + (built ? ")" : ", not built)");
  }
}

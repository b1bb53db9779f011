package org.autoprop.graph;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.autoprop.layer.BatchNorm2D;
import org.autoprop.layer.BatchNormReLU2D;
import org.autoprop.layer.CheckedSteps;
import org.autoprop.layer.FusesNext;
import org.autoprop.layer.Fusion;
import org.autoprop.layer.Layer;
import org.autoprop.layer.Parameter;
import org.autoprop.layer.ReLU;
import org.autoprop.layer.Sequential;
import org.autoprop.layer.SingleThreadGuard;
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
 *   <li><b>Several inputs of one node.</b> A node whose layer is a
 *       {@link org.autoprop.layer.MultiInputLayer} (attention: query, key, value) and that has
 *       several predecessors receives their outputs unmerged, as an ordered list in edge
 *       declaration order ({@code .edge(decoder, crossAttn).edge(encoder, crossAttn)} gives
 *       {@code [decoder, encoder]}, i.e. query then key/value); backward hands each predecessor the
 *       gradient of its input. Such a node keeps the default merge mode; {@link #build()} rejects
 *       another mode, or an input count the layer does not take, naming the node. With one
 *       predecessor it is an ordinary node (the layer's one-input case).
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
 *   <li>Fusion ({@link Fusion}): where a node (not the term) has exactly one successor, that
 *       successor has no other input, and the node's layer can absorb the successor's layer
 *       ({@link FusesNext}; a {@link BatchNorm2D} followed by a {@link ReLU}), {@link #build()}
 *       pairs them: the first node runs the fused layer over its own layer's state (a
 *       {@link BatchNormReLU2D}: one pass instead of two, the same numbers), and the absorbed node
 *       passes the tensor through forward and the gradient through backward without running its
 *       layer. The first node's output (its layer's output buffer) then holds the post-ReLU values,
 *       the same tensor as the absorbed node's output; when the absorbed node is the term,
 *       {@link #forward} returns that tensor, owned by the batch norm layer. On by default
 *       ({@link Fusion#BY_DEFAULT}); {@link #fusion(boolean)} sets it per graph.
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

  /** Parameter element counts: {@code biases} of parameters whose local name is {@code bias}, {@code weights} of all others. */
  public record ParamSize(long weights, long biases) {
    /** weights + biases. */
    public long total() {
      return weights + biases;
    }
  }

  private final GraphStructure structure;
  private final GraphOwnership ownership = new GraphOwnership(this);
  private final GraphOptimizer optimizer = new GraphOptimizer();
  private String name;
  private Boolean fusion; // null: Fusion.BY_DEFAULT, not pushed into nested layers

  // Fixed by build(); null when not built.
  private ExecutionPlan plan;

  // Run-time state, reused while the input shape stays the same.
  private List<Tensor>[] mergeInputs;
  private Shape cachedInput;
  private Shape[] shapes;
  private Tensor[] outputs;
  private Tensor[] gradAcc;
  private Tensor[] gradRef;
  private int[] gradCount;
  private final GradientSum gradSum = new GradientSum();
  private boolean forwardDone;

  // Anomaly detection: the switch, and the checked runs of the nodes (made by build()).
  private boolean anomalies;
  private boolean pushingAnomalies;
  private CheckedSteps checked;

  private final SingleThreadGuard guard =
      new SingleThreadGuard(this::describe, "a graph is single-threaded: its layers reuse their buffers");

  /**
   * A graph from an adjacency map (node to successors). The map's iteration order, then each
   * list's order, is the edge declaration order. Call {@link #build()} before use.
   */
  public LayerGraph(Map<LayerNode, List<LayerNode>> graph, LayerNode root, LayerNode term) {
    Objects.requireNonNull(graph, "graph");
    Objects.requireNonNull(root, "root");
    Objects.requireNonNull(term, "term");
    structure = new GraphStructure();
    for (Map.Entry<LayerNode, List<LayerNode>> e : graph.entrySet()) {
      structure.addNodeIfAbsent(e.getKey());
      for (LayerNode to : Objects.requireNonNull(e.getValue(), "successors of node " + GraphStructure.name(e.getKey()))) {
        structure.addNodeIfAbsent(to);
        structure.edges.add(new GraphStructure.Edge(e.getKey(), to));
      }
    }
    structure.root = root;
    structure.term = term;
  }

  private LayerGraph(GraphStructure structure) {
    this.structure = structure;
  }

  /**
   * The built chain {@code nodes[0] -> nodes[1] -> ...}, rooted at the first node and ending at the
   * last (one node: a graph of that node alone).
   *
   * @param nodes the nodes in order, at least one
   * @return the built graph
   */
  public static LayerGraph chain(LayerNode... nodes) {
    if (nodes.length == 0) {
      throw new IllegalArgumentException("LayerGraph.chain: no nodes (expected: at least one)");
    }
    return builder().edges(nodes).root(nodes[0]).term(nodes[nodes.length - 1]).build();
  }

  /** A fluent builder; its {@link Builder#build()} returns a built graph. */
  public static Builder builder() {
    return new Builder();
  }

  /** Collects nodes and edges in declaration order. */
  public static final class Builder {
    private final LayerGraph g = new LayerGraph(new GraphStructure());

    private Builder() {}

    /** Adds a node without edges (e.g. the only node of a one-node graph). */
    public Builder node(LayerNode n) {
      g.structure.addNodeIfAbsent(n);
      return this;
    }

    /** Adds the edge {@code from -> to} (and the nodes if new). */
    public Builder edge(LayerNode from, LayerNode to) {
      g.structure.addEdge(from, to);
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

    /**
     * Adds the chain {@code from -> next[0] -> next[1] -> ...} and returns its last node (or
     * {@code from} when {@code next} is empty), the node the next piece of a model continues from.
     */
    public LayerNode extend(LayerNode from, LayerNode... next) {
      LayerNode last = Objects.requireNonNull(from, "from");
      for (LayerNode n : next) {
        edge(last, n);
        last = n;
      }
      return last;
    }

    /** Sets the root. */
    public Builder root(LayerNode n) {
      g.structure.root = Objects.requireNonNull(n, "n");
      return this;
    }

    /** Sets the term. */
    public Builder term(LayerNode n) {
      g.structure.term = Objects.requireNonNull(n, "n");
      return this;
    }

    /** Names the graph in messages; see {@link LayerGraph#name(String)}. */
    public Builder name(String name) {
      g.name(name);
      return this;
    }

    /** Sets fusion (BatchNorm2D + ReLU); see {@link LayerGraph#fusion(boolean)}. */
    public Builder fusion(boolean on) {
      g.fusion(on);
      return this;
    }

    /** Builds (validates) the graph; see {@link LayerGraph#build()}. */
    public LayerGraph build() {
      return g.build();
    }
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
        : "LayerGraph(" + GraphStructure.name(structure.root) + " -> " + GraphStructure.name(structure.term) + ")@"
            + Integer.toHexString(System.identityHashCode(this));
  }

  GraphStructure structure() {
    return structure;
  }

  GraphOwnership ownership() {
    return ownership;
  }

  // ---------------------------------------------------------------- structure (Luma's API)

  /** The nodes in insertion order. */
  public List<LayerNode> nodes() {
    return List.copyOf(structure.nodes);
  }

  /** The root node (may be unset or stale before {@link #build()}). */
  public LayerNode root() {
    return structure.root;
  }

  /** The term node (may be unset or stale before {@link #build()}). */
  public LayerNode term() {
    return structure.term;
  }

  /** The predecessors of {@code n} in edge declaration order: the order of its merge inputs. */
  public List<LayerNode> predecessors(LayerNode n) {
    return structure.predecessors(n);
  }

  /** The successors of {@code n} in edge declaration order. */
  public List<LayerNode> successors(LayerNode n) {
    return structure.successors(n);
  }

  /** The execution order fixed by {@link #build()}. */
  public List<LayerNode> order() {
    requireBuilt();
    return List.of(plan.order);
  }

  /**
   * Adds {@code node} with edges {@code p -> node} for each {@code p} of {@code prev} and
   * {@code node -> n} for each {@code n} of {@code next} (both must already be nodes), appended
   * to the edge declaration order. Undoes the build.
   */
  public LayerGraph addNode(LayerNode node, List<LayerNode> prev, List<LayerNode> next) {
    structure.addNode(node, prev, next);
    invalidate();
    return this;
  }

  /**
   * Removes {@code node} and every edge touching it; its neighbours are not reconnected. If it was
   * the root or the term, the next {@link #build()} reports that until a new one is set. Undoes
   * the build.
   */
  public LayerGraph removeNode(LayerNode node) {
    structure.removeNode(node);
    invalidate();
    return this;
  }

  /**
   * Puts {@code replacement} (a node not in this graph) where {@code node} is: every edge of
   * {@code node} in its place in the declaration order (so merge inputs keep their order), and
   * the root or term if {@code node} was one. Undoes the build.
   */
  public LayerGraph replaceNode(LayerNode node, LayerNode replacement) {
    structure.replaceNode(node, replacement);
    invalidate();
    return this;
  }

  /**
   * Removes {@code node}, which must have exactly one predecessor, and connects that predecessor
   * to each of its successors in the places of its edges (merge inputs keep their order); if
   * {@code node} was the term, its predecessor becomes the term. Undoes the build.
   *
   * @throws IllegalArgumentException when {@code node} is not in the graph or has not one predecessor
   */
  public LayerGraph bypassNode(LayerNode node) {
    structure.bypassNode(node);
    invalidate();
    return this;
  }

  /** Adds the edge {@code from -> to} at the end of the declaration order (and the nodes if new). Undoes the build. */
  public LayerGraph addEdge(LayerNode from, LayerNode to) {
    structure.addEdge(from, to);
    invalidate();
    return this;
  }

  /** Removes the edge {@code from -> to} (nodes stay). Undoes the build. */
  public LayerGraph removeEdge(LayerNode from, LayerNode to) {
    structure.removeEdge(from, to);
    invalidate();
    return this;
  }

  /** Sets the root. Undoes the build. */
  public LayerGraph setRoot(LayerNode n) {
    structure.root = Objects.requireNonNull(n, "n");
    invalidate();
    return this;
  }

  /** Sets the term. Undoes the build. */
  public LayerGraph setTerm(LayerNode n) {
    structure.term = Objects.requireNonNull(n, "n");
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
    ownership.release();
    plan = null;
    mergeInputs = null;
    cachedInput = null;
    shapes = null;
    outputs = null;
    gradAcc = null;
    gradRef = null;
    gradCount = null;
    checked = null;
    forwardDone = false;
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
    LayerGraph g = new LayerGraph(GraphStructure.join(structure, next.structure));
    GraphValidator.validate(g.structure); // before the parts give up their nodes
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
    structure.requireNode(start, "getPath start");
    structure.requireNode(end, "getPath end");
    return plan.paths(start, end);
  }

  private void requireBuilt() {
    if (plan == null) {
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
   *     mode cannot take, a node of a {@link org.autoprop.layer.MultiInputLayer} with a merge mode
   *     other than SUM or an input count the layer does not take, this graph inside itself (the path named), a node or nested graph that
   *     another built graph holds (both graphs named)
   */
  @SuppressWarnings("unchecked")
  public LayerGraph build() {
    invalidate();
    GraphValidator.Adjacency adj = GraphValidator.validate(structure);
    ownership.check(structure.nodes);
    ExecutionPlan p = ExecutionPlan.of(structure, adj, fusion());
    if (fusion != null) {
      for (LayerNode v : p.order) {
        pushFusion(v.layer(), fusion);
      }
    }
    ownership.claim(p.order);
    int n = p.size();
    mergeInputs = new List[n];
    for (int k = 0; k < n; k++) {
      if (p.merges[k] != null || p.multi[k] != null) {
        mergeInputs[k] = Arrays.asList(new Tensor[p.preds[k].length]);
      }
    }
    outputs = new Tensor[n];
    gradAcc = new Tensor[n];
    gradRef = new Tensor[n];
    gradCount = new int[n];
    List<String> names = new ArrayList<>(n);
    List<Layer> layers = new ArrayList<>(n);
    for (LayerNode v : p.order) {
      names.add(v.name());
      layers.add(v.layer());
    }
    checked = new CheckedSteps(names, layers);
    if (anomalies) {
      for (LayerNode v : p.order) {
        v.layer().detectAnomalies(true);
      }
    }
    plan = p;
    return this;
  }

  // ---------------------------------------------------------------- fusion

  /**
   * Turns fusion (BatchNorm2D + ReLU, see the class documentation) on or off for this graph. Once
   * set, {@link #build()} also applies it to the {@link Sequential} layers of the nodes and to
   * nested graphs (rebuilding those that were built). Undoes the build. Returns this.
   */
  public LayerGraph fusion(boolean on) {
    fusion = on;
    invalidate();
    return this;
  }

  /** Whether this graph fuses node pairs that can run as one layer (BatchNorm2D + ReLU). */
  public boolean fusion() {
    return fusion == null ? Fusion.BY_DEFAULT : fusion;
  }

  /** The fused runs of the build, as {@code "bn->relu"} node names in execution order (for tests). */
  List<String> fusedPairs() {
    requireBuilt();
    return plan.fusedRuns();
  }

  private static void pushFusion(Layer l, boolean on) {
    if (l instanceof Sequential s) {
      s.fusion(on);
    } else if (l instanceof LayerGraph g && (g.fusion == null || g.fusion != on)) {
      boolean wasBuilt = g.plan != null;
      g.fusion(on);
      if (wasBuilt) {
        g.build();
      }
    }
  }

  /** The term's output shape, by shape inference through every node; errors name the node. */
  @Override
  public Shape outputShape(Shape input) {
    Objects.requireNonNull(input, "input");
    requireBuilt();
    return plan.infer(input)[plan.termIndex];
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
      guard.leave();
    }
  }

  private Tensor run(Tensor x, boolean training) {
    LayerNode[] order = plan.order;
    int[][] preds = plan.preds;
    Layer[] exec = plan.exec;
    boolean[] passThrough = plan.passThrough;
    if (!x.shape().equals(cachedInput)) {
      shapes = plan.infer(x.shape());
      cachedInput = x.shape();
    }
    boolean check = anomalies;
    checked.startForward();
    forwardDone = false; // a forward that throws midway must not let backward run on mixed outputs
    for (int k = 0; k < order.length; k++) {
      if (passThrough[k]) {
        outputs[k] = outputs[preds[k][0]]; // the fused predecessor already applied this node's layer
        continue;
      }
      Tensor in;
      if (k == plan.rootIndex) {
        in = x;
        if (check) {
          checked.requireFinite(k, in, "input");
        }
      } else if (preds[k].length == 1) {
        in = outputs[preds[k][0]];
      } else if (plan.multi[k] != null) {
        List<Tensor> list = mergeInputs[k];
        for (int i = 0; i < preds[k].length; i++) {
          list.set(i, outputs[preds[k][i]]);
        }
        outputs[k] = check ? checked.forwardInputs(k, plan.multi[k], list, training) : plan.multi[k].forward(list, training);
        continue;
      } else {
        List<Tensor> list = mergeInputs[k];
        for (int i = 0; i < preds[k].length; i++) {
          list.set(i, outputs[preds[k][i]]);
        }
        in = plan.merges[k].forward(list);
        if (check) {
          checked.requireFinite(k, in, "merged input (" + order[k].mode() + ")");
        }
      }
      outputs[k] = check ? checked.forward(k, exec[k], in, training) : exec[k].forward(in, training);
    }
    forwardDone = true;
    if (check) {
      checked.finishForward();
    }
    return outputs[plan.termIndex];
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
      for (LayerNode v : structure.nodes) {
        v.layer().detectAnomalies(on);
      }
    } finally {
      pushingAnomalies = false;
    }
  }

  /** Marks this graph busy with {@code op} on the current thread, or fails naming both threads. */
  private void enter(String op) {
    guard.enter(op);
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
      guard.leave();
    }
  }

  private Tensor runBackward(Tensor gradOut, boolean inputGradient) {
    LayerNode[] order = plan.order;
    int[][] preds = plan.preds;
    Layer[] exec = plan.exec;
    boolean[] passThrough = plan.passThrough;
    int rootIndex = plan.rootIndex;
    int termIndex = plan.termIndex;
    if (!forwardDone) {
      throw new IllegalStateException("LayerGraph: backward called before forward");
    }
    if (!gradOut.shape().equals(shapes[termIndex])) {
      throw new IllegalArgumentException("LayerGraph: gradient shape " + gradOut.shape()
          + " (expected: " + shapes[termIndex] + ", the output of term '" + order[termIndex].name() + "')");
    }
    boolean check = anomalies;
    Arrays.fill(gradCount, 0);
    Arrays.fill(gradRef, null);
    gradRef[termIndex] = gradOut;
    Tensor inputGrad = null;
    for (int k = order.length - 1; k >= 0; k--) {
      Tensor gin;
      if (plan.multi[k] != null) {
        List<Tensor> parts = check ? checked.backwardInputs(describe(), k, plan.multi[k], gradRef[k])
            : plan.multi[k].backwardInputs(gradRef[k]);
        for (int i = 0; i < preds[k].length; i++) {
          give(preds[k][i], parts.get(i));
        }
        continue;
      }
      if (passThrough[k]) {
        gin = gradRef[k];
      } else if (check) {
        gin = checked.backward(describe(), k, exec[k], gradRef[k], k != rootIndex || inputGradient);
      } else {
        gin = k == rootIndex ? exec[k].backward(gradRef[k], inputGradient) : exec[k].backward(gradRef[k]);
      }
      if (k == rootIndex) {
        inputGrad = gin;
      } else if (preds[k].length == 1) {
        give(preds[k][0], gin);
      } else {
        List<Tensor> parts = plan.merges[k].backward(gin);
        for (int i = 0; i < preds[k].length; i++) {
          give(preds[k][i], parts.get(i));
        }
      }
    }
    return inputGrad;
  }

  /**
   * Hands gradient {@code g} to node {@code p}: kept as is for a single successor, summed at
   * fan-out. The first of several is only referenced (its owner does not write it again during
   * this backward pass), the second is added to it in one pass into the node's own buffer.
   */
  private void give(int p, Tensor g) {
    if (plan.succs[p].length == 1) {
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
    for (LayerNode v : plan.order) {
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
    for (LayerNode v : plan.order) {
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
    for (LayerNode v : plan.order) {
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
    this.optimizer.attach(parameters(), optimizer);
    return this;
  }

  /** The optimizer attached by {@link #setOptimizer}, or null. */
  public Updater optimizer() {
    return optimizer.get();
  }

  /**
   * Luma's {@code update()}: one optimizer step from the accumulated gradients, then
   * {@link #zeroGrad()}, so that a forward / backward / update loop does not carry gradients over.
   *
   * @throws IllegalStateException without an optimizer
   */
  public void update() {
    requireBuilt();
    optimizer.step();
    zeroGrad();
  }

  /** Luma's {@code update_lr(lr)}: sets the attached optimizer's learning rate. */
  public void updateLr(double lr) {
    optimizer.setLearningRate(lr);
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
    return plan.size();
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
    return "LayerGraph(" + (name == null ? "" : "'" + name + "': ") + GraphStructure.name(structure.root) + " -> "
        + GraphStructure.name(structure.term) + ", " + structure.nodes.size() + " nodes"
        + (plan != null ? ")" : ", not built)");
  }
}

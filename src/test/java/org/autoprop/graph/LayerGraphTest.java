package org.autoprop.graph;

import static org.autoprop.testing.TestTensors.maxAbsDiff;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.autoprop.graph.GraphValidationException.Kind;
import org.autoprop.layer.GradCheck;
import org.autoprop.layer.Layer;
import org.autoprop.layer.Parameter;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** LayerGraph: validation, ordering, execution, fan-out, shape inference, modification, reports. */
class LayerGraphTest {
  static final Shape X = Shape.of(2, 3, 4, 4);
  private long seeds = 100;

  LayerNode scale(String name) {
    return new LayerNode(new Scale(3, seeds++), name);
  }

  LayerNode scale(String name, MergeMode mode) {
    return new LayerNode(new Scale(3, seeds++), mode, name);
  }

  static Tensor input(long seed) {
    return Tensor.uniform(X, -1, 1, seed);
  }

  static void assertChecks(Layer g, Tensor x) {
    GradCheck.Report r = GradCheck.forLayer(g).check(x);
    assertTrue(r.passed(1e-2), r::toString);
  }

  // ------------------------------------------------------------------ not built

  @Test
  void usingAnUnbuiltGraphFailsWithLumasMessage() {
    LayerNode a = scale("a");
    LayerNode b = scale("b");
    Map<LayerNode, List<LayerNode>> adj = new LinkedHashMap<>();
    adj.put(a, List.of(b));
    LayerGraph g = new LayerGraph(adj, a, b);
    List<Executable> uses = List.of(() -> g.forward(input(1), true), () -> g.backward(input(1)),
        () -> g.parameters(), () -> g.buffers(), () -> g.outputShape(X), () -> g.summary(X),
        () -> g.paramSize(), () -> g.layerCount(), () -> g.zeroGrad(), () -> g.getPath(a, b), () -> g.order());
    for (Executable use : uses) {
      IllegalStateException e = assertThrows(IllegalStateException.class, use);
      assertEquals("'LayerGraph' has not built! Call 'build()' to build the graph.", e.getMessage());
    }
    assertSame(g, g.build());
    g.forward(input(1), true);
    g.clear();
    assertEquals(LayerGraph.NOT_BUILT, assertThrows(IllegalStateException.class, () -> g.forward(input(1), true)).getMessage());
    g.build().forward(input(1), true);
    g.addNode(scale("c"), List.of(b), List.of());
    assertThrows(IllegalStateException.class, () -> g.forward(input(1), true));
  }

  // ------------------------------------------------------------------ build errors

  static GraphValidationException invalid(Kind kind, LayerGraph.Builder b) {
    GraphValidationException e = assertThrows(GraphValidationException.class, b::build);
    assertEquals(kind, e.kind(), e.getMessage());
    return e;
  }

  @Test
  void duplicateNames() {
    LayerNode a = scale("a");
    LayerNode b = scale("dup");
    LayerNode c = scale("dup");
    GraphValidationException e = invalid(Kind.DUPLICATE_NAME,
        LayerGraph.builder().edges(a, b).edge(a, c).root(a).term(c));
    assertEquals("LayerGraph: duplicate node name 'dup': held by two different nodes (Scale and Scale)", e.getMessage());
    assertEquals(List.of("dup"), e.nodes());
  }

  @Test
  void sameLayerInTwoNodes() {
    Scale shared = new Scale(3, 1);
    LayerNode a = scale("a");
    LayerNode b = new LayerNode(shared, "b");
    LayerNode c = new LayerNode(shared, "c");
    GraphValidationException e = invalid(Kind.SHARED_LAYER, LayerGraph.builder().edges(a, b, c).root(a).term(c));
    assertTrue(e.getMessage().startsWith("LayerGraph: nodes 'b' and 'c' hold the same Scale object"), e.getMessage());
    assertEquals(List.of("b", "c"), e.nodes());
  }

  @Test
  void duplicateEdges() {
    LayerNode a = scale("a");
    LayerNode b = scale("b");
    GraphValidationException e = invalid(Kind.DUPLICATE_EDGE, LayerGraph.builder().edge(a, b).edge(a, b).root(a).term(b));
    assertEquals("LayerGraph: duplicate edge 'a' -> 'b' (declared 2 times)", e.getMessage());
    // The same through the adjacency map.
    Map<LayerNode, List<LayerNode>> adj = new LinkedHashMap<>();
    adj.put(a, List.of(b, b));
    assertEquals(Kind.DUPLICATE_EDGE,
        assertThrows(GraphValidationException.class, () -> new LayerGraph(adj, a, b).build()).kind());
  }

  @Test
  void rootMissing() {
    LayerNode a = scale("a");
    LayerNode b = scale("b");
    LayerNode stranger = scale("stranger");
    assertEquals("LayerGraph: root 'stranger' is not a node of the graph",
        invalid(Kind.ROOT_MISSING, LayerGraph.builder().edge(a, b).root(stranger).term(b)).getMessage());
    assertEquals("LayerGraph: root is not set", invalid(Kind.ROOT_MISSING, LayerGraph.builder().edge(a, b).term(b)).getMessage());
  }

  @Test
  void termMissing() {
    LayerNode a = scale("a");
    LayerNode b = scale("b");
    LayerNode stranger = scale("stranger");
    assertEquals("LayerGraph: term 'stranger' is not a node of the graph",
        invalid(Kind.TERM_MISSING, LayerGraph.builder().edge(a, b).root(a).term(stranger)).getMessage());
    assertEquals("LayerGraph: term is not set", invalid(Kind.TERM_MISSING, LayerGraph.builder().edge(a, b).root(a)).getMessage());
  }

  @Test
  void cycleNamesItsNodesInOrder() {
    LayerNode a = scale("a");
    LayerNode b = scale("b");
    LayerNode c = scale("c");
    LayerNode d = scale("d");
    LayerNode t = scale("t");
    GraphValidationException e = invalid(Kind.CYCLE,
        LayerGraph.builder().edges(a, b, c, d, b).edge(d, t).root(a).term(t));
    assertEquals("LayerGraph: cycle 'b' -> 'c' -> 'd' -> 'b'", e.getMessage());
    assertEquals(List.of("b", "c", "d", "b"), e.nodes());
  }

  @Test
  void rootWithPredecessors() {
    LayerNode x = scale("x");
    LayerNode a = scale("a");
    LayerNode b = scale("b");
    GraphValidationException e = invalid(Kind.ROOT_HAS_PREDECESSORS, LayerGraph.builder().edges(x, a, b).root(a).term(b));
    assertEquals("LayerGraph: root 'a' has predecessors 'x' (expected: none)", e.getMessage());
  }

  @Test
  void nodeNotReachableFromRoot() {
    LayerNode a = scale("a");
    LayerNode s = scale("s");
    LayerNode s2 = scale("s2");
    LayerNode t = scale("t");
    GraphValidationException e = invalid(Kind.UNREACHABLE_FROM_ROOT,
        LayerGraph.builder().edge(a, t).edges(s, s2, t).root(a).term(t));
    assertEquals("LayerGraph: nodes not reachable from root 'a': 's', 's2'", e.getMessage());
    assertEquals(List.of("s", "s2"), e.nodes());
  }

  @Test
  void termWithSuccessors() {
    LayerNode a = scale("a");
    LayerNode b = scale("b");
    LayerNode c = scale("c");
    GraphValidationException e = invalid(Kind.TERM_NOT_SINK, LayerGraph.builder().edges(a, b, c).root(a).term(b));
    assertEquals("LayerGraph: term 'b' has successors 'c' (expected: none; term must be the unique sink)", e.getMessage());
  }

  @Test
  void nodesThatCannotReachTermAndOtherSinks() {
    LayerNode a = scale("a");
    LayerNode t = scale("t");
    LayerNode c = scale("c");
    LayerNode d = scale("d");
    GraphValidationException e = invalid(Kind.CANNOT_REACH_TERM,
        LayerGraph.builder().edge(a, t).edges(a, c, d).root(a).term(t));
    assertEquals("LayerGraph: nodes that cannot reach term 't': 'c', 'd'; term is not the unique sink, other sinks: 'd'",
        e.getMessage());
    assertEquals(List.of("c", "d"), e.nodes());
  }

  @Test
  void dotWithAnInputCountOtherThanTwo() {
    LayerNode a = scale("a");
    LayerNode b = scale("b");
    LayerNode c = scale("c");
    LayerNode d = scale("d");
    LayerNode dot = new LayerNode(new Smooth(), MergeMode.DOT, "dot");
    GraphValidationException e = invalid(Kind.MERGE_ARITY,
        LayerGraph.builder().edge(a, b).edge(a, c).edge(a, d).edge(b, dot).edge(c, dot).edge(d, dot).root(a).term(dot));
    assertEquals("LayerGraph: node 'dot' merges 3 inputs ('b', 'c', 'd') with DOT (expected: exactly 2)", e.getMessage());
    assertEquals(List.of("dot", "b", "c", "d"), e.nodes());
    LayerNode dot1 = new LayerNode(new Smooth(), MergeMode.DOT, "dot1");
    e = invalid(Kind.MERGE_ARITY, LayerGraph.builder().edge(a, dot1).root(a).term(dot1));
    assertEquals("LayerGraph: node 'dot1' merges 1 input ('a') with DOT (expected: exactly 2)", e.getMessage());
    // The root ignores its mode: it takes the graph input as its single input.
    LayerNode dotRoot = new LayerNode(new Smooth(), MergeMode.DOT, "dotRoot");
    LayerGraph.builder().node(dotRoot).root(dotRoot).term(dotRoot).build().forward(input(1), false);
  }

  @Test
  void emptyNodeNamesAreRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new LayerNode(new Smooth(), ""));
    assertEquals("LayerNode name must not be empty (layer Smooth)", e.getMessage());
  }

  // ------------------------------------------------------------------ shape inference errors

  @Test
  void mergeShapeMismatchNamesNodeModeAndEveryIncomingShape() {
    LayerNode a = scale("a");
    LayerNode b = new LayerNode(new Mix(3, 5, 1), "b");
    LayerNode c = scale("c");
    LayerNode sum = new LayerNode(new Smooth(), MergeMode.MAX, "sum");
    LayerGraph g = LayerGraph.builder().edges(a, b, sum).edges(a, c, sum).root(a).term(sum).build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> g.forward(input(1), true));
    assertTrue(e.getMessage().startsWith(
        "LayerGraph: node 'sum' (merge MAX) cannot merge its inputs 'b' [2, 5, 4, 4], 'c' [2, 3, 4, 4]: "
            + "MAX cannot merge input shapes [2, 5, 4, 4], [2, 3, 4, 4]"), e.getMessage());
    assertEquals(e.getMessage(), assertThrows(IllegalArgumentException.class, () -> g.outputShape(X)).getMessage());
  }

  @Test
  void layerShapeErrorIsPrefixedWithTheNode() {
    LayerNode a = scale("a");
    LayerNode b = new LayerNode(new Scale(5, 1), "wide");
    LayerGraph g = LayerGraph.builder().edges(a, b).root(a).term(b).build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> g.forward(input(1), true));
    assertEquals("LayerGraph: node 'wide' (Scale) cannot take input [2, 3, 4, 4]: "
        + "Scale(5): input [2, 3, 4, 4] has 3 channels (expected: 5)", e.getMessage());
  }

  @Test
  void shapeInferenceRunsBeforeAnyArithmetic() {
    Counting first = new Counting();
    LayerNode a = new LayerNode(first, "a");
    LayerNode b = scale("b");
    LayerNode bad = new LayerNode(new Mix(4, 3, 1), "bad");
    LayerGraph g = LayerGraph.builder().edges(a, b, bad).root(a).term(bad).build();
    assertThrows(IllegalArgumentException.class, () -> g.forward(input(1), true));
    assertEquals(0, first.forwards, "a layer ran before the shape error was found");
  }

  @Test
  void backwardChecksItsGradientAndItsForward() {
    LayerNode a = scale("a");
    LayerGraph g = LayerGraph.builder().node(a).root(a).term(a).build();
    assertEquals("LayerGraph: backward called before forward",
        assertThrows(IllegalStateException.class, () -> g.backward(input(1))).getMessage());
    g.forward(input(1), true);
    assertEquals("LayerGraph: gradient shape [2, 3] (expected: [2, 3, 4, 4], the output of term 'a')",
        assertThrows(IllegalArgumentException.class, () -> g.backward(Tensor.zeros(2, 3))).getMessage());
  }

  // ------------------------------------------------------------------ execution

  @Test
  void mergeInputsFollowEdgeDeclarationOrderInForwardAndBackward() {
    // SUB and DOT are not symmetric: declaring b's edge first makes the node compute b - a.
    for (MergeMode mode : List.of(MergeMode.SUB, MergeMode.DOT)) {
      LayerNode r = new LayerNode(new Counting(), "r");
      LayerNode a = scale("a");
      LayerNode b = scale("b");
      LayerNode m = new LayerNode(new Counting(), mode, "m");
      Map<LayerNode, List<LayerNode>> adj = new LinkedHashMap<>();
      adj.put(r, List.of(a, b));
      adj.put(b, List.of(m)); // declared before a -> m
      adj.put(a, List.of(m));
      LayerGraph g = new LayerGraph(adj, r, m).build();
      assertEquals(List.of(b, a), g.predecessors(m));
      Tensor x = input(7);
      Tensor ya = a.layer().forward(x, true).copy();
      Tensor yb = b.layer().forward(x, true).copy();
      Tensor expected = mode.newMerge().forward(List.of(yb, ya)).copy();
      Tensor y = g.forward(x, true).copy();
      assertEquals(0.0, maxAbsDiff(expected, y), 1e-6, mode + " forward order");
      assertChecks(g, x);
    }
  }

  @Test
  void fanOutAccumulatesTheGradientsOfAllSuccessors() {
    // r feeds three nodes; its gradient must be the sum of all three, not the last one written.
    LayerNode r = scale("r");
    LayerNode a = new LayerNode(new Smooth(), "a");
    LayerNode b = scale("b");
    LayerNode c = new LayerNode(new Counting(), "c");
    LayerNode t = new LayerNode(new Counting(), MergeMode.SUM, "t");
    LayerGraph g = LayerGraph.builder().edges(r, a, t).edges(r, b, t).edges(r, c, t).root(r).term(t).build();
    Tensor x = input(3);
    g.forward(x, true);
    Tensor gy = Tensor.uniform(X, -1, 1, 4);
    g.zeroGrad();
    Tensor gx = g.backward(gy).copy();
    // By hand: dL/dr = gy * (1 - a^2) + gy * w_b + gy, then through r's scale.
    Scale rs = (Scale) r.layer();
    Scale bs = (Scale) b.layer();
    Tensor ry = rs.forward(x, true).copy();
    for (int i = 0; i < X.size(); i++) {
      int ch = (i / 16) % 3;
      double ta = Math.tanh(ry.getFlat(i));
      double gr = gy.getFlat(i) * (1 - ta * ta) + gy.getFlat(i) * bs.parameters().get(0).value().getFlat(ch) + gy.getFlat(i);
      double expected = gr * rs.parameters().get(0).value().getFlat(ch);
      assertEquals(expected, gx.getFlat(i), 1e-5, "input gradient at " + i);
    }
    // A second backward of the same forward gives the same input gradient (no stale accumulation).
    g.forward(x, true);
    assertEquals(0.0, maxAbsDiff(gx, g.backward(gy)), 1e-6);
    assertChecks(g, x);
  }

  @Test
  void backwardUsesTheLatestOfSeveralForwards() {
    LayerNode r = scale("r");
    LayerNode a = new LayerNode(new Smooth(), "a");
    LayerNode b = scale("b");
    LayerNode t = new LayerNode(new Smooth(), MergeMode.HADAMARD, "t");
    LayerGraph g = LayerGraph.builder().edges(r, a, t).edges(r, b, t).root(r).term(t).build();
    Tensor x1 = input(1);
    Tensor x2 = input(2);
    Tensor gy = Tensor.uniform(X, -1, 1, 3);
    g.forward(x2, true);
    Tensor expected = g.backward(gy).copy();
    g.forward(x2, true);
    g.forward(x1, true);
    g.forward(x2, true);
    assertEquals(0.0, maxAbsDiff(expected, g.backward(gy)), 0.0);
  }

  @Test
  void steadyStateReusesOutputsAndANewShapeIsInferredAgain() {
    LayerNode r = scale("r");
    LayerNode a = new LayerNode(new Smooth(), "a");
    LayerNode b = scale("b");
    LayerNode t = new LayerNode(new Smooth(), MergeMode.AVG, "t");
    LayerGraph g = LayerGraph.builder().edges(r, a, t).edges(r, b, t).root(r).term(t).build();
    Tensor y1 = g.forward(input(1), true);
    Tensor gx1 = g.backward(Tensor.uniform(X, -1, 1, 2));
    Tensor y2 = g.forward(input(3), true);
    Tensor gx2 = g.backward(Tensor.uniform(X, -1, 1, 4));
    assertSame(y1, y2);
    assertSame(gx1, gx2);
    Tensor other = Tensor.uniform(Shape.of(3, 3, 2, 5), -1, 1, 5);
    assertEquals(other.shape(), g.forward(other, true).shape());
    assertChecks(g, other);
    assertChecks(g, input(6));
  }

  @Test
  void inputIsNotModified() {
    LayerNode r = new LayerNode(new Counting(), "r");
    LayerNode a = scale("a");
    LayerNode b = new LayerNode(new Counting(), "b");
    LayerNode t = new LayerNode(new Counting(), MergeMode.SUM, "t");
    LayerGraph g = LayerGraph.builder().edges(r, a, t).edges(r, b, t).root(r).term(t).build();
    Tensor x = input(1);
    Tensor copy = x.copy();
    Tensor y = g.forward(x, true);
    assertNotSame(x, y);
    g.backward(Tensor.uniform(X, -1, 1, 2));
    assertEquals(0.0, maxAbsDiff(copy, x), 0.0);
  }

  @Test
  void squeezeExcitationBroadcastGraph() {
    LayerNode stem = scale("stem");
    LayerNode squeeze = new LayerNode(new MeanHW(), "squeeze");
    LayerNode excite = new SequentialNode("excite", new Mix(3, 3, 9), new Smooth());
    LayerNode gate = new LayerNode(new Smooth(), MergeMode.HADAMARD, "gate");
    LayerGraph g = LayerGraph.builder().edges(stem, squeeze, excite, gate).edge(stem, gate)
        .root(stem).term(gate).build();
    assertEquals(X, g.outputShape(X));
    assertChecks(g, input(5));
    assertEquals(List.of("squeeze.calls"), List.copyOf(g.buffers().keySet()));
  }

  // ------------------------------------------------------------------ names, sizes, reports

  @Test
  void parameterNamesAreDotted() {
    LayerNode stem = scale("stem");
    LayerNode branch = new SequentialNode("branch_1", new Scale(3, 1), new Smooth(), new Mix(3, 3, 2));
    LayerNode out = new LayerNode(new Smooth(), "out");
    LayerGraph g = LayerGraph.builder().edges(stem, branch, out).root(stem).term(out).build();
    List<String> names = new ArrayList<>();
    for (Parameter p : g.parameters()) {
      names.add(p.name());
    }
    assertEquals(List.of("stem.weight", "stem.bias", "branch_1.0.weight", "branch_1.0.bias",
        "branch_1.2.weight", "branch_1.2.bias"), names);
  }

  @Test
  void paramSizeCountsWeightsAndBiases() {
    LayerNode stem = scale("stem");
    LayerNode mix = new LayerNode(new Mix(3, 4, 1), "mix");
    LayerNode seq = new SequentialNode("seq", new Mix(4, 2, 2), new Smooth());
    LayerGraph g = LayerGraph.builder().edges(stem, mix, seq).root(stem).term(seq).build();
    LayerGraph.ParamSize ps = g.paramSize();
    assertEquals(3 + 12 + 8, ps.weights());
    assertEquals(3 + 4 + 2, ps.biases());
    assertEquals(32, ps.total());
    assertEquals(3, g.layerCount());
  }

  @Test
  void summaryHasARowPerNodeAndTotals() {
    LayerNode stem = scale("stem");
    LayerNode a = new LayerNode(new Mix(3, 2, 1), "left");
    LayerNode b = new LayerNode(new Mix(3, 4, 2), "right");
    LayerNode cat = new LayerNode(new Smooth(), MergeMode.CHCAT, "cat");
    LayerGraph g = LayerGraph.builder().edges(stem, a, cat).edges(stem, b, cat).root(stem).term(cat).build();
    String s = g.summary(X);
    String[] lines = s.split("\n");
    // The summary table moved to GraphSummary: a FLOPs column (the test layers count 0) and
    // trainable / non-trainable totals (GraphSummaryTest checks those on real layers).
    assertTrue(lines[0].matches("Node\\s+Layer\\s+Output Shape\\s+Params\\s+FLOPs\\s+Connected to"), s);
    assertTrue(s.contains("stem   Scale   [2, 3, 4, 4]"), s);
    assertTrue(s.matches("(?s).*\\nleft\\s+Mix\\s+\\[2, 2, 4, 4]\\s+8\\s+0\\s+stem\\n.*"), s);
    assertTrue(s.matches("(?s).*\\nright\\s+Mix\\s+\\[2, 4, 4, 4]\\s+16\\s+0\\s+stem\\n.*"), s);
    assertTrue(s.matches("(?s).*\\ncat\\s+Smooth\\s+\\[2, 6, 4, 4]\\s+0\\s+0\\s+left, right \\[CHCAT]\\n.*"), s);
    assertTrue(s.contains("Total params: 30 (30)"), s);
    assertTrue(s.contains("Trainable params: 30 (weights: 21, biases: 9)"), s);
    assertTrue(s.contains("Non-trainable params: 0 "), s);
    assertTrue(s.contains("Total layers: 4"), s);
  }

  // ------------------------------------------------------------------ modification, then, paths, nesting

  @Test
  void addAndRemoveNodesThenRebuild() {
    LayerNode a = scale("a");
    LayerNode b = scale("b");
    LayerNode c = new LayerNode(new Smooth(), "c");
    LayerGraph g = LayerGraph.builder().edges(a, b, c).root(a).term(c).build();
    Tensor x = input(1);
    Tensor chain = g.forward(x, true).copy();

    LayerNode d = new LayerNode(new Mix(3, 3, 5), "d");
    g.addNode(d, List.of(a), List.of(c)).build();
    assertEquals(List.of(b, d), g.predecessors(c));
    assertEquals(4, g.layerCount());
    Tensor withD = g.forward(x, true).copy();
    assertTrue(maxAbsDiff(withD, chain) > 1e-3, "the new branch changed nothing");
    assertChecks(g, x);

    g.removeNode(d).build();
    assertEquals(0.0, maxAbsDiff(chain, g.forward(x, true)), 0.0);

    // Removing a leaf (the term) then naming a new term.
    g.removeNode(c);
    assertEquals(Kind.TERM_MISSING, assertThrows(GraphValidationException.class, g::build).kind());
    g.setTerm(b).build();
    assertEquals(List.of(a, b), g.order());

    g.addEdge(a, c).addEdge(b, c).setTerm(c).build();
    assertEquals(List.of(a, b), g.predecessors(c));
    g.removeEdge(a, c).build();
    assertEquals(List.of(b), g.predecessors(c));
    assertEquals("removeEdge: no edge 'a' -> 'c'",
        assertThrows(IllegalArgumentException.class, () -> g.removeEdge(a, c)).getMessage());
    assertEquals("removeNode: node 'zzz' is not in the graph",
        assertThrows(IllegalArgumentException.class, () -> g.removeNode(scale("zzz"))).getMessage());
    assertEquals("addNode: node 'b' is already in the graph",
        assertThrows(IllegalArgumentException.class, () -> g.addNode(b, List.of(), List.of())).getMessage());
  }

  @Test
  void replaceAndBypassKeepEdgePlacesRootAndTerm() {
    // a -> b -> d, a -> c -> d (SUB: b - c), then d is the term.
    LayerNode a = scale("a");
    LayerNode b = scale("b");
    LayerNode c = scale("c");
    LayerNode d = scale("d", MergeMode.SUB);
    LayerGraph g = LayerGraph.builder().edge(a, b).edge(a, c).edge(b, d).edge(c, d).root(a).term(d).build();

    LayerNode b2 = scale("b2");
    g.replaceNode(b, b2).build();
    assertEquals(List.of(b2, c), g.predecessors(d));
    assertEquals(List.of(b2, c), g.successors(a));
    LayerNode a2 = scale("a2");
    g.replaceNode(a, a2).build();
    assertSame(a2, g.root());

    g.bypassNode(b2).build();
    assertEquals(List.of(a2, c), g.predecessors(d), "the bypassed node's place among the merge inputs");
    LayerNode e = scale("e");
    g.addEdge(d, e).setTerm(e).build();
    g.bypassNode(e).build();
    assertSame(d, g.term());
    assertEquals(List.of(a2, c, d), g.order());

    assertEquals("bypassNode: node 'a2' has 0 predecessors (expected: 1)",
        assertThrows(IllegalArgumentException.class, () -> g.bypassNode(a2)).getMessage());
    assertEquals("replaceNode('a2'): node 'c' is already in the graph",
        assertThrows(IllegalArgumentException.class, () -> g.replaceNode(a2, c)).getMessage());
    assertEquals("replaceNode: node 'zzz' is not in the graph",
        assertThrows(IllegalArgumentException.class, () -> g.replaceNode(scale("zzz"), scale("y"))).getMessage());
  }

  @Test
  void thenJoinsIntoANewGraphTakingTheNodesOfBoth() {
    LayerNode a = scale("a");
    LayerNode b = new LayerNode(new Smooth(), "b");
    LayerNode c = scale("c");
    LayerNode d = new LayerNode(new Mix(3, 2, 3), "d");
    LayerGraph g1 = LayerGraph.builder().edges(a, b).root(a).term(b).build();
    LayerGraph g2 = LayerGraph.builder().edges(c, d).root(c).term(d).build();
    Tensor x = input(1);
    Tensor expected = g2.forward(g1.forward(x, true), true).copy();
    LayerGraph joined = g1.then(g2);
    assertEquals(0.0, maxAbsDiff(expected, joined.forward(x, true)), 0.0);
    assertEquals(List.of(a, b, c, d), joined.order());
    // The parts' structure is unchanged, but their nodes now belong to the joined graph.
    assertEquals(List.of(a, b), g1.nodes());
    assertEquals(List.of(c, d), g2.nodes());
    assertEquals(List.of(), g1.successors(b));
    assertEquals(List.of(), g2.predecessors(c));
    assertEquals(LayerGraph.NOT_BUILT, assertThrows(IllegalStateException.class, g1::order).getMessage());
    assertEquals(GraphValidationException.Kind.OWNED_BY_ANOTHER_GRAPH,
        assertThrows(GraphValidationException.class, g2::build).kind());
    assertSame(joined, a.graph());
    assertChecks(joined, x);
    assertEquals(List.of("a.weight", "a.bias", "c.weight", "c.bias", "d.weight", "d.bias"),
        joined.parameters().stream().map(Parameter::name).toList());
  }

  @Test
  void getPathListsEveryPathInEdgeOrder() {
    LayerNode r = scale("r");
    LayerNode a = scale("a");
    LayerNode b = scale("b");
    LayerNode m = scale("m");
    LayerNode t = scale("t");
    LayerGraph g = LayerGraph.builder().edges(r, a, m, t).edges(r, b, m).edge(r, t).root(r).term(t).build();
    assertEquals(List.of(List.of(r, a, m, t), List.of(r, b, m, t), List.of(r, t)), g.getPath(r, t));
    assertEquals(List.of(List.of(b, m)), g.getPath(b, m));
    assertEquals(List.of(), g.getPath(a, b));
    assertEquals(List.of(List.of(m)), g.getPath(m, m));
  }

  @Test
  void graphsNestAsLayers() {
    LayerNode ia = scale("conv1");
    LayerNode ib = new LayerNode(new Smooth(), "act");
    LayerNode ic = scale("conv2", MergeMode.SUM);
    LayerGraph inner = LayerGraph.builder().edges(ia, ib, ic).edge(ia, ic).root(ia).term(ic).build();
    LayerNode stem = scale("stem");
    LayerNode block = new LayerNode(inner, "block1");
    LayerNode head = new LayerNode(new Mix(3, 2, 4), "head");
    LayerGraph outer = LayerGraph.builder().edges(stem, block, head).root(stem).term(head).build();
    assertEquals(Shape.of(2, 2, 4, 4), outer.outputShape(X));
    assertEquals(List.of("stem.weight", "stem.bias", "block1.conv1.weight", "block1.conv1.bias",
        "block1.conv2.weight", "block1.conv2.bias", "head.weight", "head.bias"),
        outer.parameters().stream().map(Parameter::name).toList());
    assertTrue(outer.summary(X).contains("block1  LayerGraph"), outer.summary(X));
    assertChecks(outer, input(2));
  }

  @Test
  void singleNodeGraph() {
    LayerNode a = scale("only");
    LayerGraph g = LayerGraph.builder().node(a).root(a).term(a).build();
    assertChecks(g, input(1));
    assertEquals(List.of(List.of(a)), g.getPath(a, a));
  }

  @Test
  void chainAndExtendBuildChainsOfNodes() {
    LayerNode a = new LayerNode(new org.autoprop.layer.ReLU(), "a");
    LayerNode b = new LayerNode(new org.autoprop.layer.Tanh(), "b");
    LayerNode c = new LayerNode(new org.autoprop.layer.Sigmoid(), "c");
    LayerGraph abc = LayerGraph.chain(a, b, c);
    assertEquals(List.of(a, b, c), abc.order());
    assertSame(a, abc.root());
    assertSame(c, abc.term());
    LayerNode only = new LayerNode(new org.autoprop.layer.ReLU(), "only");
    assertEquals(List.of(only), LayerGraph.chain(only).order());
    var e = assertThrows(IllegalArgumentException.class, () -> LayerGraph.chain());
    assertEquals("LayerGraph.chain: no nodes (expected: at least one)", e.getMessage());

    LayerNode x = new LayerNode(new org.autoprop.layer.ReLU(), "x");
    LayerNode y = new LayerNode(new org.autoprop.layer.Tanh(), "y");
    LayerNode z = new LayerNode(new org.autoprop.layer.Sigmoid(), "z");
    LayerGraph.Builder g = LayerGraph.builder().root(x);
    assertSame(x, g.extend(x), "nothing to add: the node itself");
    assertSame(z, g.extend(x, y, z));
    assertEquals(List.of(x, y, z), g.term(z).build().order());
  }
}

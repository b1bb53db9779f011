package org.autoprop.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.autoprop.tensor.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Null arguments of the graph package's public methods: a NullPointerException naming the parameter. */
class GraphNullArgumentsTest {
  static final Shape X = Shape.of(2, 3, 4, 4);

  private static void named(String parameter, Executable call) {
    assertEquals(parameter, assertThrows(NullPointerException.class, call).getMessage());
  }

  @Test
  void everyPublicArgumentIsChecked() {
    LayerNode a = new LayerNode(new Scale(3, 1), "a");
    LayerNode b = new LayerNode(new Scale(3, 2), "b");
    LayerGraph g = LayerGraph.builder().edges(a, b).root(a).term(b).build();

    named("layer", () -> new LayerNode(null, "x"));
    named("mode", () -> new LayerNode(new Scale(3, 3), null, "x"));
    named("name", () -> new LayerNode(new Scale(3, 3), null));
    named("layers", () -> new SequentialNode("s", (org.autoprop.layer.Layer[]) null));
    named("graph", () -> new LayerGraph(null, a, b));
    named("root", () -> new LayerGraph(Map.of(a, List.of(b)), null, b));
    named("term", () -> new LayerGraph(Map.of(a, List.of(b)), a, null));
    named("node", () -> LayerGraph.builder().node(null));
    named("from", () -> LayerGraph.builder().edge(null, a));
    named("to", () -> LayerGraph.builder().edge(a, null));
    named("chain[1]", () -> LayerGraph.builder().edges(a, null));
    named("n", () -> LayerGraph.builder().root(null));
    named("n", () -> LayerGraph.builder().term(null));
    named("name", () -> LayerGraph.builder().name(null));
    named("n", () -> g.predecessors(null));
    named("n", () -> g.successors(null));
    named("node", () -> g.addNode(null, List.of(), List.of()));
    named("prev", () -> g.addNode(new LayerNode(new Scale(3, 4), "c"), null, List.of()));
    named("node", () -> g.removeNode(null));
    named("from", () -> g.addEdge(null, b));
    named("to", () -> g.removeEdge(a, null));
    named("n", () -> g.setRoot(null));
    named("next", () -> g.then(null));
    named("start", () -> g.getPath(null, b));
    named("input", () -> g.outputShape(null));
    named("x", () -> g.forward(null, true));
    named("gradOut", () -> g.backward(null));
    named("optimizer", () -> g.setOptimizer(null));
    named("input", () -> g.summary(null));
    named("graph", () -> GraphSummary.of(null, X));
    named("inputs", () -> MergeMode.SUM.outputShape(null));
  }
}

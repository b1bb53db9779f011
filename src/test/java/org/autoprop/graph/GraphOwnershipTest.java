package org.autoprop.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.autoprop.graph.GraphValidationException.Kind;
import org.autoprop.layer.Identity;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** A node (or nested graph) belongs to one built graph; a graph may not contain itself. */
class GraphOwnershipTest {
  static final Shape X = Shape.of(2, 3, 4, 4);
  private long seeds = 900;

  private LayerNode scale(String name) {
    return new LayerNode(new Scale(3, seeds++), name);
  }

  @Test
  void aNodeInASecondBuiltGraphIsRejectedNamingBothGraphs() {
    LayerNode shared = scale("shared");
    LayerNode b = scale("b");
    LayerNode c = scale("c");
    LayerGraph first = LayerGraph.builder().name("first").edges(shared, b).root(shared).term(b).build();
    GraphValidationException e = assertThrows(GraphValidationException.class,
        () -> LayerGraph.builder().name("second").edges(shared, c).root(shared).term(c).build());
    assertEquals(Kind.OWNED_BY_ANOTHER_GRAPH, e.kind());
    assertEquals(List.of("shared"), e.nodes());
    assertTrue(e.getMessage().startsWith("LayerGraph 'second': node 'shared' (Scale) already belongs to the built "
        + "LayerGraph 'first' (a layer keeps the state of its latest forward"), e.getMessage());
    assertTrue(e.getMessage().endsWith("call clear() on the other graph first, e.g. node.graph().clear() if you no longer hold it)"), e.getMessage());
    assertSame(first, shared.graph());
    first.forward(Tensor.uniform(X, -1, 1, 1), true); // the first graph is untouched
  }

  @Test
  void unnamedGraphsAreNamedByRootTermAndIdentity() {
    LayerNode shared = scale("shared");
    LayerNode b = scale("b");
    LayerGraph.builder().edges(shared, b).root(shared).term(b).build();
    LayerNode c = scale("c");
    GraphValidationException e = assertThrows(GraphValidationException.class,
        () -> LayerGraph.builder().edges(shared, c).root(shared).term(c).build());
    assertTrue(e.getMessage().matches("LayerGraph\\(shared -> c\\)@[0-9a-f]+: node 'shared' \\(Scale\\) already "
        + "belongs to the built LayerGraph\\(shared -> b\\)@[0-9a-f]+ .*"), e.getMessage());
  }

  @Test
  void clearReleasesTheNodes() {
    LayerNode shared = scale("shared");
    LayerNode b = scale("b");
    LayerNode c = scale("c");
    LayerGraph first = LayerGraph.builder().name("first").edges(shared, b).root(shared).term(b).build();
    LayerGraph.Builder secondBuilder = LayerGraph.builder().name("second").edges(shared, c).root(shared).term(c);
    first.clear();
    assertNull(shared.graph());
    LayerGraph second = secondBuilder.build();
    assertSame(second, shared.graph());
    GraphValidationException e = assertThrows(GraphValidationException.class, first::build);
    assertTrue(e.getMessage().startsWith("LayerGraph 'first': node 'shared' (Scale) already belongs to the built "
        + "LayerGraph 'second'"), e.getMessage());
  }

  @Test
  void rebuildingAndEditingKeepOwnership() {
    LayerNode a = scale("a");
    LayerNode b = scale("b");
    LayerNode extra = scale("extra");
    LayerGraph g = LayerGraph.builder().edges(a, b).root(a).term(b).build();
    g.build(); // a graph may rebuild its own nodes
    g.addNode(extra, List.of(b), List.of()).setTerm(extra).build();
    assertSame(g, extra.graph());
    g.removeNode(extra).setTerm(b).build();
    assertNull(extra.graph(), "a removed node is released");
    LayerNode c = scale("c");
    LayerGraph.builder().edges(extra, c).root(extra).term(c).build();
  }

  @Test
  void aNestedGraphInASecondBuiltGraphIsRejected() {
    LayerNode ia = scale("ia");
    LayerGraph inner = LayerGraph.builder().name("inner").node(ia).root(ia).term(ia).build();
    LayerNode s1 = scale("s1");
    LayerNode block = new LayerNode(inner, "block");
    LayerGraph outer1 = LayerGraph.builder().name("outer1").edges(s1, block).root(s1).term(block).build();
    LayerNode s2 = scale("s2");
    LayerNode block2 = new LayerNode(inner, "again");
    GraphValidationException e = assertThrows(GraphValidationException.class,
        () -> LayerGraph.builder().name("outer2").edges(s2, block2).root(s2).term(block2).build());
    assertEquals(Kind.OWNED_BY_ANOTHER_GRAPH, e.kind());
    assertEquals(List.of("again"), e.nodes());
    assertTrue(e.getMessage().startsWith("LayerGraph 'outer2': node 'again' holds LayerGraph 'inner', which is "
        + "already a layer of the built LayerGraph 'outer1'"), e.getMessage());
    // Inside a Sequential too.
    LayerNode s3 = scale("s3");
    LayerNode seq = new SequentialNode("seq", new Identity(), inner);
    e = assertThrows(GraphValidationException.class,
        () -> LayerGraph.builder().name("outer3").edges(s3, seq).root(s3).term(seq).build());
    assertEquals(List.of("seq"), e.nodes());
    outer1.clear();
    LayerGraph.builder().name("outer3").edges(s3, seq).root(s3).term(seq).build().forward(Tensor.uniform(X, -1, 1, 2),
        true);
  }

  @Test
  void aGraphAddedAsItsOwnNodeIsRejected() {
    LayerNode a = scale("a");
    LayerNode b = scale("b");
    LayerGraph g = LayerGraph.builder().name("loop").edges(a, b).root(a).term(b).build();
    LayerNode self = new LayerNode(g, "self");
    g.addNode(self, List.of(b), List.of()).setTerm(self);
    GraphValidationException e = assertThrows(GraphValidationException.class, g::build);
    assertEquals(Kind.CONTAINS_ITSELF, e.kind());
    assertEquals(List.of("self"), e.nodes());
    assertEquals("LayerGraph 'loop' contains itself: the layer at 'self' is this graph (a graph cannot be a layer "
        + "inside itself: it would recurse forever)", e.getMessage());
  }

  @Test
  void aGraphContainingItselfThroughNestingIsRejectedWithThePath() {
    LayerNode a = scale("a");
    LayerNode b = scale("b");
    LayerGraph g = LayerGraph.builder().name("g").edges(a, b).root(a).term(b).build();
    LayerNode x = scale("x");
    LayerNode holder = new SequentialNode("holder", new Identity(), g);
    LayerGraph outer = LayerGraph.builder().name("outer").edges(x, holder).root(x).term(holder).build();
    LayerNode back = new LayerNode(outer, "back");
    g.addNode(back, List.of(b), List.of()).setTerm(back);
    GraphValidationException e = assertThrows(GraphValidationException.class, g::build);
    assertEquals(Kind.CONTAINS_ITSELF, e.kind());
    assertEquals(List.of("back", "holder", "1"), e.nodes());
    assertEquals("LayerGraph 'g' contains itself: the layer at 'back' -> 'holder' -> '1' is this graph (a graph "
        + "cannot be a layer inside itself: it would recurse forever)", e.getMessage());
  }
}

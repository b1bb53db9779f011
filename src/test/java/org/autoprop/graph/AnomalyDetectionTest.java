package org.autoprop.graph;

import static org.autoprop.testing.TestTensors.maxAbsDiff;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.autoprop.layer.Identity;
import org.autoprop.layer.Layer;
import org.autoprop.layer.Parameter;
import org.autoprop.layer.Sequential;
import org.autoprop.tensor.NonFiniteException;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Anomaly detection: the first non-finite output or gradient is named by node, tensor, index and
 * value; a tensor written between forward and backward is caught; off by default.
 */
class AnomalyDetectionTest {
  static final Shape X = Shape.of(2, 3, 4, 4);
  private static final int PLANE = 16; // elements per channel of X

  private long seeds = 500;

  private LayerNode scale(String name) {
    return new LayerNode(new Scale(3, seeds++), name);
  }

  private static Tensor param(Layer l, String name) {
    for (Parameter p : l.parameters()) {
      if (p.name().equals(name)) {
        return p.value();
      }
    }
    throw new AssertionError("no parameter " + name);
  }

  private static Tensor grad(Layer l, String name) {
    for (Parameter p : l.parameters()) {
      if (p.name().equals(name)) {
        return p.grad();
      }
    }
    throw new AssertionError("no parameter " + name);
  }

  /** a -> b -> c, with b's weight of channel 1 set to {@code bad}. */
  private LayerGraph chainWithBadMiddle(float bad) {
    LayerNode a = scale("a");
    LayerNode b = scale("b");
    LayerNode c = scale("c");
    param(b.layer(), "weight").set(bad, 1);
    return LayerGraph.builder().name("chain").edges(a, b, c).root(a).term(c).build();
  }

  @Test
  void aNanWeightInAMiddleNodeIsNamedAtItsOutput() {
    LayerGraph g = chainWithBadMiddle(Float.NaN);
    g.detectAnomalies(true);
    NonFiniteException e = assertThrows(NonFiniteException.class, () -> g.forward(Tensor.uniform(X, -1, 1, 1), true));
    assertEquals("b", e.node());
    assertEquals("Scale", e.layerKind());
    assertEquals("output", e.what());
    assertEquals(PLANE, e.index(), "the first element of channel 1 of sample 0");
    assertTrue(Float.isNaN(e.value()));
    assertEquals("NaN at index 16 [0, 1, 0, 0] of the output [2, 3, 4, 4] of node 'b' (Scale)", e.getMessage());
  }

  @Test
  void offByDefaultTheNanFlowsThrough() {
    LayerGraph g = chainWithBadMiddle(Float.NaN);
    Tensor y = g.forward(Tensor.uniform(X, -1, 1, 1), true);
    assertTrue(NonFiniteException.firstNonFinite(y) >= 0, "the NaN reaches the output unchecked");
    g.backward(Tensor.full(X, 1f)); // and backward runs without a check too
    g.detectAnomalies(true);
    assertThrows(NonFiniteException.class, () -> g.forward(Tensor.uniform(X, -1, 1, 1), true));
    g.detectAnomalies(false);
    g.forward(Tensor.uniform(X, -1, 1, 1), true);
  }

  @Test
  void anInfiniteInputGradientIsNamed() {
    // x = 1e-30 -> a (w 1) -> b (w 1e30) -> c (w 1e30): outputs 1e-30, 1, 1e30 are finite; the
    // gradient reaching b is 1e30, so b's input gradient 1e30 * 1e30 overflows.
    LayerNode a = scale("a");
    LayerNode b = scale("b");
    LayerNode c = scale("c");
    float[] w = {1f, 1e30f, 1e30f};
    LayerNode[] ns = {a, b, c};
    for (int i = 0; i < 3; i++) {
      param(ns[i].layer(), "weight").fill(w[i]);
      param(ns[i].layer(), "bias").fill(0f);
    }
    LayerGraph g = LayerGraph.builder().edges(a, b, c).root(a).term(c).build();
    g.detectAnomalies(true);
    Tensor y = g.forward(Tensor.full(X, 1e-30f), true);
    assertEquals(-1, NonFiniteException.firstNonFinite(y));
    NonFiniteException e = assertThrows(NonFiniteException.class, () -> g.backward(Tensor.full(X, 1f)));
    assertEquals("b", e.node());
    assertEquals("input gradient", e.what());
    assertEquals(0, e.index());
    assertEquals(Float.POSITIVE_INFINITY, e.value());
    assertEquals("Infinity at index 0 [0, 0, 0, 0] of the input gradient [2, 3, 4, 4] of node 'b' (Scale)",
        e.getMessage());
  }

  @Test
  void anInfiniteParameterGradientIsNamed() {
    LayerGraph g = chainWithBadMiddle(0.5f);
    LayerNode b = g.nodes().get(1);
    grad(b.layer(), "weight").set(Float.NEGATIVE_INFINITY, 2); // e.g. accumulated by an earlier step
    g.detectAnomalies(true);
    g.forward(Tensor.uniform(X, -1, 1, 1), true);
    NonFiniteException e = assertThrows(NonFiniteException.class, () -> g.backward(Tensor.full(X, 1f)));
    assertEquals("b", e.node());
    assertEquals("gradient of parameter 'weight'", e.what());
    assertEquals(2, e.index());
    assertEquals(Float.NEGATIVE_INFINITY, e.value());
    assertEquals("-Infinity at index 2 [2] of the gradient of parameter 'weight' [3] of node 'b' (Scale)",
        e.getMessage());
  }

  @Test
  void aNonFiniteGraphInputIsNamedAtTheRoot() {
    LayerGraph g = chainWithBadMiddle(0.5f);
    g.detectAnomalies(true);
    Tensor x = Tensor.uniform(X, -1, 1, 1);
    x.set(Float.POSITIVE_INFINITY, 1, 2, 3, 0);
    NonFiniteException e = assertThrows(NonFiniteException.class, () -> g.forward(x, true));
    assertEquals("a", e.node());
    assertEquals("input", e.what());
    assertEquals(48 + 32 + 12, e.index());
  }

  @Test
  void nestedGraphsAndSequentialsNameThePath() {
    LayerNode ia = scale("conv1");
    LayerNode ib = scale("conv2");
    param(ib.layer(), "weight").set(Float.NaN, 0);
    LayerGraph inner = LayerGraph.builder().edges(ia, ib).root(ia).term(ib).build();
    LayerNode stem = scale("stem");
    LayerNode block = new LayerNode(inner, "block1");
    LayerGraph outer = LayerGraph.builder().edges(stem, block).root(stem).term(block).build();
    outer.detectAnomalies(true); // reaches the nested graph
    NonFiniteException e = assertThrows(NonFiniteException.class, () -> outer.forward(Tensor.uniform(X, -1, 1, 2), true));
    assertEquals("block1.conv2", e.node());
    assertEquals("output", e.what());

    Scale bad = new Scale(3, 9);
    param(bad, "bias").set(Float.NaN, 2);
    LayerNode seq = new SequentialNode("seq", new Identity(), bad);
    LayerNode head = scale("head");
    LayerGraph g = LayerGraph.builder().edges(seq, head).root(seq).term(head).build();
    g.detectAnomalies(true);
    e = assertThrows(NonFiniteException.class, () -> g.forward(Tensor.uniform(X, -1, 1, 2), true));
    assertEquals("seq.1", e.node());
    assertEquals("Scale", e.layerKind());
    assertEquals(2 * PLANE, e.index());
  }

  @Test
  void aSequentialAloneNamesItsChild() {
    Scale a = new Scale(3, 1);
    Scale b = new Scale(3, 2);
    Sequential s = new Sequential(a, b);
    grad(a, "bias").set(Float.NaN, 0);
    s.detectAnomalies(true);
    s.forward(Tensor.uniform(X, -1, 1, 3), true);
    NonFiniteException e = assertThrows(NonFiniteException.class, () -> s.backward(Tensor.full(X, 1f)));
    assertEquals("0", e.node());
    assertEquals("gradient of parameter 'bias'", e.what());
  }

  @Test
  void anInputWrittenBetweenForwardAndBackwardIsCaught() {
    LayerGraph g = chainWithBadMiddle(0.5f);
    g.detectAnomalies(true);
    Tensor x = Tensor.uniform(X, -1, 1, 4);
    g.forward(x, true);
    x.set(7f, 0, 0, 0, 0);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> g.backward(Tensor.full(X, 1f)));
    assertTrue(e.getMessage().startsWith("LayerGraph 'chain': the input [2, 3, 4, 4] of node 'a' (Scale) changed "
        + "between forward and backward"), e.getMessage());
    assertTrue(e.getMessage().contains("must not be written until its backward has run"), e.getMessage());
  }

  @Test
  void theOutputWrittenBetweenForwardAndBackwardIsCaught() {
    LayerGraph g = chainWithBadMiddle(0.5f);
    g.detectAnomalies(true);
    Tensor y = g.forward(Tensor.uniform(X, -1, 1, 4), true);
    y.set(y.get(1, 1, 1, 1) + 1f, 1, 1, 1, 1);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> g.backward(Tensor.full(X, 1f)));
    assertTrue(e.getMessage().startsWith("LayerGraph 'chain': the output [2, 3, 4, 4] of node 'c' (Scale) changed"),
        e.getMessage());
  }

  @Test
  void aNodeOutputWrittenByAnotherLayerIsCaught() {
    // A layer that breaks the contract: writes into its input during backward.
    Layer vandal = new Layer() {
      Tensor in;

      @Override
      public Shape outputShape(Shape input) {
        return input;
      }

      @Override
      public Tensor forward(Tensor x, boolean training) {
        in = x;
        return x.copy();
      }

      @Override
      public Tensor backward(Tensor gradOut) {
        in.fill(0f);
        return gradOut;
      }
    };
    LayerNode a = scale("a");
    LayerNode v = new LayerNode(vandal, "vandal");
    LayerNode b = scale("b");
    LayerGraph g = LayerGraph.builder().edges(a, v, b).root(a).term(b).build();
    g.detectAnomalies(true);
    g.forward(Tensor.uniform(X, -1, 1, 5), true);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> g.backward(Tensor.full(X, 1f)));
    // The vandal zeroed a's output after its own check; it is found before a's backward runs.
    assertTrue(e.getMessage().startsWith("LayerGraph(a -> b)@"), e.getMessage());
    assertTrue(e.getMessage().contains(": the output [2, 3, 4, 4] of node 'a' (Scale) changed between forward and "
        + "backward"), e.getMessage());
  }

  @Test
  void checkedPassGivesTheSameNumbers() {
    LayerGraph g = chainWithBadMiddle(0.5f);
    Tensor x = Tensor.uniform(X, -1, 1, 6);
    Tensor y1 = g.forward(x, true).copy();
    Tensor gx1 = g.backward(Tensor.full(X, 1f)).copy();
    g.detectAnomalies(true);
    assertEquals(0.0, maxAbsDiff(y1, g.forward(x, true)), 0.0);
    assertEquals(0.0, maxAbsDiff(gx1, g.backward(Tensor.full(X, 1f))), 0.0);
    // The training loop's backward without the input gradient: the root may return null.
    g.forward(x, true);
    Tensor none = g.backward(Tensor.full(X, 1f), false);
    assertTrue(none == null || none.shape().equals(X));
  }

  @Test
  void nonFiniteExceptionAccessorsForAPlainMessage() {
    NonFiniteException e = new NonFiniteException("loaded weights hold a NaN");
    assertNull(e.node());
    assertNull(e.what());
    assertEquals(-1, e.index());
    assertEquals(e, e.withNodePrefix("outer"));
  }
}

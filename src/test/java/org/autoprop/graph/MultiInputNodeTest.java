package org.autoprop.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.autoprop.graph.GraphValidationException.Kind;
import org.autoprop.layer.GradCheck;
import org.autoprop.layer.Identity;
import org.autoprop.layer.MultiHeadAttention;
import org.autoprop.layer.Parameter;
import org.autoprop.layer.ScaledDotProductAttention;
import org.autoprop.layer.Tanh;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.viz.GraphExport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Nodes whose layer takes several ordered inputs (attention's query, key, value). */
class MultiInputNodeTest {

  /** in -> enc (self-attention) and in -> dec (tanh); cross = MHA(query: dec, key/value: enc). */
  static LayerGraph crossAttention(int d, int heads, long seed) {
    LayerNode in = new LayerNode(new Identity(), "in");
    LayerNode enc = new LayerNode(MultiHeadAttention.builder(d, heads).seed(seed).build(), "enc");
    LayerNode dec = new LayerNode(new Tanh(), "dec");
    LayerNode cross = new LayerNode(MultiHeadAttention.builder(d, heads).seed(seed + 1).build(), "cross");
    return LayerGraph.builder().edge(in, enc).edge(in, dec).edge(dec, cross).edge(enc, cross)
        .root(in).term(cross).build();
  }

  @Test
  void aNodeReceivesItsInputsUnmergedInEdgeOrder() {
    LayerGraph g = crossAttention(4, 2, 1);
    LayerNode enc = g.nodes().get(1);
    LayerNode dec = g.nodes().get(2);
    LayerNode cross = g.nodes().get(3);
    assertEquals(List.of(dec, enc), g.predecessors(cross));
    Tensor x = Tensor.uniform(Shape.of(2, 3, 4), -1, 1, 5);
    Tensor y = g.forward(x, true).copy();
    // The same computation by hand: query = tanh(x), key/value = enc(x).
    MultiHeadAttention e = (MultiHeadAttention) enc.layer();
    MultiHeadAttention c = (MultiHeadAttention) cross.layer();
    Tensor kv = e.forward(x, true).copy();
    Tensor q = new Tanh().forward(x, true).copy();
    Tensor want = c.forward(List.of(q, kv), true);
    assertEquals(0, org.autoprop.testing.TestTensors.maxAbsDiff(want, y));
    assertEquals(Shape.of(2, 3, 4), g.outputShape(x.shape()));
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#seeds")
  void gradCheckOfAGraphWithCrossAttention(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int heads = 1 + r.nextInt(2);
    int d = heads * (1 + r.nextInt(3));
    LayerGraph g = crossAttention(d, heads, seed);
    for (Parameter p : g.parameters()) {
      if (p.name().endsWith("weight")) {
        p.value().copyFrom(Tensor.uniform(p.value().shape(), -1, 1, seed + p.name().hashCode()));
      }
    }
    Tensor x = Tensor.uniform(Shape.of(1 + r.nextInt(2), 1 + r.nextInt(4), d), -1, 1, seed);
    GradCheck.Report rep = GradCheck.forLayer(g).training(false).seed(seed).check(x);
    assertTrue(rep.passed(), rep::toString);
  }

  @Test
  void threeInputsAndAnomalyDetection() {
    LayerNode in = new LayerNode(new Identity(), "in");
    LayerNode a = new LayerNode(new Tanh(), "a");
    LayerNode b = new LayerNode(new Identity(), "b");
    LayerNode att = new LayerNode(new ScaledDotProductAttention(), "att");
    LayerGraph g = LayerGraph.builder().edge(in, a).edge(in, b).edge(in, att).edge(a, att).edge(b, att)
        .root(in).term(att).build();
    g.detectAnomalies(true);
    Tensor x = Tensor.uniform(Shape.of(2, 2, 3, 4), -1, 1, 1);
    g.forward(x, true);
    GradCheck.Report rep = GradCheck.forLayer(g).training(false).check(x);
    assertTrue(rep.passed(), rep::toString);
    g.forward(x, true);
    x.data()[0] += 1; // the graph input, read by att as its query, changes before backward
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> g.backward(Tensor.zeros(2, 2, 3, 4)));
    assertTrue(e.getMessage().contains("att") || e.getMessage().contains("in"), e.getMessage());
  }

  @Test
  void buildRejectsAMergeModeOrAnInputCountTheLayerCannotTake() {
    LayerNode in = new LayerNode(new Identity(), "in");
    LayerNode a = new LayerNode(new Tanh(), "a");
    LayerNode att = new LayerNode(new MultiHeadAttention(4, 1), MergeMode.CHCAT, "att");
    GraphValidationException e = assertThrows(GraphValidationException.class,
        () -> LayerGraph.builder().edge(in, a).edge(in, att).edge(a, att).root(in).term(att).build());
    assertEquals(Kind.MULTI_INPUT_MODE, e.kind());
    assertTrue(e.getMessage().contains("'att'") && e.getMessage().contains("CHCAT"), e.getMessage());

    LayerNode i2 = new LayerNode(new Identity(), "in");
    LayerNode[] ps = new LayerNode[4];
    LayerGraph.Builder b = LayerGraph.builder().root(i2);
    LayerNode att2 = new LayerNode(new MultiHeadAttention(4, 1), "att");
    for (int i = 0; i < 4; i++) {
      ps[i] = new LayerNode(new Tanh(), "p" + i);
      b.edge(i2, ps[i]).edge(ps[i], att2);
    }
    e = assertThrows(GraphValidationException.class, () -> b.term(att2).build());
    assertEquals(Kind.MULTI_INPUT_ARITY, e.kind());
    assertTrue(e.getMessage().contains("'att'") && e.getMessage().contains("4 inputs")
        && e.getMessage().contains("1 to 3 inputs"), e.getMessage());
  }

  @Test
  void shapeErrorsNameTheNodeAndItsInputs() {
    LayerNode in = new LayerNode(new Identity(), "in");
    LayerNode a = new LayerNode(new Tanh(), "a");
    LayerNode att = new LayerNode(new MultiHeadAttention(4, 1), "att");
    LayerGraph g = LayerGraph.builder().edge(in, a).edge(in, att).edge(a, att).root(in).term(att).build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> g.outputShape(Shape.of(2, 3, 5)));
    assertTrue(e.getMessage().contains("node 'att'") && e.getMessage().contains("'a' [2, 3, 5]"), e.getMessage());
  }

  @Test
  void summaryAndExportShowTheOrderedInputs() {
    LayerGraph g = crossAttention(4, 2, 3);
    String table = g.summary(Shape.of(2, 3, 4));
    assertTrue(table.contains("cross") && table.contains("dec, enc"), table);
    assertTrue(GraphSummary.of(g, Shape.of(2, 3, 4)).flops() > 0);
    String dot = GraphExport.toDot(g, Shape.of(2, 3, 4));
    assertTrue(dot.contains("inputs in edge order") && dot.contains("[label=\"0\"]") && dot.contains("[label=\"1\"]"), dot);
  }
}

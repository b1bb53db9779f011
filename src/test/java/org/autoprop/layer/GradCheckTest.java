package org.autoprop.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.autoprop.graph.LayerGraph;
import org.autoprop.graph.LayerNode;
import org.autoprop.graph.MergeMode;
import org.autoprop.graph.SequentialNode;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * GradCheck's verdict: PASS with a margin on the README's quick start graph and on a 12-node net
 * at default settings, FAIL naming the tensor when a backward is 10% off, the tolerance printed.
 */
class GradCheckTest {

  /** The README's quick start graph 3: three conv + ReLU branches joined by CHCAT. */
  static LayerGraph quickStart() {
    LayerNode root = new LayerNode(new Identity(), "root");
    LayerNode cat = new LayerNode(new Identity(), MergeMode.CHCAT, "term");
    LayerNode b1 = new SequentialNode("branch_1", new Conv2D(3, 6, 3), new ReLU());
    LayerNode b2 = new SequentialNode("branch_2", new Conv2D(3, 12, 3), new ReLU());
    LayerNode b3 = new SequentialNode("branch_3", new Conv2D(3, 18, 3), new ReLU());
    Map<LayerNode, List<LayerNode>> g3 = new LinkedHashMap<>();
    g3.put(root, List.of(b1, b2, b3));
    g3.put(b1, List.of(cat));
    g3.put(b2, List.of(cat));
    g3.put(b3, List.of(cat));
    return new LayerGraph(g3, root, cat).build();
  }

  /**
   * Twelve nodes: conv, max pooling, BatchNorm, ReLU, two convs, SUM, HADAMARD, CHCAT, global
   * average pooling, flatten, dense; {@code extra}, when given, between flatten and dense.
   */
  /** Seeded, so that what a test checks does not depend on which tests ran before it. */
  static LayerGraph twelveNodes(Layer extra) {
    LayerNode stem = new LayerNode(Conv2D.builder(3, 8).kernel(3).seed(11).build(), "stem");
    LayerNode pool = new LayerNode(Pool2D.max(2), "pool");
    LayerNode bn = new LayerNode(new BatchNorm2D(8), "bn");
    LayerNode relu = new LayerNode(new ReLU(), "relu");
    LayerNode a = new LayerNode(Conv2D.builder(8, 8).kernel(3).seed(12).build(), "a");
    LayerNode b = new LayerNode(Conv2D.builder(8, 8).kernel(3).seed(13).build(), "b");
    LayerNode sum = new LayerNode(new Identity(), MergeMode.SUM, "sum");
    LayerNode had = new LayerNode(new Identity(), MergeMode.HADAMARD, "had");
    LayerNode cat = new LayerNode(new Identity(), MergeMode.CHCAT, "cat");
    LayerNode gap = new LayerNode(new GlobalAvgPool2D(), "gap");
    LayerNode flat = new LayerNode(new Flatten(), "flat");
    LayerNode dense = new LayerNode(Dense.builder(16, 10).seed(14).build(), "dense");
    LayerGraph.Builder g = LayerGraph.builder()
        .edges(stem, pool, bn, relu, a, sum).edge(relu, sum).edge(relu, b).edge(b, had).edge(sum, had)
        .edge(sum, cat).edge(had, cat).edges(cat, gap, flat);
    if (extra == null) {
      g.edge(flat, dense);
    } else {
      LayerNode wrong = new LayerNode(extra, "wrong");
      g.edges(flat, wrong, dense);
    }
    return g.root(stem).term(dense).build();
  }

  /**
   * {@code y = x * w} with {@code w} broadcast along the last axis; the backward of {@code w} (or
   * of the input) is 10% too large.
   */
  static final class OffByTenPercent implements Layer {
    private final Parameter w;
    private final float input;
    private final float weight;
    private Tensor x;

    OffByTenPercent(int features, boolean wrongInput) {
      this(features, wrongInput ? 1.1f : 1f, wrongInput ? 1f : 1.1f);
    }

    /** Backward scaled by {@code input} (input gradient) and {@code weight} (weight gradient). */
    OffByTenPercent(int features, float input, float weight) {
      Tensor v = Tensor.uniform(Shape.of(features), 0.5f, 1.5f, 3);
      this.w = new Parameter("scale", v);
      this.input = input;
      this.weight = weight;
    }

    @Override
    public Shape outputShape(Shape input) {
      return input;
    }

    @Override
    public Tensor forward(Tensor in, boolean training) {
      x = in.copy();
      Tensor y = in.copy();
      int n = w.value().size();
      for (int i = 0; i < y.size(); i++) {
        y.data()[i] = x.data()[i] * w.value().data()[i % n];
      }
      return y;
    }

    @Override
    public Tensor backward(Tensor gradOut) {
      Tensor g = gradOut.copy();
      Tensor gx = x.copy();
      int n = w.value().size();
      for (int i = 0; i < gx.size(); i++) {
        gx.data()[i] = input * g.data()[i] * w.value().data()[i % n];
        w.grad().data()[i % n] += weight * g.data()[i] * x.data()[i];
      }
      return gx;
    }

    @Override
    public List<Parameter> parameters() {
      return List.of(w);
    }
  }

  @Test
  void quickStartPassesWithAMargin() {
    GradCheck.Report r = GradCheck.forLayer(quickStart()).check(Tensor.uniform(Shape.of(2, 3, 8, 8), -1f, 1f, 7));
    assertTrue(r.passed(), r::toString);
    assertTrue(r.worst().ratio() < 0.9, r::toString);
    assertTrue(4 * r.skipped() < r.checked(), r::toString);
    assertTrue(r.toString().contains("PASS: |numeric - analytic| <= atol + 1.0e-02 * max(|numeric|, |analytic|)"), r::toString);
  }

  @Test
  void twelveNodeNetPassesWithAMargin() {
    for (long seed = 1; seed <= 2; seed++) {
      GradCheck.Report r = GradCheck.forLayer(twelveNodes(null)).seed(seed)
          .check(Tensor.uniform(Shape.of(4, 3, 8, 8), -1f, 1f, seed));
      assertEquals(11, r.entries().size(), r::toString);
      assertTrue(r.passed(), r::toString);
      assertTrue(r.worst().ratio() < 0.9, r::toString);
      assertTrue(4 * r.skipped() < r.checked(), r::toString);
    }
  }

  @Test
  void aParameterGradientTenPercentOffFailsAndIsNamed() {
    GradCheck.Report r = GradCheck.forLayer(twelveNodes(new OffByTenPercent(16, false)))
        .check(Tensor.uniform(Shape.of(4, 3, 8, 8), -1f, 1f, 1));
    assertFalse(r.passed(), r::toString);
    assertEquals(List.of("wrong.scale"), r.failedTensors(), r::toString);
    GradCheck.Element worst = r.worst();
    assertNotNull(worst);
    assertEquals("wrong.scale", worst.tensor());
    assertEquals(GradCheck.Status.FAIL, worst.status());
    assertEquals(0.1, Math.abs(worst.analytic() / worst.numeric() - 1), 0.01, worst::toString);
    assertTrue(r.toString().contains("FAIL: |numeric - analytic| <= atol + 1.0e-02"), r::toString);
    assertTrue(r.verdict().contains("failed: wrong.scale"), r::verdict);
  }

  @Test
  void anInputGradientTenPercentOffFailsOnALayerAlone() {
    GradCheck.Report r = GradCheck.forLayer(new OffByTenPercent(5, true)).check(Tensor.uniform(Shape.of(3, 5), -1f, 1f, 2));
    assertFalse(r.passed(), r::toString);
    assertEquals(List.of("input"), r.failedTensors(), r::toString);
    assertEquals(15, r.entries().get(0).failed(), r::toString);
    // The same layer with a right backward passes: the failure is the 10%, not the layer.
    GradCheck.Report right = GradCheck.forLayer(new OffByTenPercent(5, 1f, 1f)).check(Tensor.uniform(Shape.of(3, 5), -1f, 1f, 2));
    assertTrue(right.passed(), right::toString);
  }

  @Test
  void theToleranceIsAParameterAndAStricterOneCanFail() {
    GradCheck.Report r = GradCheck.forLayer(new OffByTenPercent(5, true)).tolerance(0.2)
        .check(Tensor.uniform(Shape.of(3, 5), -1f, 1f, 2));
    assertTrue(r.passed(), r::toString);
    assertEquals(0.2, r.tolerance());
    assertTrue(r.toString().contains("PASS: |numeric - analytic| <= atol + 2.0e-01"), r::toString);
    assertFalse(r.passed(0.05), r::toString);
  }

  @Test
  void aKinkIsSkippedNotFailed() {
    // ReLU at exactly 0: the one-sided slopes are 0 and 1, the central difference 0.5.
    Tensor x = Tensor.uniform(Shape.of(2, 4), 0.2f, 1f, 4);
    x.data()[3] = 0f;
    GradCheck.Report r = GradCheck.forLayer(new ReLU()).check(x);
    assertTrue(r.passed(), r::toString);
    assertEquals(1, r.skipped(), r::toString);
    assertFalse(GradCheck.forLayer(new ReLU()).skipKinks(false).check(x).passed());
  }

  @Test
  void rejectsBadSettings() {
    GradCheck c = GradCheck.forLayer(new ReLU());
    assertEquals("epsilon: 0.0 (expected: > 0 and <= 0.5)",
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> c.epsilon(0)).getMessage());
    assertEquals("tolerance: -1.0 (expected: >= 0 and < 1)",
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> c.tolerance(-1)).getMessage());
    org.junit.jupiter.api.Assertions.assertThrows(NullPointerException.class, () -> GradCheck.forLayer(null));
  }
}

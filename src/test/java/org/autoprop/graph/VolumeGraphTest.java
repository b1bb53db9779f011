package org.autoprop.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.autoprop.io.StateDict;
import org.autoprop.layer.BatchNorm3D;
import org.autoprop.layer.Conv3D;
import org.autoprop.layer.GradCheck;
import org.autoprop.layer.Identity;
import org.autoprop.layer.Parameter;
import org.autoprop.layer.Pool3D;
import org.autoprop.layer.ReLU;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.testing.Conformance;
import org.autoprop.train.Sgd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rank-5 tensors through a LayerGraph: Conv3D, BatchNorm3D, a SUM shortcut, a CHCAT on channels and
 * a Pool3D; shape inference, summary and FLOPs, finite differences of the whole graph, an SGD step,
 * and the state dict round trip.
 */
class VolumeGraphTest {
  private static final Shape X = Shape.of(2, 2, 4, 6, 5);

  @TempDir Path dir;

  /**
   * {@code conv -> bn -> relu -> add(SUM with conv) -> [a (1x1x1, 4->3), b (3x3x3, 4->5)] -> cat
   * (CHCAT, then MaxPool3D 2)}: output [N, 8, D/2, H/2, W/2].
   */
  static LayerGraph graph(long seed) {
    LayerNode conv = new LayerNode(Conv3D.builder(2, 4).kernel(3).padding("same").seed(seed).build(), "conv");
    LayerNode bn = new LayerNode(new BatchNorm3D(4), "bn");
    LayerNode relu = new LayerNode(new ReLU(), "relu");
    LayerNode add = new LayerNode(new Identity(), MergeMode.SUM, "add");
    LayerNode a = new LayerNode(Conv3D.builder(4, 3).kernel(1).seed(seed + 1).build(), "a");
    LayerNode b = new LayerNode(Conv3D.builder(4, 5).kernel(3).padding(1).seed(seed + 2).build(), "b");
    LayerNode cat = new LayerNode(Pool3D.max(2), MergeMode.CHCAT, "cat");
    return LayerGraph.builder().edges(conv, bn, relu, add).edge(conv, add).edges(add, a, cat).edges(add, b, cat)
        .root(conv).term(cat).build();
  }

  @Test
  void shapesSummaryAndFlops() {
    LayerGraph g = graph(1);
    assertEquals(Shape.of(2, 8, 2, 3, 2), g.outputShape(X));
    assertEquals(Shape.of(2, 8, 2, 3, 2), g.forward(Tensor.uniform(X, -1, 1, 2), true).shape());
    GraphSummary s = GraphSummary.of(g, X);
    long volume = 2L * 4 * 6 * 5;
    long conv = 2 * volume * 4 * 2 * 27;
    long a = 2 * volume * 3 * 4;
    long b = 2 * volume * 5 * 4 * 27;
    GraphSummary.Row add = s.rows().stream().filter(r -> r.name().equals("add")).findFirst().orElseThrow();
    assertEquals(Shape.of(2, 4, 4, 6, 5), add.output());
    assertEquals(volume * 4, add.flops(), "one add per element of the SUM");
    GraphSummary.Row cat = s.rows().stream().filter(r -> r.name().equals("cat")).findFirst().orElseThrow();
    assertEquals(Shape.of(2, 8, 2, 3, 2), cat.output());
    assertEquals(List.of("a", "b"), cat.inputs());
    assertEquals(MergeMode.CHCAT, cat.merge());
    assertEquals(s.flops(), g.flops(X));
    long bnAndRelu = s.rows().stream().filter(r -> r.name().equals("bn") || r.name().equals("relu"))
        .mapToLong(GraphSummary.Row::flops).sum();
    assertEquals(conv + a + b + bnAndRelu + volume * 4 + cat.flops(), s.flops());
    assertEquals((4 * 2 * 27 + 4) + 8 + (3 * 4 + 3) + (5 * 4 * 27 + 5), s.trainableParams());
  }

  @Test
  void wholeGraphBackwardMatchesFiniteDifferences() {
    LayerGraph g = graph(3);
    GradCheck.Report report = GradCheck.forLayer(g).seed(3).maxChecksPerTensor(40).check(Tensor.uniform(X, -1, 1, 4));
    assertTrue(report.passed(1e-2), report::toString);
  }

  @Test
  void anSgdStepMovesEveryParameterByItsGradient() {
    LayerGraph g = graph(5);
    Sgd sgd = new Sgd(g.parameters(), 0.1);
    sgd.zeroGrad();
    Tensor y = g.forward(Tensor.uniform(X, -1, 1, 6), true);
    g.backward(Tensor.uniform(y.shape(), -1, 1, 7));
    List<Parameter> params = g.parameters();
    List<Tensor> before = params.stream().map(p -> p.value().copy()).toList();
    List<Tensor> grads = params.stream().map(p -> p.grad().copy()).toList();
    sgd.step();
    for (int i = 0; i < params.size(); i++) {
      Tensor expected = before.get(i).copy();
      for (int j = 0; j < expected.size(); j++) {
        expected.data()[j] -= 0.1f * grads.get(i).getFlat(j);
      }
      assertTrue(grads.get(i).maxAbs() > 0, params.get(i).name() + " has a gradient");
      Conformance.assertClose(params.get(i).name(), expected, params.get(i).value(), 1e-6);
    }
  }

  @Test
  void stateDictRoundTrips() throws IOException {
    LayerGraph trained = graph(8);
    trained.forward(Tensor.uniform(X, -1, 1, 9), true); // moves the running statistics
    Map<String, Tensor> state = StateDict.of(trained);
    assertEquals(List.of("conv.weight", "conv.bias", "bn.weight", "bn.bias", "a.weight", "a.bias", "b.weight",
        "b.bias", "bn.running_mean", "bn.running_var", "bn.num_batches_tracked"), List.copyOf(state.keySet()));
    assertEquals(Shape.of(4, 2, 3, 3, 3), state.get("conv.weight").shape());
    assertEquals(Shape.of(3, 4, 1, 1, 1), state.get("a.weight").shape());
    Path f = dir.resolve("volume.safetensors");
    StateDict.save(trained, f);
    LayerGraph fresh = graph(80);
    StateDict.load(fresh, f);
    StateDict.of(trained).forEach((k, v) -> Conformance.assertClose(k, v, StateDict.of(fresh).get(k), 0));
    Tensor x = Tensor.uniform(X, -1, 1, 10);
    Conformance.assertClose("eval output", trained.forward(x, false).copy(), fresh.forward(x, false), 0);
  }
}

package org.autoprop.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.autoprop.graph.LayerGraph;
import org.autoprop.graph.LayerNode;
import org.autoprop.graph.MergeMode;
import org.autoprop.io.StateDict;
import org.autoprop.layer.BatchNorm2D;
import org.autoprop.layer.Conv2D;
import org.autoprop.layer.Identity;
import org.autoprop.layer.Layer;
import org.autoprop.layer.Parameter;
import org.autoprop.layer.ReLU;
import org.autoprop.layer.Sequential;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.zoo.MobileNetV2;
import org.autoprop.zoo.ResNet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link BatchNormFolding}: a folded model gives the evaluation outputs of the unfolded one (with
 * trained-looking batch-norm statistics and affine parameters), has no batch norm left where a
 * convolution fed one, and keeps merge inputs in their order.
 */
class BatchNormFoldingTest {
  static Stream<Arguments> models() {
    return Stream.of(
        Arguments.of("resnet18", (Supplier<GraphBlock>) () -> ResNet.resnet18().width(8).classes(5).smallImages()
            .seed(3).build(), Shape.of(2, 3, 16, 16), 20),
        Arguments.of("resnet50", (Supplier<GraphBlock>) () -> ResNet.resnet50().width(8).classes(5).smallImages()
            .seed(4).build(), Shape.of(2, 3, 16, 16), 53),
        Arguments.of("mobilenet_v2", (Supplier<GraphBlock>) () -> MobileNetV2.builder().widthMultiplier(0.25)
            .classes(5).seed(5).build(), Shape.of(2, 3, 32, 32), 52));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void foldedModelGivesTheEvaluationOutputs(String name, Supplier<GraphBlock> factory, Shape input, int pairs) {
    GraphBlock model = factory.get();
    Tensor x = Tensor.uniform(input, -1, 1, 11);
    makeStatisticsNonTrivial(model, x);
    Tensor expected = model.forward(x, false).copy();

    assertEquals(pairs, BatchNormFolding.fold(model), name + ": pairs folded");

    Tensor actual = model.forward(x, false);
    double scale = 0;
    double worst = 0;
    for (int i = 0; i < expected.size(); i++) {
      scale = Math.max(scale, Math.abs(expected.data()[i]));
      worst = Math.max(worst, Math.abs(expected.data()[i] - actual.data()[i]));
    }
    assertTrue(worst <= 1e-5 * scale, name + ": folded logits differ by " + worst + " (max |logit| " + scale + ")");
    Map<String, Tensor> state = StateDict.of(model);
    assertFalse(state.keySet().stream().anyMatch(k -> k.endsWith("running_mean")),
        name + ": batch norms left after folding: " + state.keySet());
  }

  /** Running statistics after a few training batches, and affine parameters away from 1 and 0. */
  private static void makeStatisticsNonTrivial(Layer model, Tensor x) {
    for (int step = 0; step < 3; step++) {
      model.forward(Tensor.uniform(x.shape(), -1 + step, 2 + step, 20 + step), true);
    }
    java.util.Set<String> norms = new java.util.HashSet<>();
    for (String key : model.buffers().keySet()) {
      if (key.endsWith(".running_mean")) {
        norms.add(key.substring(0, key.length() - ".running_mean".length()));
      }
    }
    int k = 0;
    for (Parameter p : model.parameters()) {
      String owner = p.name().substring(0, p.name().lastIndexOf('.'));
      if (norms.contains(owner)) {
        boolean gamma = p.name().endsWith(".weight");
        Tensor r = Tensor.uniform(p.value().shape(), gamma ? 0.5f : -0.5f, gamma ? 1.5f : 0.5f, 100 + k++);
        System.arraycopy(r.data(), 0, p.value().data(), 0, r.size());
      }
    }
    assertTrue(k > 0, "no batch norm found");
  }

  @Test
  void foldedConvolutionTakesTheBatchNormsPlaceAmongMergeInputs() {
    // x -> conv -> bn -> SUB(relu(x), bn): the folded convolution must stay the second input.
    LayerNode root = new LayerNode(new Identity(), "in");
    Conv2D conv = Conv2D.builder(2, 2).kernel(3).padding(1).bias(false).seed(1).build();
    LayerNode convNode = new LayerNode(conv, "conv");
    BatchNorm2D bn = new BatchNorm2D(2);
    LayerNode bnNode = new LayerNode(bn, "bn");
    LayerNode relu = new LayerNode(new ReLU(), "relu");
    LayerNode sub = new LayerNode(new Identity(), MergeMode.SUB, "sub");
    LayerGraph g = LayerGraph.builder().edge(root, relu).edge(root, convNode).edge(convNode, bnNode)
        .edge(relu, sub).edge(bnNode, sub).root(root).term(sub).build();
    Tensor x = Tensor.uniform(Shape.of(2, 2, 5, 5), -1, 1, 3);
    makeStatisticsNonTrivial(g, x);
    bn.weight().value().data()[0] = 1.7f;
    bn.bias().value().data()[1] = -0.3f;
    Tensor expected = g.forward(x, false).copy();

    assertEquals(1, BatchNormFolding.fold(g));

    assertEquals(List.of("relu", "conv"), g.predecessors(g.term()).stream().map(LayerNode::name).toList());
    assertFalse(g.nodes().stream().anyMatch(n -> n.name().equals("bn")));
    Tensor actual = g.forward(x, false);
    for (int i = 0; i < expected.size(); i++) {
      assertEquals(expected.data()[i], actual.data()[i], 1e-5, "output " + i);
    }
  }

  @Test
  void sequentialPairsFoldUnderTheConvolutionsName() {
    Sequential s = new Sequential(Conv2D.builder(3, 4).kernel(1).bias(false).seed(2).build(), new BatchNorm2D(4),
        new ReLU());
    LayerNode node = new LayerNode(s, "features");
    LayerGraph g = LayerGraph.chain(node);
    Tensor x = Tensor.uniform(Shape.of(2, 3, 4, 4), -1, 1, 5);
    makeStatisticsNonTrivial(g, x);
    Tensor expected = g.forward(x, false).copy();

    assertEquals(1, BatchNormFolding.fold(g));

    assertEquals(List.of("features.0.weight", "features.0.bias"),
        g.parameters().stream().map(Parameter::name).toList());
    Tensor actual = g.forward(x, false);
    for (int i = 0; i < expected.size(); i++) {
      assertEquals(expected.data()[i], actual.data()[i], 1e-5, "output " + i);
    }
  }

  @Test
  void pairsThatAreNotAChainStay() {
    // The convolution also feeds the term: folding would change that output.
    LayerNode conv = new LayerNode(Conv2D.builder(2, 2).kernel(1).seed(1).build(), "conv");
    LayerNode bn = new LayerNode(new BatchNorm2D(2), "bn");
    LayerNode sum = new LayerNode(new Identity(), MergeMode.SUM, "sum");
    LayerGraph g = LayerGraph.builder().edge(conv, bn).edge(conv, sum).edge(bn, sum).root(conv).term(sum).build();
    assertEquals(0, BatchNormFolding.fold(g));
    assertEquals(3, g.nodes().size());
  }

  @Test
  void foldingNeedsMatchingChannelsAndABuiltGraph() {
    Conv2D conv = Conv2D.builder(3, 4).kernel(3).seed(1).build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> conv.foldBatchNorm(new BatchNorm2D(5)));
    assertEquals("Conv2D(3->4, k=3x3): cannot fold BatchNorm2D(5): it has 5 channels (expected: 4, the output channels)",
        e.getMessage());
    LayerNode a = new LayerNode(new Identity(), "a");
    LayerGraph unbuilt = new LayerGraph(Map.of(a, List.of()), a, a);
    IllegalStateException u = assertThrows(IllegalStateException.class, () -> BatchNormFolding.fold(unbuilt));
    assertEquals(LayerGraph.NOT_BUILT, u.getMessage());
  }
}

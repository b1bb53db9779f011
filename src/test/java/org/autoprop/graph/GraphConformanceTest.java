package org.autoprop.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.autoprop.io.SafeTensors;
import org.autoprop.layer.BatchNorm2D;
import org.autoprop.layer.Conv2D;
import org.autoprop.layer.Identity;
import org.autoprop.layer.Parameter;
import org.autoprop.layer.ReLU;
import org.autoprop.tensor.Tensor;
import org.autoprop.testing.Conformance;
import org.junit.jupiter.api.Test;

/**
 * Whole graphs against PyTorch (the {@code graph_*} reference files, training mode): weights are
 * loaded by their dotted names, then the output, the input gradient, every parameter gradient and
 * the BatchNorm running statistics after the forward pass are compared.
 */
public class GraphConformanceTest {
  /**
   * A 3x3 'same' convolution with an explicit seed: the weights are overwritten from the file, and
   * an explicit seed leaves the default seed sequence of other tests alone.
   */
  static Conv2D conv(int in, int out) {
    return Conv2D.builder(in, out).kernel(3).padding(1).seed(1).build();
  }

  /** Loads the weights of {@code file} into {@code g} by name and compares one training step with it. */
  public static void check(String file, LayerGraph g) {
    SafeTensors st = Conformance.load(file);
    for (Parameter p : g.parameters()) {
      assertTrue(st.contains(p.name()), file + " has no tensor '" + p.name() + "'");
      p.value().copyFrom(st.tensor(p.name()));
    }
    Map<String, Tensor> buffers = g.buffers();
    Tensor y = g.forward(st.tensor("x"), true);
    Conformance.assertClose(file + " y", st.tensor("y"), y);
    g.zeroGrad();
    Conformance.assertClose(file + " gx", st.tensor("gx"), g.backward(st.tensor("gy")));
    for (Parameter p : g.parameters()) {
      Tensor expected = st.tensor("grad." + p.name());
      if (expected.maxAbs() < 1e-5) {
        // A bias followed by BatchNorm has a zero gradient: only float rounding is left.
        assertTrue(p.grad().maxAbs() < 1e-5, file + " grad." + p.name() + " should vanish: " + p.grad().maxAbs());
      } else {
        Conformance.assertClose(file + " grad." + p.name(), expected, p.grad());
      }
    }
    for (Map.Entry<String, Tensor> b : buffers.entrySet()) {
      if (Conformance.isBatchCounter(b.getKey())) {
        Conformance.assertBatchCounter(file + " " + b.getKey(), b.getValue(), 1);
      } else {
        Conformance.assertClose(file + " " + b.getKey(), st.tensor(b.getKey()), b.getValue());
      }
    }
  }

  @Test
  void linear() {
    LayerNode conv = new LayerNode(conv(3, 6), "conv");
    LayerNode bn = new LayerNode(new BatchNorm2D(6), "bn");
    LayerNode relu = new LayerNode(new ReLU(), "relu");
    LayerGraph g = LayerGraph.builder().edges(conv, bn, relu).root(conv).term(relu).build();
    assertEquals(List.of("bn.running_mean", "bn.running_var", "bn.num_batches_tracked"), List.copyOf(g.buffers().keySet()));
    check("graph_seed_linear", g);
  }

  @Test
  void shortcut() {
    LayerNode conv = new LayerNode(conv(3, 6), "conv");
    LayerNode relu = new LayerNode(new ReLU(), "relu");
    LayerNode term = new LayerNode(new Identity(), MergeMode.SUM, "term");
    LayerGraph g = LayerGraph.builder().edge(conv, relu).edge(conv, term).edge(relu, term)
        .root(conv).term(term).build();
    check("graph_seed_shortcut", g);
  }

  @Test
  void channelConcatenationInBranchOrder() {
    LayerNode root = new LayerNode(new Identity(), "root");
    LayerNode term = new LayerNode(new Identity(), MergeMode.CHCAT, "term");
    LayerGraph.Builder b = LayerGraph.builder();
    for (int i = 1; i <= 3; i++) {
      LayerNode branch = new SequentialNode("branch_" + i, conv(3, 6 * i), new ReLU());
      b.edges(root, branch, term);
    }
    check("graph_seed_chcat", b.root(root).term(term).build());
  }

  @Test
  void basicBlock() {
    LayerNode root = new LayerNode(new Identity(), "root");
    LayerNode conv1 = new LayerNode(conv(8, 8), "conv1");
    LayerNode bn1 = new LayerNode(new BatchNorm2D(8), "bn1");
    LayerNode relu = new LayerNode(new ReLU(), "relu");
    LayerNode conv2 = new LayerNode(conv(8, 8), "conv2");
    LayerNode bn2 = new LayerNode(new BatchNorm2D(8), "bn2");
    LayerNode term = new LayerNode(new ReLU(), MergeMode.SUM, "term");
    LayerGraph g = LayerGraph.builder().edges(root, conv1, bn1, relu, conv2, bn2, term).edge(root, term)
        .root(root).term(term).build();
    check("graph_basic_block", g);
  }
}

package org.autoprop.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.autoprop.layer.Conv2D;
import org.autoprop.layer.Padding;
import org.autoprop.layer.Parameter;
import org.autoprop.layer.ReLU;
import org.autoprop.models.ReferenceNets;
import org.autoprop.models.SeedGraphs;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** GraphSummary: rows, totals and their definitions, on the seed graphs and FMNIST-NET. */
class GraphSummaryTest {
  private static final Shape X = Shape.of(2, 3, 8, 8);

  /** 2 * MACs of a 3x3 "same" convolution 3 -> out on X. */
  private static long conv(int out) {
    return 2L * 2 * out * 8 * 8 * 3 * 9;
  }

  private static GraphSummary.Row row(GraphSummary s, String name) {
    return s.rows().stream().filter(r -> r.name().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void linearSeedGraph() {
    GraphSummary s = GraphSummary.of(SeedGraphs.linear(1), X);
    assertEquals(List.of("conv", "bn", "relu"), s.rows().stream().map(GraphSummary.Row::name).toList());
    GraphSummary.Row bn = row(s, "bn");
    assertEquals(12, bn.trainable());
    assertEquals(12, bn.nonTrainable());
    assertEquals(List.of("conv"), bn.inputs());
    assertNull(bn.merge());
    assertEquals(3 * 6 * 9 + 6, row(s, "conv").trainable());
    long n = 2 * 6 * 64;
    assertEquals(conv(6) + 2 * n + n, s.flops());
    assertEquals(3 * n, s.activationElements());
    assertEquals(4 * 3 * n, s.activationBytes());
    assertEquals(8 * 3 * n, s.trainingActivationBytes());
    assertEquals(168 + 12, s.trainableParams());
    assertEquals(12, s.nonTrainableParams());
    String t = s.table();
    assertTrue(t.matches("(?s).*\\nbn\\s+BatchNorm2D\\s+\\[2, 6, 8, 8]\\s+24\\s+1\\.54K\\s+conv\\n.*"), t);
    assertTrue(t.matches("(?s).*\\nconv\\s+Conv2D\\s+\\[2, 6, 8, 8]\\s+168\\s+41\\.5K\\s+input \\[2, 3, 8, 8]\\n.*"), t);
    assertTrue(t.contains("Total params: 192 (192)"), t);
    // weights: conv 162 + bn 6; biases: conv 6 + bn 6
    assertTrue(t.contains("Trainable params: 180 (weights: 168, biases: 12)"), t);
    assertTrue(t.contains("Non-trainable params: 12 "), t);
    assertTrue(t.contains("Total FLOPs: 43.8K (43,776) per inference forward pass, multiply-add = 2"), t);
    assertTrue(t.contains("Activation memory (batch 2): 9.00 KiB (2,304 node-output floats x 4 bytes); "
        + "with gradients in training: 18.0 KiB"), t);
  }

  @Test
  void shortcutCountsTheSumMerge() {
    LayerGraph g = SeedGraphs.shortcut(1);
    GraphSummary s = GraphSummary.of(g, X);
    long n = 2 * 6 * 64;
    GraphSummary.Row term = row(s, "term");
    assertEquals(MergeMode.SUM, term.merge());
    assertEquals(List.of("conv", "relu"), term.inputs());
    assertEquals(n, term.flops()); // one add per element, Identity adds nothing
    assertEquals(conv(6) + n + n, s.flops());
    assertEquals(s.flops(), g.flops(X));
    assertTrue(s.table().matches("(?s).*\\nterm\\s+Identity\\s+\\[2, 6, 8, 8]\\s+0\\s+768\\s+conv, relu \\[SUM]\\n.*"),
        s.table());
  }

  @Test
  void chcatSeedGraphIndentsSequentialChildren() {
    GraphSummary s = GraphSummary.of(SeedGraphs.chcat(1), X);
    assertEquals(List.of("root", "branch_1", "branch_1.0", "branch_1.1", "branch_2", "branch_2.0", "branch_2.1",
        "branch_3", "branch_3.0", "branch_3.1", "term"), s.rows().stream().map(GraphSummary.Row::name).toList());
    assertEquals(5, s.nodeRows().size());
    long flops = 0;
    long params = 0;
    for (int i = 1; i <= 3; i++) {
      int out = 6 * i;
      long branch = conv(out) + 2L * out * 64;
      GraphSummary.Row b = row(s, "branch_" + i);
      assertEquals(branch, b.flops());
      assertEquals(27L * out + out, b.trainable());
      assertEquals(conv(out), row(s, "branch_" + i + ".0").flops());
      assertEquals(1, row(s, "branch_" + i + ".1").depth());
      flops += branch;
      params += 27L * out + out;
    }
    assertEquals(flops, s.flops()); // children are not counted twice; CHCAT and Identity count 0
    assertEquals(params, s.trainableParams());
    assertEquals(Shape.of(2, 36, 8, 8), row(s, "term").output());
    // root + three branches + term
    assertEquals(2 * 64 * (3 + 6 + 12 + 18 + 36), s.activationElements());
    String t = s.table();
    assertTrue(t.matches("(?s).*\\n  branch_2\\.0\\s+Conv2D\\s+\\[2, 12, 8, 8]\\s+336\\s+\\S+\\n.*"), t);
    assertTrue(t.contains("branch_1, branch_2, branch_3 [CHCAT]"), t);
    assertTrue(t.contains("Total layers: 5"), t);
  }

  @Test
  void fashionNetTotalsMatchTheParametersBuffersAndShapes() {
    LayerGraph g = ReferenceNets.fashionNet(7);
    int batch = 4;
    GraphSummary s = GraphSummary.of(g, Shape.of(1, 28, 28), batch);
    long trainable = 0;
    for (Parameter p : g.parameters()) {
      trainable += p.value().size();
    }
    long buffers = 0;
    for (Map.Entry<String, Tensor> b : g.buffers().entrySet()) {
      // BatchNorm's num_batches_tracked is a count, not a weight: the summary leaves it out.
      buffers += b.getKey().endsWith("num_batches_tracked") ? 0 : b.getValue().size();
    }
    assertEquals(trainable, s.trainableParams());
    assertEquals(buffers, s.nonTrainableParams());
    // running mean and variance of six BatchNorms: 32, 32, 32, 64, 64, 64 channels
    assertEquals(2 * (3 * 32 + 3 * 64), s.nonTrainableParams());
    assertEquals(g.paramSize().total(), s.trainableParams());
    // stem, block1_a, block1_b, block1_out at 32x28x28; pool1 32x14x14; block2_a, block2_b,
    // block2_shortcut, block2_out at 64x14x14; pool2 64x7x7; head 10
    long perSample = 4L * 32 * 28 * 28 + 32 * 14 * 14 + 4L * 64 * 14 * 14 + 64 * 7 * 7 + 10;
    assertEquals(batch * perSample, s.activationElements());
    assertEquals(4 * batch * perSample, s.activationBytes());
    assertEquals(Shape.of(batch, 10), s.output());
    assertEquals(s.flops(), g.flops(Shape.of(batch, 1, 28, 28)));
    // The two SUM merges add batch x 32x28x28 and batch x 64x14x14 elements.
    assertEquals(batch * (32L * 28 * 28) + (long) batch * 32 * 28 * 28, row(s, "block1_out").flops());
    assertTrue(s.table().contains("Trainable params: " + String.format("%,d", trainable)), s.table());
  }

  @Test
  void smallConvGraphFlopsByHand() {
    // conv a: 1 -> 2, 3x3 valid on 6x6 -> 4x4; conv b: 2 -> 2 1x1; c = relu(a HADAMARD b)
    LayerNode a = new LayerNode(Conv2D.builder(1, 2).kernel(3, 3).padding(Padding.VALID).seed(1).build(), "a");
    LayerNode b = new LayerNode(Conv2D.builder(2, 2).kernel(1, 1).padding(Padding.VALID).seed(2).build(), "b");
    LayerNode c = new LayerNode(new ReLU(), MergeMode.HADAMARD, "c");
    LayerGraph g = LayerGraph.builder().edges(a, b, c).edge(a, c).root(a).term(c).build();
    Shape in = Shape.of(3, 1, 6, 6);
    long convA = 2L * 3 * 2 * 4 * 4 * 1 * 9; // 1728
    long convB = 2L * 3 * 2 * 4 * 4 * 2; // 384
    long mul = 3L * 2 * 16; // 96
    long relu = 96;
    assertEquals(convA + convB + mul + relu, GraphSummary.of(g, in).flops());
    assertEquals(convA + convB + mul + relu, g.flops(in));
    assertEquals(3 * 96, GraphSummary.of(g, in).activationElements());
  }

  @Test
  void readableUnits() {
    assertEquals("999", GraphSummary.count(999));
    assertEquals("1.00K", GraphSummary.count(1000));
    assertEquals("12.3K", GraphSummary.count(12_345));
    assertEquals("123K", GraphSummary.count(123_456));
    assertEquals("1.00M", GraphSummary.count(999_999));
    assertEquals("1.23M", GraphSummary.count(1_234_567));
    assertEquals("4.57G", GraphSummary.count(4_567_000_000L));
    assertEquals("512 B", GraphSummary.bytes(512));
    assertEquals("1.50 KiB", GraphSummary.bytes(1536));
    assertEquals("1.00 MiB", GraphSummary.bytes(1 << 20));
    assertEquals("2.00 GiB", GraphSummary.bytes(2L << 30));
  }

  @Test
  void errors() {
    LayerNode a = new LayerNode(new ReLU(), "a");
    LayerGraph unbuilt = new LayerGraph(java.util.Map.of(a, List.of()), a, a);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> GraphSummary.of(unbuilt, X));
    assertEquals(LayerGraph.NOT_BUILT, e.getMessage());
    IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
        () -> GraphSummary.of(SeedGraphs.linear(1), Shape.of(3, 8, 8), 0));
    assertEquals("GraphSummary: batch 0 (expected: >= 1)", bad.getMessage());
    IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
        () -> GraphSummary.of(SeedGraphs.linear(1), Shape.of(2, 4, 8, 8)));
    assertTrue(shape.getMessage().startsWith("LayerGraph: node 'conv' (Conv2D) cannot take input [2, 4, 8, 8]"),
        shape.getMessage());
  }
}

package org.autoprop.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.autoprop.layer.BatchNorm1D;
import org.autoprop.layer.BatchNorm2D;
import org.autoprop.layer.Conv2D;
import org.autoprop.layer.GradCheck;
import org.autoprop.layer.Identity;
import org.autoprop.layer.Layer;
import org.autoprop.layer.Parameter;
import org.autoprop.layer.ReLU;
import org.autoprop.layer.Sequential;
import org.autoprop.models.ReferenceNets;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.testing.Cases;
import org.autoprop.testing.ReluKinks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * BatchNorm2D + ReLU fusion in LayerGraph and Sequential: fused and unfused runs give the same
 * outputs, gradients and running statistics; fusion applies exactly where the rule says.
 */
class FusionTest {

  static void assertClose(String what, Tensor expected, Tensor actual) {
    assertEquals(expected.shape(), actual.shape(), what + " shape");
    for (int i = 0; i < expected.size(); i++) {
      double e = expected.getFlat(i);
      assertEquals(e, actual.getFlat(i), 1e-5 * (1 + Math.abs(e)), what + " at " + i);
    }
  }

  /** Random affine parameters and running statistics, the same for equal seeds. */
  static BatchNorm2D bn(int channels, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    BatchNorm2D bn = new BatchNorm2D(channels).momentum(0.05 + 0.9 * r.nextDouble());
    for (int c = 0; c < channels; c++) {
      bn.parameters().get(0).value().set((float) (0.5 + r.nextDouble()) * (r.nextBoolean() ? 1 : -1), c);
      bn.parameters().get(1).value().set((float) (r.nextDouble() - 0.5), c);
      bn.runningMean().set((float) (r.nextDouble() - 0.5), c);
      bn.runningVar().set((float) (0.5 + r.nextDouble()), c);
    }
    return bn;
  }

  /** Runs both graphs (train, train, eval steps) and compares everything a user can see. */
  static void assertSameRuns(Layer a, Layer b, Shape shape, long seed) {
    boolean[] modes = {true, true, false};
    for (int step = 0; step < modes.length; step++) {
      String what = shape + " step " + step + " training=" + modes[step];
      Tensor x = Tensor.normal(shape, 1f, seed + step);
      Tensor ya = a.forward(x, modes[step]).copy();
      Tensor yb = b.forward(x, modes[step]);
      assertClose(what + " y", ya, yb);
      Tensor g = Tensor.uniform(yb.shape(), -1f, 1f, ~seed - step);
      a.zeroGrad();
      b.zeroGrad();
      Tensor gxa = a.backward(g).copy();
      assertClose(what + " gx", gxa, b.backward(g));
      List<Parameter> pa = a.parameters();
      List<Parameter> pb = b.parameters();
      assertEquals(pa.size(), pb.size());
      for (int i = 0; i < pa.size(); i++) {
        assertEquals(pa.get(i).name(), pb.get(i).name());
        assertClose(what + " grad." + pa.get(i).name(), pa.get(i).grad(), pb.get(i).grad());
      }
      Map<String, Tensor> ba = a.buffers();
      Map<String, Tensor> bb = b.buffers();
      assertEquals(ba.keySet(), bb.keySet());
      for (String k : ba.keySet()) {
        assertClose(what + " " + k, ba.get(k), bb.get(k));
      }
    }
  }

  /** conv? -> bn -> relu (-> bn2 -> relu2)? with random sizes. */
  static LayerGraph randomChain(long seed, boolean fusion) {
    SplittableRandom r = new SplittableRandom(seed);
    int cin = 1 + r.nextInt(3);
    int c = 1 + r.nextInt(5);
    boolean conv = r.nextBoolean();
    boolean second = r.nextBoolean();
    LayerGraph.Builder b = LayerGraph.builder().fusion(fusion);
    LayerNode first = conv ? new LayerNode(Conv2D.builder(cin, c).kernel(3).padding(1).seed(seed).build(), "conv")
        : null;
    LayerNode bn = new LayerNode(bn(c, seed + 1), "bn");
    LayerNode relu = new LayerNode(new ReLU(), "relu");
    LayerNode last = relu;
    if (conv) {
      b.edge(first, bn);
    }
    b.edge(bn, relu);
    if (second) {
      LayerNode bn2 = new LayerNode(bn(c, seed + 2), "bn2");
      LayerNode relu2 = new LayerNode(new ReLU(), "relu2");
      b.edges(relu, bn2, relu2);
      last = relu2;
    }
    return b.root(conv ? first : bn).term(last).build();
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#seeds")
  void fusedGraphEqualsUnfused(long seed) {
    SplittableRandom r = new SplittableRandom(~seed);
    LayerGraph fused = randomChain(seed, true);
    LayerGraph plain = randomChain(seed, false);
    assertTrue(fused.fusion());
    assertTrue(fused.fusedPairs().contains("bn->relu"), fused.fusedPairs().toString());
    assertEquals(List.of(), plain.fusedPairs());
    SplittableRandom same = new SplittableRandom(seed); // randomChain's first draws
    int cin = 1 + same.nextInt(3);
    int c = 1 + same.nextInt(5);
    if (!same.nextBoolean()) {
      cin = c; // no convolution: the batch norm is the root
    }
    int[] sides = {1, 2, 3, 5, 8, 17};
    int batch = 1 + r.nextInt(3);
    int h = sides[r.nextInt(sides.length)];
    int w = sides[r.nextInt(sides.length)];
    if (batch * h * w < 2) {
      batch = 2;
    }
    assertSameRuns(plain, fused, Shape.of(batch, cin, h, w), seed);
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#fewSeeds")
  void fusedGraphGradientsMatchFiniteDifferences(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    boolean training = r.nextBoolean();
    int c = 1 + r.nextInt(3);
    BatchNorm2D layer = bn(c, seed);
    LayerNode bn = new LayerNode(layer, "bn");
    LayerNode relu = new LayerNode(new ReLU(), "relu");
    LayerNode out = new LayerNode(new Identity(), "out");
    LayerGraph g = LayerGraph.builder().edges(bn, relu, out).root(bn).term(out).fusion(true).build();
    assertEquals(List.of("bn->relu"), g.fusedPairs());
    Shape shape = Shape.of(1 + r.nextInt(3), c, 2 + r.nextInt(4), 1 + r.nextInt(4));
    Tensor x = Tensor.normal(shape, 1f, seed);
    ReluKinks.awayFromTheKink(layer, x, training);
    GradCheck.Report report = GradCheck.forLayer(g).training(training).epsilon(1e-3).seed(seed).check(x);
    assertTrue(report.passed(2e-2), () -> shape + " training=" + training + "\n" + report);
  }

  @ParameterizedTest(name = "fusion={0}")
  @ValueSource(booleans = {true, false})
  void conformanceGraphsPassFusedAndUnfused(boolean fusion) {
    LayerNode conv = new LayerNode(GraphConformanceTest.conv(3, 6), "conv");
    LayerNode bn = new LayerNode(new BatchNorm2D(6), "bn");
    LayerNode relu = new LayerNode(new ReLU(), "relu");
    LayerGraph linear = LayerGraph.builder().edges(conv, bn, relu).root(conv).term(relu).fusion(fusion).build();
    assertEquals(fusion ? List.of("bn->relu") : List.of(), linear.fusedPairs());
    GraphConformanceTest.check("graph_seed_linear", linear);

    LayerNode root = new LayerNode(new Identity(), "root");
    LayerNode conv1 = new LayerNode(GraphConformanceTest.conv(8, 8), "conv1");
    LayerNode bn1 = new LayerNode(new BatchNorm2D(8), "bn1");
    LayerNode relu1 = new LayerNode(new ReLU(), "relu");
    LayerNode conv2 = new LayerNode(GraphConformanceTest.conv(8, 8), "conv2");
    LayerNode bn2 = new LayerNode(new BatchNorm2D(8), "bn2");
    LayerNode term = new LayerNode(new ReLU(), MergeMode.SUM, "term");
    LayerGraph block = LayerGraph.builder().edges(root, conv1, bn1, relu1, conv2, bn2, term).edge(root, term)
        .root(root).term(term).fusion(fusion).build();
    // bn2 -> term is not fused: term also takes the shortcut.
    assertEquals(fusion ? List.of("bn1->relu") : List.of(), block.fusedPairs());
    GraphConformanceTest.check("graph_basic_block", block);
  }

  @Test
  void fashionNetFusedEqualsUnfused() {
    LayerGraph fused = ReferenceNets.fashionNet(7).fusion(true).build();
    LayerGraph plain = ReferenceNets.fashionNet(7).fusion(false).build();
    for (LayerNode n : fused.nodes()) {
      if (n.layer() instanceof Sequential s) {
        assertTrue(s.fusion(), n.name());
      }
    }
    for (LayerNode n : plain.nodes()) {
      if (n.layer() instanceof Sequential s) {
        assertTrue(!s.fusion(), n.name());
      }
    }
    assertSameRuns(plain, fused, Shape.of(2, 1, Cases.fashionSide(), Cases.fashionSide()), 99);
  }

  @Test
  void sequentialFusesAdjacentPairsOnly() {
    Supplier<Sequential> make = () -> new Sequential(bn(3, 1), bn(3, 2), new ReLU(), new ReLU(), bn(3, 3), new ReLU());
    Sequential fused = make.get();
    Sequential plain = make.get().fusion(false);
    assertTrue(fused.fusion());
    assertSameRuns(plain, fused, Shape.of(2, 3, 5, 7), 5);
    // The fused pairs are (1, 2) and (4, 5): the sequence's output is child 4's own output buffer.
    Tensor x = Tensor.normal(Shape.of(2, 3, 5, 7), 1f, 3);
    Tensor y = fused.forward(x, true);
    assertSame(y, ((BatchNorm2D) fused.layers().get(4)).forward(x, true));
    assertNotSame(plain.forward(x, true), ((BatchNorm2D) plain.layers().get(4)).forward(x, true));
    assertEquals(List.of("0", "1", "2", "3", "4", "5"), fused.names());
  }

  @Test
  void batchNormFeedingTwoNodesIsNotFused() {
    BatchNorm2D layer = bn(3, 11);
    BatchNorm2D twin = bn(3, 11);
    LayerNode bn = new LayerNode(layer, "bn");
    LayerNode relu = new LayerNode(new ReLU(), "relu");
    LayerNode sum = new LayerNode(new Identity(), MergeMode.SUM, "sum");
    LayerGraph g = LayerGraph.builder().edges(bn, relu, sum).edge(bn, sum).root(bn).term(sum).fusion(true).build();
    assertEquals(List.of(), g.fusedPairs());
    Tensor x = Tensor.normal(Shape.of(2, 3, 4, 5), 1f, 1);
    Tensor y = g.forward(x, true);
    Tensor b = twin.forward(x, true);
    Tensor expected = b.copy();
    for (int i = 0; i < b.size(); i++) {
      expected.data()[i] += Math.max(b.getFlat(i), 0f);
    }
    assertClose("bn + relu(bn)", expected, y);
  }

  @Test
  void reluWithASecondInputIsNotFused() {
    LayerNode bn = new LayerNode(bn(2, 12), "bn");
    LayerNode id = new LayerNode(new Identity(), "id");
    LayerNode root = new LayerNode(new Identity(), "root");
    LayerNode relu = new LayerNode(new ReLU(), MergeMode.SUM, "relu");
    LayerGraph g = LayerGraph.builder().edges(root, bn, relu).edges(root, id, relu).root(root).term(relu)
        .fusion(true).build();
    assertEquals(List.of(), g.fusedPairs());
    BatchNorm2D twin = bn(2, 12);
    Tensor x = Tensor.normal(Shape.of(2, 2, 3, 3), 1f, 2);
    Tensor y = g.forward(x, true);
    Tensor b = twin.forward(x, true);
    for (int i = 0; i < b.size(); i++) {
      assertEquals(Math.max(b.getFlat(i) + x.getFlat(i), 0f), y.getFlat(i), 1e-6, "at " + i);
    }
  }

  @Test
  void batchNormAsTermAndBatchNorm1DAreNotFused() {
    LayerNode relu = new LayerNode(new ReLU(), "relu");
    LayerNode bn = new LayerNode(bn(2, 13), "bn");
    LayerGraph term = LayerGraph.builder().edges(relu, bn).root(relu).term(bn).fusion(true).build();
    assertEquals(List.of(), term.fusedPairs());
    Tensor x = Tensor.normal(Shape.of(2, 2, 3, 3), 1f, 3);
    Tensor expected = bn(2, 13).forward(new ReLU().forward(x, true), true);
    assertClose("bn(relu(x))", expected, term.forward(x, true));

    BatchNorm1D one = new BatchNorm1D(4);
    BatchNorm1D oneTwin = new BatchNorm1D(4);
    LayerNode bn1 = new LayerNode(one, "bn1");
    LayerNode relu1 = new LayerNode(new ReLU(), "relu1");
    LayerGraph g1 = LayerGraph.builder().edges(bn1, relu1).root(bn1).term(relu1).fusion(true).build();
    assertEquals(List.of(), g1.fusedPairs());
    Tensor v = Tensor.normal(Shape.of(5, 4), 1f, 4);
    Tensor y1 = g1.forward(v, true);
    assertNotSame(one.forward(v, true), y1);
    Tensor b1 = oneTwin.forward(v, true);
    for (int i = 0; i < b1.size(); i++) {
      assertEquals(Math.max(b1.getFlat(i), 0f), y1.getFlat(i), 1e-6, "at " + i);
    }
    Sequential s = new Sequential(new BatchNorm1D(4), new ReLU());
    assertClose("Sequential(BatchNorm1D, ReLU)", y1, s.forward(v, true));
  }

  @Test
  void fusedTermOutputIsTheBatchNormsBufferAndFusionUndoesTheBuild() {
    BatchNorm2D layer = bn(2, 14);
    LayerNode bn = new LayerNode(layer, "bn");
    LayerNode relu = new LayerNode(new ReLU(), "relu");
    LayerGraph g = LayerGraph.builder().edges(bn, relu).root(bn).term(relu).build();
    Tensor x = Tensor.normal(Shape.of(2, 2, 3, 3), 1f, 5);
    if (g.fusion()) {
      Tensor y = g.forward(x, false);
      assertSame(layer.forward(x, false), y);
    }
    g.fusion(false);
    IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
        () -> g.forward(x, true));
    assertEquals(LayerGraph.NOT_BUILT, e.getMessage());
    g.build();
    assertEquals(List.of(), g.fusedPairs());
  }
}

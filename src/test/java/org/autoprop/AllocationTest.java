package org.autoprop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.autoprop.graph.LayerGraph;
import org.autoprop.graph.LayerNode;
import org.autoprop.graph.MergeMode;
import org.autoprop.graph.SequentialNode;
import org.autoprop.kernel.KernelProvider;
import org.autoprop.layer.BatchNorm2D;
import org.autoprop.layer.BatchNormReLU2D;
import org.autoprop.layer.Conv2D;
import org.autoprop.layer.Dense;
import org.autoprop.layer.Flatten;
import org.autoprop.layer.GlobalAvgPool2D;
import org.autoprop.layer.Layer;
import org.autoprop.layer.Padding;
import org.autoprop.layer.Pool2D;
import org.autoprop.layer.ReLU;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.testing.WarmAllocation;
import org.autoprop.train.CrossEntropyLoss;
import org.autoprop.train.Sgd;
import org.junit.jupiter.api.Test;

/**
 * A training step in steady state allocates (almost) nothing: a small FMNIST-like graph (conv,
 * BN + ReLU, a SUM merge, max pool, global average pool, flatten, dense, cross-entropy, SGD) whose
 * sizes stay under every parallel threshold, so that it runs on the calling thread and its
 * allocation can be read from that thread alone.
 */
class AllocationTest {
  private static final int BATCH = 4;
  private static final int CLASSES = 10;
  private static final int STEPS = 10;
  /** Allowed bytes for {@link #STEPS} steps: room for a few stray small objects, not for a buffer. */
  private static final long BUDGET = 4096;

  private static LayerGraph smallNet() {
    LayerNode stem = new SequentialNode("stem", conv(1, 4, 1), new BatchNorm2D(4), new ReLU());
    LayerNode branch = new SequentialNode("branch", conv(4, 4, 2), new BatchNorm2D(4), new ReLU(), conv(4, 4, 3),
        new BatchNorm2D(4));
    LayerNode sum = new LayerNode(new ReLU(), MergeMode.SUM, "sum");
    LayerNode pool = new LayerNode(Pool2D.max(2, 2, 0), "pool");
    LayerNode head = new SequentialNode("head", new GlobalAvgPool2D(), new Flatten(),
        Dense.builder(4, CLASSES).seed(4).build());
    Map<LayerNode, List<LayerNode>> edges = new LinkedHashMap<>();
    edges.put(stem, List.of(branch, sum));
    edges.put(branch, List.of(sum));
    edges.put(sum, List.of(pool));
    edges.put(pool, List.of(head));
    return new LayerGraph(edges, stem, head).build();
  }

  private static Conv2D conv(int in, int out, long seed) {
    return Conv2D.builder(in, out).kernel(3, 3).padding(Padding.SAME).seed(seed).build();
  }

  @Test
  void trainingStepAllocatesAlmostNothing() {
    LayerGraph g = smallNet();
    Tensor x = Tensor.uniform(Shape.of(BATCH, 1, 12, 12), -1, 1, 5);
    int[] labels = new int[BATCH];
    for (int i = 0; i < BATCH; i++) {
      labels[i] = i % 10;
    }
    Sgd sgd = new Sgd(g.parameters(), 0.01, 0.9, 0, 5e-4, false);
    CrossEntropyLoss ce = new CrossEntropyLoss();
    long least = WarmAllocation.leastBytes(() -> step(g, x, labels, sgd, ce), STEPS, BUDGET);
    assertTrue(least <= BUDGET, STEPS + " training steps allocated " + least + " bytes (expected: <= " + BUDGET + ")");
  }

  /**
   * The loss and the optimizer's bookkeeping allocate nothing per step: a loss must not build its
   * name (a string) on every backward, nor {@code zeroGrad} an iterator per call.
   */
  @Test
  void lossAndZeroGradAllocateNothing() {
    Tensor logits = Tensor.uniform(Shape.of(16, CLASSES), -1, 1, 3);
    int[] labels = new int[16];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = i % CLASSES;
    }
    CrossEntropyLoss ce = new CrossEntropyLoss();
    Sgd sgd = new Sgd(smallNet().parameters(), 0.01, 0.9, 0, 0, false);
    assertEquals(0L, WarmAllocation.leastBytes(() -> {
      sgd.zeroGrad();
      ce.forward(logits, labels);
      ce.backward();
    }, STEPS, 0), "bytes of " + STEPS + " warm zeroGrad + cross-entropy forward and backward");
  }

  @Test
  void batchNormReluStepOnVectorKernelsAllocatesNothing() {
    BatchNorm2D bn = new BatchNorm2D(4);
    assertEquals(0L, warmBatchNormBytes(new BatchNormReLU2D(bn)), "bytes of " + STEPS + " warm BatchNormReLU2D steps");
  }

  @Test
  void batchNormStepOnVectorKernelsAllocatesNothing() {
    assertEquals(0L, warmBatchNormBytes(new BatchNorm2D(4)), "bytes of " + STEPS + " warm BatchNorm2D steps");
  }

  /**
   * The convolution paths built on lane permutations (the weight gradient's register transpose,
   * the stride-2 phase split and merge) and the two-tap micro-kernel allocate nothing once
   * compiled: 32 output channels fill a transpose panel, 16 input channels at stride 2 over 32
   * columns take the phased input gradient with whole vectors, and one image keeps everything on
   * this thread.
   */
  @Test
  void convolutionsWithLanePermutationsAllocateNothing() {
    assumeTrue(KernelProvider.get().gemm().getClass() == KernelProvider.vector().gemm().getClass(),
        "the vector kernels are not the default here");
    Conv2D strided = Conv2D.builder(16, 32).kernel(3, 3).stride(2).padding(Padding.of(1)).seed(5).build();
    Conv2D same = Conv2D.builder(32, 32).kernel(3, 3).padding(Padding.SAME).seed(6).build();
    assertEquals(0L, warmBytes(strided, Tensor.uniform(Shape.of(1, 16, 32, 32), -1, 1, 9)),
        "bytes of " + STEPS + " warm stride-2 Conv2D steps");
    assertEquals(0L, warmBytes(same, Tensor.uniform(Shape.of(1, 32, 16, 16), -1, 1, 10)),
        "bytes of " + STEPS + " warm stride-1 Conv2D steps");
  }

  /**
   * The least that {@link #STEPS} training forward + backward steps of {@code layer} allocated on
   * this thread over a few attempts, after enough calls for C2 to compile the vector kernels (until
   * then vectors are boxed). [2, 4, 8, 8]: rows of 64 take the vector path, and the size stays under
   * the parallel threshold, so everything runs here.
   */
  private static long warmBatchNormBytes(Layer layer) {
    assumeTrue(KernelProvider.get().norm().getClass() == KernelProvider.vector().norm().getClass(),
        "the vector kernels are not the default here");
    return warmBytes(layer, Tensor.uniform(Shape.of(2, 4, 8, 8), -1, 1, 7));
  }

  /** The least that {@link #STEPS} warm forward + backward steps of {@code layer} on x allocated here. */
  private static long warmBytes(Layer layer, Tensor x) {
    Tensor gy = Tensor.uniform(layer.outputShape(x.shape()), -1, 1, 8);
    return WarmAllocation.leastBytes(() -> {
      layer.forward(x, true);
      layer.backward(gy);
    }, STEPS, 0);
  }

  private static void step(LayerGraph g, Tensor x, int[] labels, Sgd sgd, CrossEntropyLoss ce) {
    sgd.zeroGrad();
    Tensor y = g.forward(x, true);
    ce.forward(y, labels);
    g.backward(ce.backward());
    sgd.step();
  }
}

package org.autoprop.graph;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.autoprop.tensor.Tensor;
import org.autoprop.testing.WarmAllocation;
import org.junit.jupiter.api.Test;

/**
 * A graph in steady state allocates nothing per forward and backward.
 *
 * <p>Allocation tests run in a JVM of their own (the {@code allocation} surefire execution):
 * tests that call both the scalar and the vector kernels make the kernel call sites polymorphic,
 * and C2 may then leave Vector API values boxed, which a production JVM (one provider) never does.
 */
class GraphAllocationTest {
  @Test
  void steadyStateForwardAndBackwardAllocateNothing() {
    // Fan-out, a broadcast HADAMARD, a MAX and a CHCAT: every buffer of the graph and its merges is reused.
    LayerNode stem = new LayerNode(new Scale(3, 100), "stem");
    LayerNode squeeze = new LayerNode(new MeanHW(), "squeeze");
    LayerNode gate = new LayerNode(new Smooth(), MergeMode.HADAMARD, "gate");
    LayerNode other = new LayerNode(new Scale(3, 101), "other");
    LayerNode max = new LayerNode(new Smooth(), MergeMode.MAX, "max");
    LayerNode cat = new LayerNode(new Mix(6, 3, 1), MergeMode.CHCAT, "cat");
    LayerGraph g = LayerGraph.builder().edges(stem, squeeze, gate).edge(stem, gate).edges(stem, other, max)
        .edge(gate, max).edge(max, cat).edge(other, cat).root(stem).term(cat).build();
    Tensor x = Tensor.uniform(LayerGraphTest.X, -1, 1, 1);
    Tensor gy = Tensor.uniform(LayerGraphTest.X, -1, 1, 2);
    // Windows of 100 steps; a window may allocate up to 15 bytes per step (stray objects, not buffers).
    long perStep = WarmAllocation.leastBytes(() -> {
      g.forward(x, true);
      g.backward(gy);
    }, 100, 15 * 100) / 100;
    assertTrue(perStep < 16, "allocated " + perStep + " bytes per forward + backward");
  }

}

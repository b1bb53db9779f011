package org.autoprop.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.autoprop.kernel.KernelProvider;
import org.autoprop.tensor.Tensor;
import org.autoprop.testing.WarmAllocation;
import org.junit.jupiter.api.Test;

/**
 * A training step through Conv2D and Dense allocates nothing once warm. The layers are small (below
 * their parallel thresholds) so everything runs on the calling thread, whose allocation counter is
 * read; the scalar kernels are used because interpreted Vector API code allocates until C2
 * compiles it, which would make the count depend on JIT timing rather than on the layers.
 */
class SteadyStateAllocationTest {
  static final int STEPS = 10;

  /** The least that a window of {@link #STEPS} warm steps allocated ({@link WarmAllocation}). */
  static long bytesPerSteps(Layer layer, Tensor x, Tensor gy) {
    return WarmAllocation.leastBytes(() -> {
      layer.forward(x, true);
      layer.backward(gy);
    }, STEPS, 0);
  }

  @Test
  void conv2dStepAllocatesNothing() {
    Conv2D conv = KernelProvider.building(KernelProvider.scalar(), () -> Conv2D.builder(3, 4).kernel(3).padding(1).seed(1).build());
    Tensor x = Tensor.uniform(org.autoprop.tensor.Shape.of(2, 3, 6, 6), -1, 1, 2);
    Tensor gy = Tensor.uniform(conv.outputShape(x.shape()), -1, 1, 3);
    assertEquals(0L, bytesPerSteps(conv, x, gy), "bytes allocated by " + STEPS + " warm Conv2D steps");
  }

  @Test
  void stridedConv2dStepAllocatesNothing() {
    Conv2D conv = KernelProvider.building(KernelProvider.scalar(), () -> Conv2D.builder(4, 2).kernel(1).stride(2).seed(1).build());
    Tensor x = Tensor.uniform(org.autoprop.tensor.Shape.of(2, 4, 5, 5), -1, 1, 2);
    Tensor gy = Tensor.uniform(conv.outputShape(x.shape()), -1, 1, 3);
    assertEquals(0L, bytesPerSteps(conv, x, gy), "bytes allocated by " + STEPS + " warm strided Conv2D steps");
  }

  @Test
  void denseStepAllocatesNothing() {
    Dense dense = KernelProvider.building(KernelProvider.scalar(), () -> Dense.builder(7, 5).seed(1).build());
    Tensor x = Tensor.uniform(org.autoprop.tensor.Shape.of(3, 7), -1, 1, 2);
    Tensor gy = Tensor.uniform(dense.outputShape(x.shape()), -1, 1, 3);
    assertEquals(0L, bytesPerSteps(dense, x, gy), "bytes allocated by " + STEPS + " warm Dense steps");
  }
}

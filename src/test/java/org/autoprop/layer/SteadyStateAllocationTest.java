package org.autoprop.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.management.ManagementFactory;
import org.autoprop.kernel.KernelProvider;
import org.autoprop.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * A training step through Conv2D and Dense allocates nothing once warm. The layers are small (below
 * their parallel thresholds) so everything runs on the calling thread, whose allocation counter is
 * read; the scalar kernels are used because interpreted Vector API code allocates until C2
 * compiles it, which would make the count depend on JIT timing rather than on the layers.
 */
class SteadyStateAllocationTest {
  static final int STEPS = 10;

  static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  static long allocatedBytes() {
    return THREADS.getCurrentThreadAllocatedBytes();
  }

  /**
   * The bytes allocated by a window of {@link #STEPS} steps once a window allocates nothing, or by
   * the last of 400 windows: until C2 has compiled the loops, the interpreter allocates what escape
   * analysis later removes, and how soon that happens depends on the machine's load.
   */
  static long bytesPerSteps(Layer layer, Tensor x, Tensor gy) {
    long bytes = Long.MAX_VALUE;
    for (int round = 0; round < 400 && bytes != 0; round++) {
      long before = allocatedBytes();
      for (int i = 0; i < STEPS; i++) {
        layer.forward(x, true);
        layer.backward(gy);
      }
      bytes = allocatedBytes() - before;
    }
    return bytes;
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

package org.autoprop.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.autoprop.kernel.KernelProvider;
import org.autoprop.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The last clause of the {@link Layer} contract for every layer of {@link LayerCatalog}: once warm,
 * a training step (forward and backward, on an input of the same shape) allocates nothing. Runs in
 * the allocation JVM; see {@link SteadyStateAllocationTest} for why the layers run on the scalar
 * kernels and below their parallel thresholds.
 */
class LayerContractAllocationTest {
  static List<LayerCatalog.Entry> entries() {
    return LayerCatalog.entries();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("entries")
  void aWarmStepAllocatesNothing(LayerCatalog.Entry e) {
    Layer layer = KernelProvider.building(KernelProvider.scalar(), e.make());
    Tensor x = Tensor.uniform(e.input(), -1f, 1f, 1);
    Tensor gy = Tensor.uniform(layer.outputShape(e.input()), -1f, 1f, 2);
    assertEquals(0L, bytesOfAWarmWindow(layer, x, gy), "bytes allocated by " + WINDOW + " warm steps of " + e);
  }

  static final int WINDOW = 10;

  /**
   * The bytes allocated by a window of {@link #WINDOW} steps once a window allocates nothing, or by
   * the last of 400 windows: until C2 has compiled a container's loops, the interpreter allocates
   * what escape analysis later removes (iterators, for one), and how soon that happens depends on
   * the machine's load.
   */
  static long bytesOfAWarmWindow(Layer layer, Tensor x, Tensor gy) {
    long bytes = Long.MAX_VALUE;
    for (int round = 0; round < 400 && bytes != 0; round++) {
      long before = SteadyStateAllocationTest.allocatedBytes();
      for (int i = 0; i < WINDOW; i++) {
        layer.forward(x, true);
        layer.backward(gy);
      }
      bytes = SteadyStateAllocationTest.allocatedBytes() - before;
    }
    return bytes;
  }
}

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
 * kernels and below their parallel thresholds, and for how long it waits for the JIT.
 */
class LayerContractAllocationTest {
  static List<LayerCatalog.Entry> entries() {
    return LayerCatalog.entries();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("entries")
  void aWarmStepAllocatesNothing(LayerCatalog.Entry e) {
    Layer layer = KernelProvider.building(KernelProvider.scalar(), e.make());
    Tensor x = e.sample(e.input(), 1);
    Tensor gy = Tensor.uniform(layer.outputShape(e.input()), -1f, 1f, 2);
    assertEquals(0L, SteadyStateAllocationTest.bytesPerSteps(layer, x, gy),
        "bytes allocated by " + SteadyStateAllocationTest.STEPS + " warm steps of " + e);
  }
}

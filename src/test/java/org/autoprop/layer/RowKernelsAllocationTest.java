package org.autoprop.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.autoprop.kernel.Gemm;
import org.autoprop.kernel.GemmKernels;
import org.autoprop.kernel.KernelProvider;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.testing.WarmAllocation;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The row kernels and attention's small GEMM on the vector provider allocate nothing once C2 has
 * compiled them (a boxed vector would show here): LayerNorm, RMSNorm and the last-axis Softmax on
 * rows with tails, below the parallel thresholds so that everything runs on this thread, and
 * {@link Gemm#multiplySmall} in its three attention forms. Runs in the allocation JVM.
 */
class RowKernelsAllocationTest {
  private static final int STEPS = 10;

  @BeforeAll
  static void vectorKernels() {
    assumeTrue(KernelProvider.get().rows().getClass() == KernelProvider.vector().rows().getClass(),
        "the vector kernels are not the default here");
  }

  /** The least that {@link #STEPS} runs of {@code body} allocated here once warm. */
  private static long warmBytes(Runnable body) {
    return WarmAllocation.leastBytes(body, STEPS, 0);
  }

  private static long warmStepBytes(Layer layer, Shape shape) {
    Tensor x = Tensor.uniform(shape, -1, 1, 1);
    Tensor gy = Tensor.uniform(shape, -1, 1, 2);
    return warmBytes(() -> {
      layer.forward(x, true);
      layer.backward(gy);
    });
  }

  @Test
  void layerNormAllocatesNothing() {
    assertEquals(0L, warmStepBytes(new LayerNorm(70), Shape.of(3, 5, 70)), "bytes of " + STEPS + " LayerNorm steps");
  }

  @Test
  void rmsNormAllocatesNothing() {
    assertEquals(0L, warmStepBytes(new RMSNorm(70), Shape.of(3, 5, 70)), "bytes of " + STEPS + " RMSNorm steps");
  }

  @Test
  void softmaxAllocatesNothing() {
    assertEquals(0L, warmStepBytes(new Softmax(), Shape.of(3, 5, 70)), "bytes of " + STEPS + " Softmax steps");
  }

  @Test
  void smallGemmAllocatesNothing() {
    GemmKernels g = KernelProvider.get().gemm();
    int t = 17;
    int dh = 24;
    int ld = 3 * 4 * dh;
    float[] qkv = Tensor.uniform(Shape.of(t, ld), -1, 1, 3).toArray();
    float[] scores = new float[t * t];
    float[] out = new float[t * dh];
    assertEquals(0L, warmBytes(() -> {
      Gemm.multiplySmall(g, false, true, t, t, dh, qkv, 0, ld, qkv, 4 * dh, ld, scores, 0, t);
      Gemm.multiplySmall(g, false, false, t, dh, t, scores, 0, t, qkv, 8 * dh, ld, out, 0, dh);
      Gemm.multiplySmall(g, true, false, t, dh, t, scores, 0, t, qkv, 8 * dh, ld, out, 0, dh);
    }), "bytes of " + STEPS + " rounds of small GEMMs");
  }
}

package org.autoprop.graph;

import org.autoprop.kernel.ElementwiseKernels;
import org.autoprop.kernel.KernelProvider;
import org.autoprop.kernel.Parallel;
import org.autoprop.kernel.ParallelPolicy;
import org.autoprop.tensor.Tensor;

/**
 * {@code out := a + b} for the gradients that meet at a fan-out node, split over the engine
 * threads when large. One instance per graph, reused, so a parallel sum allocates nothing.
 */
final class GradientSum implements Parallel.Chunk {
  // Read when the graph is built, like a layer's kernels (KernelProvider.current()).
  private final ElementwiseKernels elementwise = KernelProvider.current().elementwise();

  private Tensor a;
  private Tensor b;
  private Tensor out;

  /**
   * out := a + b; {@code out} is contiguous and may be {@code a}.
   *
   * @throws IllegalArgumentException if the shapes differ
   */
  void sum(Tensor a, Tensor b, Tensor out) {
    if (!a.shape().equals(out.shape()) || !b.shape().equals(out.shape())) {
      throw new IllegalArgumentException("LayerGraph: gradients " + a.shape() + " and " + b.shape()
          + " meet at a fan-out node of output shape " + out.shape());
    }
    this.a = a.contiguous();
    this.b = b.contiguous();
    this.out = out;
    try {
      ParallelPolicy.ELEMENTWISE.forChunks(out.size(), out.size(), this);
    } finally {
      this.a = null;
      this.b = null;
      this.out = null;
    }
  }

  @Override
  public void run(int from, int to) {
    elementwise.add(a.data(), a.offset() + from, b.data(), b.offset() + from, out.data(),
        out.offset() + from, to - from);
  }
}

package org.autoprop.layer;

import org.autoprop.kernel.ElementwiseKernels;
import org.autoprop.kernel.KernelProvider;
import org.autoprop.tensor.Tensor;

/** y = max(x, 0); gx = g where y &gt; 0, else 0 (from the output). */
public final class ReLU extends Activation {
  private static final ElementwiseKernels ELEMENTWISE = KernelProvider.get().elementwise();

  /** A ReLU. */
  public ReLU() {}

  @Override
  protected void apply(Tensor x, Tensor y) {
    ELEMENTWISE.relu(x.data(), x.offset(), y.data(), 0, y.size());
  }

  @Override
  protected void applyBackward(Tensor x, Tensor y, Tensor g, Tensor gx) {
    ELEMENTWISE.reluBackward(y.data(), 0, g.data(), g.offset(), gx.data(), 0, gx.size());
  }
}

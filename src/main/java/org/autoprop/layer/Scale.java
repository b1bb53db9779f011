package org.autoprop.layer;

import org.autoprop.kernel.ElementwiseKernels;
import org.autoprop.tensor.Tensor;

/**
 * y = a * x for a constant {@code a} (no parameter); gx = a * g. The residual scaling of the
 * Inception-ResNet blocks ({@code out * scale + x}), on inputs of any rank.
 */
public final class Scale extends Activation {
  private final float a;
  private final ElementwiseKernels elementwise = kernels.elementwise();

  /**
   * A constant scaling.
   *
   * @param a the factor, finite
   */
  public Scale(double a) {
    this.a = finite("Scale", "factor", a);
  }

  /** The factor. */
  public float factor() {
    return a;
  }

  @Override
  protected void apply(Tensor x, Tensor y) {
    elementwise.scale(a, x.data(), x.offset(), y.data(), 0, y.size());
  }

  @Override
  protected void applyBackward(Tensor x, Tensor y, Tensor g, Tensor gx) {
    elementwise.scale(a, g.data(), g.offset(), gx.data(), 0, gx.size());
  }

  @Override
  public String toString() {
    return "Scale(" + a + ")";
  }
}

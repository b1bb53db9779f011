package org.autoprop.train;

import java.util.List;
import org.autoprop.kernel.ElementwiseKernels;
import org.autoprop.kernel.KernelProvider;
import org.autoprop.layer.Parameter;
import org.autoprop.tensor.Tensor;

/** Gradient clipping, as PyTorch's {@code clip_grad_norm_} and {@code clip_grad_value_}. */
public final class GradClip {
  private static final ElementwiseKernels KERNELS = KernelProvider.get().elementwise();

  private GradClip() {}

  /**
   * Scales all gradients by {@code maxNorm / (norm + 1e-6)} when that is below 1, where
   * {@code norm} is the L2 norm of all gradients together.
   *
   * @return the global norm before clipping
   */
  public static double byGlobalNorm(List<Parameter> parameters, double maxNorm) {
    if (!(maxNorm > 0)) {
      throw new IllegalArgumentException("clip by norm: max norm " + maxNorm + " (expected: > 0)");
    }
    double sumSquares = 0;
    for (Parameter p : parameters) {
      Tensor g = p.grad();
      sumSquares += KERNELS.dot(g.data(), g.offset(), g.data(), g.offset(), g.size());
    }
    double norm = Math.sqrt(sumSquares);
    double coef = maxNorm / (norm + 1e-6);
    if (coef < 1) {
      for (Parameter p : parameters) {
        Tensor g = p.grad();
        KERNELS.scale((float) coef, g.data(), g.offset(), g.data(), g.offset(), g.size());
      }
    }
    return norm;
  }

  /** Clamps every gradient element to {@code [-clip, clip]}. */
  public static void byValue(List<Parameter> parameters, double clip) {
    if (!(clip >= 0)) {
      throw new IllegalArgumentException("clip by value: clip " + clip + " (expected: >= 0)");
    }
    float c = (float) clip;
    for (Parameter p : parameters) {
      Tensor g = p.grad();
      float[] d = g.data();
      for (int i = g.offset(), end = g.offset() + g.size(); i < end; i++) {
        d[i] = Math.max(-c, Math.min(c, d[i]));
      }
    }
  }
}

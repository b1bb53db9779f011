package org.autoprop.layer;

import org.autoprop.tensor.Tensor;

/**
 * y = x * tanh(softplus(x)), softplus(x) = log(1 + exp(x)) (PyTorch's {@code nn.Mish}); gx = g *
 * (t + x * sigmoid(x) * (1 - t^2)) with t = tanh(softplus(x)).
 *
 * <p>PyTorch's Mish applies no softplus threshold: it is {@code x * tanh(log1p(exp(x)))}, which in
 * float32 becomes exactly {@code x} once {@code tanh} saturates. This layer computes in double
 * through {@code t = n / (n + 2)}, {@code n = e^x (e^x + 2)} (the same function, one exp and no
 * cancellation for negative x) and takes {@code t = 1} above x = 20, where {@code 1 - t} is below
 * double precision; the float results agree with PyTorch's to rounding.
 */
public final class Mish extends Activation {
  /** Above this, tanh(softplus(x)) is 1 in double precision (1 - t is about 2 e^(-2x)). */
  private static final double SATURATED = 20;

  /** A Mish (no settings, as PyTorch's). */
  public Mish() {}

  @Override
  protected void apply(Tensor x, Tensor y) {
    float[] src = x.data();
    float[] dst = y.data();
    int off = x.offset();
    for (int i = 0, n = y.size(); i < n; i++) {
      double v = src[off + i];
      dst[i] = (float) (v * tanhSoftplus(v));
    }
  }

  @Override
  protected void applyBackward(Tensor x, Tensor y, Tensor g, Tensor gx) {
    float[] src = x.data();
    float[] up = g.data();
    float[] dst = gx.data();
    int xo = x.offset();
    int go = g.offset();
    for (int i = 0, n = gx.size(); i < n; i++) {
      double v = src[xo + i];
      double d;
      if (v > SATURATED) {
        d = 1;
      } else {
        double e = Math.exp(v);
        double m = e * (e + 2);
        double t = m / (m + 2);
        // 1 - t^2 = (1 - t)(1 + t) with 1 - t = 2 / (m + 2): exact where t is near 1.
        d = t + v * (e / (1 + e)) * (2 / (m + 2)) * (1 + t);
      }
      dst[i] = (float) (up[go + i] * d);
    }
  }

  /** tanh(log(1 + e^v)) = n / (n + 2) with n = e^v (e^v + 2). */
  private static double tanhSoftplus(double v) {
    if (v > SATURATED) {
      return 1;
    }
    double e = Math.exp(v);
    double m = e * (e + 2);
    return m / (m + 2);
  }
}

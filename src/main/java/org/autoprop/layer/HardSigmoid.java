package org.autoprop.layer;

import org.autoprop.tensor.Tensor;

/**
 * y = min(max(x + 3, 0), 6) / 6 (PyTorch's {@code nn.Hardsigmoid}); gx = g / 6 strictly inside
 * (-3, 3) and 0 elsewhere, the kinks -3 and 3 included, as PyTorch's backward.
 */
public final class HardSigmoid extends Activation {
  private static final float SIXTH = 1f / 6f;

  /** A HardSigmoid (no settings, as PyTorch's). */
  public HardSigmoid() {}

  @Override
  protected void apply(Tensor x, Tensor y) {
    float[] src = x.data();
    float[] dst = y.data();
    int off = x.offset();
    for (int i = 0, n = y.size(); i < n; i++) {
      dst[i] = Math.min(Math.max(src[off + i] + 3f, 0f), 6f) / 6f;
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
      float v = src[xo + i];
      dst[i] = v > -3f && v < 3f ? up[go + i] * SIXTH : 0f;
    }
  }
}

package org.autoprop.layer;

import org.autoprop.kernel.KernelProvider;
import org.autoprop.kernel.PoolKernels;

/**
 * Global average pooling: {@code [N, C, H, W] -> [N, C, 1, 1]}, the mean of each plane
 * (adaptive average pooling to 1x1).
 */
public final class GlobalAvgPool2D extends AdaptiveAvgPool2D {
  /** A global average pool. */
  public GlobalAvgPool2D() {
    this(KernelProvider.get().pool());
  }

  GlobalAvgPool2D(PoolKernels kernels) {
    super(1, 1, kernels);
  }

  @Override
  String describe() {
    return typeName();
  }

  @Override
  public String typeName() {
    return "GlobalAvgPool2D";
  }
}

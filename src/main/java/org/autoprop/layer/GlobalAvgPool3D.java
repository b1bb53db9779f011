package org.autoprop.layer;

/**
 * Global average pooling: {@code [N, C, D, H, W] -> [N, C, 1, 1, 1]}, the mean of each channel volume
 * (adaptive average pooling to 1x1x1, one pass over each contiguous volume).
 */
public final class GlobalAvgPool3D extends AdaptiveAvgPool3D {
  /** A global average pool. */
  public GlobalAvgPool3D() {
    super(1, 1, 1);
  }

  @Override
  String describe() {
    return typeName();
  }

  @Override
  public String typeName() {
    return "GlobalAvgPool3D";
  }
}

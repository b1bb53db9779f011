package org.autoprop.layer;

/**
 * Global average pooling: {@code [N, C, H, W] -> [N, C, 1, 1]}, the mean of each plane
 * (adaptive average pooling to 1x1).
 */
public final class GlobalAvgPool2D extends AdaptiveAvgPool2D {
  /** A global average pool. */
  public GlobalAvgPool2D() {
    super(1, 1);
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

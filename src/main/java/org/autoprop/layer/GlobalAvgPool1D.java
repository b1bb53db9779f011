package org.autoprop.layer;

/** Global average pooling: {@code [N, C, L] -> [N, C, 1]}, the mean of each channel (adaptive average pooling to 1). */
public final class GlobalAvgPool1D extends AdaptiveAvgPool1D {
  /** A global average pool. */
  public GlobalAvgPool1D() {
    super(1);
  }

  @Override
  String describe() {
    return typeName();
  }

  @Override
  public String typeName() {
    return "GlobalAvgPool1D";
  }
}

package org.autoprop.zoo;

import org.autoprop.layer.Initializer;

/** The initializations torchvision's MobileNetV3 and EfficientNet start from. */
final class TorchvisionInit {
  private TorchvisionInit() {}

  /** {@code kaiming_normal_(w, mode="fan_out")}: N(0, 2 / fanOut). */
  static final Initializer HE_NORMAL_FAN_OUT = (t, fanIn, fanOut, seed) -> Initializer.HE_NORMAL.fill(t, fanOut, fanIn,
      seed);

  /** EfficientNet's classifier, {@code uniform_(w, -1/sqrt(out), 1/sqrt(out))}. */
  static final Initializer UNIFORM_FAN_OUT = (t, fanIn, fanOut, seed) -> Initializer.PYTORCH_DEFAULT.fill(t, fanOut,
      fanIn, seed);
}

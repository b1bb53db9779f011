package org.autoprop.blocks;

import java.util.LinkedHashMap;
import org.autoprop.layer.Conv2D;
import org.autoprop.layer.GlobalAvgPool2D;
import org.autoprop.layer.Initializer;
import org.autoprop.layer.Layer;
import org.autoprop.layer.ReLU;
import org.autoprop.layer.Sequential;
import org.autoprop.layer.Sigmoid;

/**
 * The squeeze-and-excitation gate of torchvision's {@code ops.SqueezeExcitation} and timm's
 * {@code SEModule}: global average, 1x1 convolution {@code C -> hidden} with bias, ReLU, 1x1
 * convolution back to {@code C} with bias, sigmoid; the gate {@code [N, C, 1, 1]}, which a
 * {@code HADAMARD} node multiplies into the features. Children {@code avgpool}, {@code fc1},
 * {@code activation}, {@code fc2}, {@code scale_activation} (torchvision's names; timm's
 * parameters have the same names, {@code fc1.*} and {@code fc2.*}).
 */
final class ConvGate {
  private ConvGate() {}

  /**
   * The gate.
   *
   * @param channels the features' channels {@code C}
   * @param hidden the squeezed width
   * @param init the convolutions' weight initializer (biases start as PyTorch's default)
   * @param seed1 the seed of fc1, or null for the global default sequence
   * @param seed2 the seed of fc2, or null
   */
  static Sequential of(int channels, int hidden, Initializer init, Long seed1, Long seed2) {
    LinkedHashMap<String, Layer> gate = new LinkedHashMap<>();
    gate.put("avgpool", new GlobalAvgPool2D());
    gate.put("fc1", conv(channels, hidden, init, seed1));
    gate.put("activation", new ReLU());
    gate.put("fc2", conv(hidden, channels, init, seed2));
    gate.put("scale_activation", new Sigmoid());
    return new Sequential(gate);
  }

  private static Conv2D conv(int from, int to, Initializer init, Long seed) {
    Conv2D.Builder b = Conv2D.builder(from, to).kernel(1).initializer(init).biasInitializer(Initializer.PYTORCH_DEFAULT);
    return (seed == null ? b : b.seed(seed)).build();
  }
}

package org.autoprop.zoo;

import org.autoprop.layer.Initializer;

/**
 * One seed per layer derived from the model's, for the zoo's feed-forward models ({@link VGG},
 * {@link AlexNet}, {@link LeNet5}).
 */
final class LayerSeeds {
  private LayerSeeds() {}

  /**
   * The seed of the model's {@code i}-th layer: a mix of the model's seed and {@code i}, or the
   * next of the global default sequence when the model has none.
   */
  static long seed(Long modelSeed, int i) {
    return modelSeed == null ? Initializer.nextDefaultSeed()
        : modelSeed * 0x9E3779B97F4A7C15L + 0x2545F4914F6CDD1DL * (i + 1);
  }
}

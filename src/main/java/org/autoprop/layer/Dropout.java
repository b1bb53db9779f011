package org.autoprop.layer;

import org.autoprop.tensor.Shape;

/**
 * Inverted dropout (PyTorch's {@code Dropout}): in training each element is zeroed with
 * probability {@code p} and the others are scaled by {@code 1 / (1 - p)}; in evaluation the layer
 * is the identity.
 *
 * <p>The mask comes from a {@link java.util.SplittableRandom} seeded at construction and advanced by
 * each training forward, so a seed gives a reproducible sequence of masks. Backward applies the mask
 * (and scaling) of the latest forward.
 */
public final class Dropout extends DropoutCore {
  /** Dropout with drop probability {@code p} in [0, 1) and the given seed. */
  public Dropout(double p, long seed) {
    super("Dropout", p, seed);
  }

  @Override
  int groupSize(Shape input) {
    return 1;
  }

  @Override
  public String typeName() {
    return "Dropout";
  }
}

package org.autoprop.layer;

import org.autoprop.tensor.Shape;

/**
 * Channel dropout (PyTorch's {@code Dropout2d}) on {@code [N, C, H, W]} (or {@code [N, C, L]}): in
 * training each whole channel plane of each sample is zeroed with probability {@code p} and the
 * others are scaled by {@code 1 / (1 - p)}; in evaluation the layer is the identity.
 *
 * <p>The mask comes from a {@link java.util.SplittableRandom} seeded at construction and advanced by
 * each training forward (one draw per sample and channel). Backward applies the mask of the latest
 * forward.
 */
public final class Dropout2D extends DropoutCore {
  /** Channel dropout with drop probability {@code p} in [0, 1) and the given seed. */
  public Dropout2D(double p, long seed) {
    super("Dropout2D", p, seed);
  }

  @Override
  int groupSize(Shape input) {
    if (input.rank() != 3 && input.rank() != 4) {
      throw new IllegalArgumentException(describe() + ": input " + input + " has rank " + input.rank()
          + " (expected: 4, [N, C, H, W], or 3, [N, C, L])");
    }
    return input.sizeOf(2, input.rank());
  }

  @Override
  public String typeName() {
    return "Dropout2D";
  }
}

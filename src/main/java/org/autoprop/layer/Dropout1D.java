package org.autoprop.layer;

import org.autoprop.tensor.Shape;

/**
 * Channel dropout on sequences (PyTorch's {@code Dropout1d}) on {@code [N, C, L]}: in training each
 * whole channel of each sample is zeroed with probability {@code p} and the others are scaled by
 * {@code 1 / (1 - p)}; in evaluation the layer is the identity.
 *
 * <p>The mask comes from a {@link java.util.SplittableRandom} seeded at construction and advanced by
 * each training forward (one draw per sample and channel). Backward applies the mask of the latest
 * forward.
 */
public final class Dropout1D extends DropoutCore {
  /** Channel dropout with drop probability {@code p} in [0, 1) and the given seed. */
  public Dropout1D(double p, long seed) {
    super("Dropout1D", p, seed);
  }

  @Override
  int groupSize(Shape input) {
    if (input.rank() != 3) {
      throw new IllegalArgumentException(describe() + ": input " + input + " has rank " + input.rank()
          + " (expected: 3, [N, C, L])");
    }
    return input.dim(2);
  }

  @Override
  public String typeName() {
    return "Dropout1D";
  }
}

package org.autoprop.layer;

import org.autoprop.tensor.Shape;

/**
 * Channel dropout on volumes (PyTorch's {@code Dropout3d}) on {@code [N, C, D, H, W]}: in training
 * each whole channel volume of each sample is zeroed with probability {@code p} and the others are
 * scaled by {@code 1 / (1 - p)}; in evaluation the layer is the identity.
 *
 * <p>The mask comes from a {@link java.util.SplittableRandom} seeded at construction and advanced by
 * each training forward (one draw per sample and channel). Backward applies the mask of the latest
 * forward.
 */
public final class Dropout3D extends DropoutCore {
  /** Channel dropout with drop probability {@code p} in [0, 1) and the given seed. */
  public Dropout3D(double p, long seed) {
    super("Dropout3D", p, seed);
  }

  @Override
  int groupSize(Shape input) {
    if (input.rank() != 5) {
      throw new IllegalArgumentException(describe() + ": input " + input + " has rank " + input.rank()
          + " (expected: 5, [N, C, D, H, W])");
    }
    return input.sizeOf(2, 5);
  }

  @Override
  public String typeName() {
    return "Dropout3D";
  }
}

package org.autoprop.layer;

import org.autoprop.tensor.Shape;

/** The checks every layer makes at the start of a backward pass, with one wording. */
final class LayerChecks {
  private LayerChecks() {}

  /**
   * Checks that a forward ran and that the upstream gradient has the shape of its output.
   *
   * @param layer the layer, named by its {@code toString()}
   * @param expected the latest output's shape, or null when no forward ran
   * @param actual the upstream gradient's shape
   * @throws IllegalStateException when no forward ran
   * @throws IllegalArgumentException when the shapes differ
   */
  static void checkGradient(Object layer, Shape expected, Shape actual) {
    if (expected == null) {
      throw new IllegalStateException(layer + ": backward called before forward");
    }
    if (!actual.equals(expected)) {
      throw new IllegalArgumentException(layer + ": gradient " + actual + " (expected: " + expected
          + ", the shape of the latest output)");
    }
  }
}

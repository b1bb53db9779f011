package org.autoprop.layer;

import org.autoprop.tensor.Shape;

/**
 * Flattens every axis after the batch axis: {@code [N, d1, d2, ...] -> [N, d1 * d2 * ...]}
 * (PyTorch's {@code Flatten()} with {@code start_dim=1}).
 *
 * <p>A view of a contiguous input (no copy); the gradient is a view reshaped back.
 */
public final class Flatten extends ViewLayer {
  /** A flatten from axis 1. */
  public Flatten() {}

  @Override
  public Shape outputShape(Shape input) {
    if (input.rank() < 2) {
      throw new IllegalArgumentException(typeName() + ": input " + input + " has rank " + input.rank()
          + " (expected: >= 2, [N, ...])");
    }
    return Shape.of(input.dim(0), input.sizeOf(1, input.rank()));
  }
}

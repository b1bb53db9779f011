package org.autoprop.layer;

import org.autoprop.tensor.Shape;

/**
 * y = x; the gradient passes through unchanged (Luma's {@code Linear} activation is this layer).
 *
 * <p>{@link #forward} returns a contiguous input itself and {@link #backward} the upstream
 * gradient itself (no copies): under the {@link Layer} contract nobody writes into either, so the
 * no-aliasing rule holds. A strided input or gradient is copied into a reused buffer.
 */
public class Identity extends ViewLayer {
  /** An identity layer. */
  public Identity() {}

  /** The input shape: any rank. */
  @Override
  public Shape outputShape(Shape input) {
    return input;
  }
}

package org.autoprop.layer;

import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * y = x; the gradient passes through unchanged.
 *
 * <p>{@link #forward} returns the input tensor itself (no copy): it never writes into it, so the
 * no-aliasing rule holds, but the "output" is then only as long-lived as the caller's input.
 * {@link #backward} copies the gradient into a buffer the layer owns, so that callers which add
 * into returned gradients (fan-out accumulation) never write into another layer's tensor.
 */
public class Identity implements Layer {
  private Shape lastShape;
  private Tensor gradIn;

  /** An identity layer. */
  public Identity() {}

  /** The input shape: any rank. */
  @Override
  public Shape outputShape(Shape input) {
    return input;
  }

  /** Returns {@code x} itself. */
  @Override
  public Tensor forward(Tensor x, boolean training) {
    lastShape = outputShape(x.shape());
    return x;
  }

  /**
   * A copy of {@code gradOut} (owned by this layer, valid until its next backward).
   *
   * @throws IllegalStateException before any forward
   * @throws IllegalArgumentException if {@code gradOut}'s shape is not the latest input's
   */
  @Override
  public Tensor backward(Tensor gradOut) {
    if (lastShape == null) {
      throw new IllegalStateException(typeName() + ": backward called before forward");
    }
    if (!gradOut.shape().equals(lastShape)) {
      throw new IllegalArgumentException(typeName() + ": gradient " + gradOut.shape()
          + " does not match the output (expected: " + lastShape + ")");
    }
    gradIn = Tensor.reuse(gradIn, lastShape).copyFrom(gradOut);
    return gradIn;
  }

  /** 0: data movement only. */
  @Override
  public long flops(Shape input) {
    outputShape(input);
    return 0;
  }

  @Override
  public String toString() {
    return typeName();
  }
}

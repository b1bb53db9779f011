package org.autoprop.layer;

import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * An identity that keeps what passed through it: {@code y = x}, {@code gx = gy}, with
 * {@link #last()} the latest forward's output and {@link #lastGradient()} the latest backward's
 * input gradient (copies in the layer's own buffers, valid until its next call), to look at an
 * intermediate activation or gradient of a graph without changing it.
 *
 * <p>Luma's {@code Buffer} is also an identity on its path, but adds to it (with {@code np.sum}, or
 * another operation) the tensors queued by {@code add_for_buffer} / {@code add_back_buffer}, which is
 * how Luma's graphs wire skip connections; here a {@code LayerGraph} merge node ({@code MergeMode.SUM})
 * does that, so this layer keeps only the observation role. Any rank.
 */
public final class Buffer extends AbstractLayer {
  private Tensor last;
  private Tensor lastGradient;

  /** An empty buffer. */
  public Buffer() {}

  /** Any shape: the input shape. */
  @Override
  public Shape outputShape(Shape input) {
    return input;
  }

  @Override
  protected void forward(Tensor x, Tensor y, boolean training) {
    y.copyFrom(x);
    last = y;
  }

  @Override
  protected void backward(Tensor x, Tensor y, Tensor gy, Tensor gx) {
    gx.copyFrom(gy);
    lastGradient = gx;
  }

  /**
   * The output of the latest forward (a copy of its input).
   *
   * @throws IllegalStateException before the first forward
   */
  public Tensor last() {
    if (last == null) {
      throw new IllegalStateException("Buffer: no forward yet (expected: last() after a forward)");
    }
    return last;
  }

  /**
   * The input gradient of the latest backward (a copy of its upstream gradient).
   *
   * @throws IllegalStateException before the first backward
   */
  public Tensor lastGradient() {
    if (lastGradient == null) {
      throw new IllegalStateException("Buffer: no backward yet (expected: lastGradient() after a backward)");
    }
    return lastGradient;
  }

  /** 0: data movement only. */
  @Override
  public long flops(Shape input) {
    return 0;
  }

  @Override
  public String typeName() {
    return "Buffer";
  }

  @Override
  public String toString() {
    return "Buffer";
  }
}

package org.autoprop.layer;

import java.util.List;
import java.util.Map;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * {@code ReLU(BatchNorm2D(x))} in one pass: {@code y = max(x * scale[c] + shift[c], 0)}, and a
 * backward of one reduction pass and one map pass with the ReLU mask recomputed from the input
 * ({@code x * scale[c] + shift[c] > 0}, bit for bit the forward's test).
 *
 * <p>A view over an existing {@link BatchNorm2D}: it has no state of its own. The parameters
 * ({@code weight}, {@code bias}), the buffers ({@code running_mean}, {@code running_var}), the
 * statistics and the output buffer are the batch norm's own objects, so names, state dicts and
 * optimizers see no difference, and the running statistics are updated exactly as by
 * {@link BatchNorm2D#forward}. The returned tensor is the batch norm's output buffer, which after a
 * fused forward holds the post-ReLU values.
 *
 * <p>{@code LayerGraph} and {@code Sequential} use it automatically where a BatchNorm2D feeds only a
 * ReLU ({@link BatchNorm2D#fuseWith}, through the {@link Fusion} pass).
 */
public final class BatchNormReLU2D implements Layer {
  private final BatchNorm2D bn;

  /** The fused layer over {@code bn}'s parameters, buffers and output. */
  public BatchNormReLU2D(BatchNorm2D bn) {
    this.bn = java.util.Objects.requireNonNull(bn, "bn");
  }

  /** The wrapped batch norm. */
  public BatchNorm2D batchNorm() {
    return bn;
  }

  /** The batch norm's output shape (ReLU keeps it); errors name the batch norm. */
  @Override
  public Shape outputShape(Shape input) {
    return bn.outputShape(input);
  }

  /** y := max(BatchNorm2D(x), 0), in the batch norm's output buffer; training updates its running statistics. */
  @Override
  public Tensor forward(Tensor x, boolean training) {
    return bn.forwardFused(x, training);
  }

  /**
   * The input gradient of the latest fused forward; accumulates the batch norm's parameter
   * gradients.
   *
   * @throws IllegalStateException if the batch norm's latest forward was not a fused one
   */
  @Override
  public Tensor backward(Tensor gradOut) {
    Shape output = bn.latestOutputShape();
    if (output != null && !bn.lastForwardFused()) {
      throw new IllegalStateException(this + ": backward called without a fused forward (the latest forward of "
          + bn.describe() + " was unfused)");
    }
    LayerChecks.checkGradient(this, output, gradOut.shape());
    return bn.backward(gradOut);
  }

  /** The batch norm's parameters (the same objects). */
  @Override
  public List<Parameter> parameters() {
    return bn.parameters();
  }

  /** The batch norm's buffers (the same objects). */
  @Override
  public Map<String, Tensor> buffers() {
    return bn.buffers();
  }

  /** The batch norm's flops plus one per element for the ReLU. */
  @Override
  public long flops(Shape input) {
    return bn.flops(input) + input.size();
  }

  /** {@code BatchNormReLU2D}. */
  @Override
  public String typeName() {
    return "BatchNormReLU2D";
  }

  /** {@code BatchNormReLU2D(channels)}. */
  @Override
  public String toString() {
    return "BatchNormReLU2D(" + bn.channels() + ")";
  }
}

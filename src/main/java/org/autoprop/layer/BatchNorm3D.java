package org.autoprop.layer;

import org.autoprop.tensor.Shape;

/**
 * Batch normalisation over the channels of a volume batch {@code [N, C, D, H, W]} (PyTorch's
 * {@code BatchNorm3d}): {@code y = (x - mean) / sqrt(var + eps) * weight + bias} per channel, the
 * statistics taken over {@code N, D, H, W}.
 *
 * <p>Training uses the batch mean and biased variance and updates the running statistics with the
 * unbiased variance: {@code running = (1 - momentum) * running + momentum * batch}. Evaluation uses
 * the running statistics. Parameters {@code weight} (init 1) and {@code bias} (init 0); buffers
 * {@code running_mean} (init 0), {@code running_var} (init 1) and {@code num_batches_tracked}. The kernels are
 * {@link BatchNorm2D}'s: a channel's {@code D x H x W} values are one contiguous plane.
 */
public final class BatchNorm3D extends BatchNormCore {
  /** A batch norm over {@code channels} channels, momentum 0.1, eps 1e-5. */
  public BatchNorm3D(int channels) {
    super(channels);
  }

  /** Sets the momentum of the running statistics, in [0, 1]; returns this. */
  public BatchNorm3D momentum(double momentum) {
    setMomentum(momentum);
    return this;
  }

  /** Sets eps (> 0), added to the variance before the square root; returns this. */
  public BatchNorm3D eps(double eps) {
    setEps(eps);
    return this;
  }

  @Override
  int spatial(Shape input) {
    if (input.rank() != 5) {
      throw new IllegalArgumentException(describe() + ": input " + input + " has rank " + input.rank()
          + " (expected: 5, [N, " + channels + ", D, H, W])");
    }
    if (input.dim(1) != channels) {
      throw new IllegalArgumentException(describe() + ": input " + input + " has " + input.dim(1)
          + " channels (expected: " + channels + ")");
    }
    return input.dim(2) * input.dim(3) * input.dim(4);
  }

  @Override
  public String typeName() {
    return "BatchNorm3D";
  }
}

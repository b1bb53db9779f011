package org.autoprop.layer;

import org.autoprop.tensor.Shape;

/**
 * Batch normalisation over the channels of an image batch {@code [N, C, H, W]} (PyTorch's
 * {@code BatchNorm2d}): {@code y = (x - mean) / sqrt(var + eps) * weight + bias} per channel.
 *
 * <p>Training uses the batch mean and biased variance and updates the running statistics with the
 * unbiased variance: {@code running = (1 - momentum) * running + momentum * batch}. Evaluation uses
 * the running statistics. Parameters {@code weight} (init 1) and {@code bias} (init 0); buffers
 * {@code running_mean} (init 0), {@code running_var} (init 1) and {@code num_batches_tracked} (the
 * training forwards so far, rank 0, as PyTorch's).
 */
public final class BatchNorm2D extends BatchNormCore implements FusesNext {
  /** A batch norm over {@code channels} channels, momentum 0.1, eps 1e-5. */
  public BatchNorm2D(int channels) {
    super(channels);
  }


  /** Sets the momentum of the running statistics, in [0, 1]; returns this. */
  public BatchNorm2D momentum(double momentum) {
    setMomentum(momentum);
    return this;
  }

  /** Sets eps (> 0), added to the variance before the square root; returns this. */
  public BatchNorm2D eps(double eps) {
    setEps(eps);
    return this;
  }

  @Override
  int spatial(Shape input) {
    if (input.rank() != 4) {
      throw new IllegalArgumentException(describe() + ": input " + input + " has rank " + input.rank()
          + " (expected: 4, [N, " + channels + ", H, W])");
    }
    if (input.dim(1) != channels) {
      throw new IllegalArgumentException(describe() + ": input " + input + " has " + input.dim(1)
          + " channels (expected: " + channels + ")");
    }
    return input.dim(2) * input.dim(3);
  }

  /** A {@link BatchNormReLU2D} over this batch norm when {@code next} is a ReLU, else null. */
  @Override
  public Layer fuseWith(Layer next) {
    return next instanceof FusableActivation a && a.kind() == FusableActivation.Kind.RELU ? new BatchNormReLU2D(this) : null;
  }

  @Override
  public String typeName() {
    return "BatchNorm2D";
  }
}

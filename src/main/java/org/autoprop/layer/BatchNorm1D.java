package org.autoprop.layer;

import org.autoprop.tensor.Shape;

/**
 * Batch normalisation over the features of {@code [N, C]} or {@code [N, C, L]} (PyTorch's
 * {@code BatchNorm1d}): {@code y = (x - mean) / sqrt(var + eps) * weight + bias} per feature,
 * with statistics over the batch (and L).
 *
 * <p>Training uses the batch mean and biased variance and updates the running statistics with the
 * unbiased variance: {@code running = (1 - momentum) * running + momentum * batch}. Evaluation uses
 * the running statistics. Parameters {@code weight} (init 1) and {@code bias} (init 0); buffers
 * {@code running_mean} (init 0), {@code running_var} (init 1) and {@code num_batches_tracked} (the
 * training forwards so far, rank 0, as PyTorch's).
 */
public final class BatchNorm1D extends BatchNormCore {
  /** A batch norm over {@code features} features, momentum 0.1, eps 1e-5. */
  public BatchNorm1D(int features) {
    super(features);
  }


  /** Sets the momentum of the running statistics, in [0, 1]; returns this. */
  public BatchNorm1D momentum(double momentum) {
    setMomentum(momentum);
    return this;
  }

  /** Sets eps (> 0), added to the variance before the square root; returns this. */
  public BatchNorm1D eps(double eps) {
    setEps(eps);
    return this;
  }

  @Override
  int spatial(Shape input) {
    if (input.rank() != 2 && input.rank() != 3) {
      throw new IllegalArgumentException(describe() + ": input " + input + " has rank " + input.rank()
          + " (expected: 2 or 3, [N, " + channels + "] or [N, " + channels + ", L])");
    }
    if (input.dim(1) != channels) {
      throw new IllegalArgumentException(describe() + ": input " + input + " has " + input.dim(1)
          + " features (expected: " + channels + ")");
    }
    return input.rank() == 3 ? input.dim(2) : 1;
  }

  @Override
  public String typeName() {
    return "BatchNorm1D";
  }
}

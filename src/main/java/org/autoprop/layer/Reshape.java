package org.autoprop.layer;

import java.util.Arrays;
import org.autoprop.tensor.Shape;

/**
 * Reshapes every sample: {@code [N, ...] -> [N, dims...]}, where at most one of {@code dims} is -1
 * (inferred from the sample size), like PyTorch's {@code x.view(N, *dims)}.
 *
 * <p>A view of a contiguous input (no copy); the gradient is a view reshaped back.
 */
public final class Reshape extends ViewLayer {
  private final int[] dims;
  private final int inferred;
  private final int known;

  /**
   * Reshapes each sample to {@code dims} (excluding the batch axis); each extent must be positive
   * except one that may be -1.
   */
  public Reshape(int... dims) {
    if (dims == null || dims.length == 0) {
      throw new IllegalArgumentException("Reshape: dims must not be empty");
    }
    this.dims = dims.clone();
    int infer = -1;
    long k = 1;
    for (int i = 0; i < dims.length; i++) {
      if (dims[i] == -1) {
        if (infer >= 0) {
          throw new IllegalArgumentException(describe() + ": more than one -1 (at " + infer + " and " + i + ")");
        }
        infer = i;
      } else if (dims[i] < 1) {
        throw new IllegalArgumentException(describe() + ": extent " + dims[i] + " at " + i + " (expected: >= 1 or -1)");
      } else {
        k *= dims[i];
      }
    }
    if (k > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(describe() + ": " + k + " elements per sample (expected: < 2^31)");
    }
    this.inferred = infer;
    this.known = (int) k;
  }

  /** The target extents per sample, as given (a copy). */
  public int[] dims() {
    return dims.clone();
  }

  private String describe() {
    return typeName() + "(" + Arrays.toString(dims) + ")";
  }

  @Override
  public Shape outputShape(Shape input) {
    if (input.rank() < 1) {
      throw new IllegalArgumentException(describe() + ": input " + input + " has rank 0 (expected: >= 1, [N, ...])");
    }
    int per = input.sizeOf(1, input.rank());
    int[] out = new int[dims.length + 1];
    out[0] = input.dim(0);
    System.arraycopy(dims, 0, out, 1, dims.length);
    if (inferred >= 0) {
      if (per % known != 0) {
        throw new IllegalArgumentException(describe() + ": input " + input + " has " + per
            + " elements per sample (expected: a multiple of " + known + ")");
      }
      out[inferred + 1] = per / known;
    } else if (per != known) {
      throw new IllegalArgumentException(describe() + ": input " + input + " has " + per
          + " elements per sample (expected: " + known + ")");
    }
    return Shape.of(out);
  }

  @Override
  public String toString() {
    return describe();
  }
}

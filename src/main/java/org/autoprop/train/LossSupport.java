package org.autoprop.train;

import java.util.Objects;
import org.autoprop.tensor.Tensor;

/** Shared argument checks of the losses. */
final class LossSupport {
  private LossSupport() {}

  /** Checks a [N, C] input and N labels in [0, C); returns nothing, throws a message naming the loss. */
  static void checkClassification(String loss, Tensor input, int[] labels) {
    if (input.rank() != 2) {
      throw new IllegalArgumentException(
          loss + ": input " + input.shape() + " has rank " + input.rank() + " (expected: [batch, classes])");
    }
    Objects.requireNonNull(labels, "labels");
    int n = input.dim(0);
    if (n == 0) {
      throw new IllegalArgumentException(loss + ": empty batch " + input.shape() + " (expected: at least one sample; "
          + "the mean of no losses is undefined)");
    }
    int c = input.dim(1);
    if (labels.length != n) {
      throw new IllegalArgumentException(
          loss + ": " + labels.length + " labels for input " + input.shape() + " (expected: " + n + ")");
    }
    if (c == 0) {
      throw new IllegalArgumentException(loss + ": input " + input.shape() + " has no classes");
    }
    for (int i = 0; i < n; i++) {
      if (labels[i] < 0 || labels[i] >= c) {
        throw new IllegalArgumentException(loss + ": label " + labels[i] + " at index " + i
            + " is out of range for " + c + " classes (expected: 0 <= label < " + c + ")");
      }
    }
  }

  /** Checks that the target has the input's shape. */
  static void checkSameShape(String loss, Tensor input, Tensor target) {
    Objects.requireNonNull(target, "target");
    if (!input.shape().equals(target.shape())) {
      throw new IllegalArgumentException(
          loss + ": target " + target.shape() + " (expected: the input's shape " + input.shape() + ")");
    }
    if (input.size() == 0) {
      throw new IllegalArgumentException(loss + ": empty input " + input.shape() + " (expected: at least one element; "
          + "the mean of no losses is undefined)");
    }
  }

  static void checkForwardDone(String loss, Tensor grad) {
    if (grad == null) {
      throw new IllegalStateException(loss + ": backward() called before forward()");
    }
  }

  /** Copies labels into {@code buffer} when it has the right length (no allocation per step). */
  static int[] copyLabels(int[] labels, int[] buffer) {
    int[] out = buffer != null && buffer.length == labels.length ? buffer : new int[labels.length];
    System.arraycopy(labels, 0, out, 0, labels.length);
    return out;
  }
}

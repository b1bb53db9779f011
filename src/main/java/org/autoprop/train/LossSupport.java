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

  /** Returns {@code reduction} if it is MEAN or SUM; a loss without terms to keep rejects NONE. */
  static Reduction meanOrSum(String loss, Reduction reduction) {
    Objects.requireNonNull(reduction, "reduction");
    if (reduction == Reduction.NONE) {
      throw new IllegalArgumentException(loss + ": reduction NONE is not supported (expected: MEAN or SUM)");
    }
    return reduction;
  }

  /** {@code total / count} for MEAN, else {@code total}. */
  static double reduce(Reduction reduction, double total, int count) {
    return reduction == Reduction.MEAN ? total / count : total;
  }

  /** The index of flat element {@code i} of a tensor of shape {@code dims}, e.g. {@code [1, 2]}. */
  static String index(int[] dims, int i) {
    int[] index = new int[dims.length];
    for (int a = dims.length - 1, rest = i; a >= 0; a--) {
      index[a] = dims[a] == 0 ? 0 : rest % dims[a];
      rest = dims[a] == 0 ? 0 : rest / dims[a];
    }
    return java.util.Arrays.toString(index);
  }

  /** Checks that every element of {@code t} is finite; names the loss, the tensor and the first bad index. */
  static void checkFinite(String loss, String what, Tensor t) {
    Tensor c = t.contiguous();
    float[] d = c.data();
    int n = c.size();
    for (int i = 0; i < n; i++) {
      float v = d[c.offset() + i];
      if (!Float.isFinite(v)) {
        throw new IllegalArgumentException(loss + ": " + what + " " + v + " at " + index(c.shape().dims(), i)
            + " of " + c.shape() + " (expected: finite values)");
      }
    }
  }

  /** Checks that the upstream gradient of {@code backward(upstream)} has the shape of the loss terms. */
  static void checkUpstream(String loss, Tensor losses, Tensor upstream) {
    if (losses == null) {
      throw backwardBeforeForward(loss);
    }
    Objects.requireNonNull(upstream, "upstream");
    if (!upstream.shape().equals(losses.shape())) {
      throw new IllegalArgumentException(loss + ": upstream gradient " + upstream.shape()
          + " (expected: the shape of the loss terms " + losses.shape() + ")");
    }
  }

  /**
   * The error of a backward before any forward. Callers test for the missing forward state first
   * and build the loss's name only then: a name made on every backward would allocate per step.
   */
  static IllegalStateException backwardBeforeForward(String loss) {
    return new IllegalStateException(loss + ": backward() called before forward()");
  }

  /** Copies labels into {@code buffer} when it has the right length (no allocation per step). */
  static int[] copyLabels(int[] labels, int[] buffer) {
    int[] out = buffer != null && buffer.length == labels.length ? buffer : new int[labels.length];
    System.arraycopy(labels, 0, out, 0, labels.length);
    return out;
  }
}

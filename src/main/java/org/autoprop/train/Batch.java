package org.autoprop.train;

import org.autoprop.tensor.Tensor;

/**
 * One mini-batch: inputs {@code [b, ...]} and b labels. The tensors are reused by the next batch of
 * the same size, so a batch is valid until the iterator moves on.
 */
public final class Batch {
  private final Tensor inputs;
  private final int[] labels;
  private int index;

  Batch(Tensor inputs, int[] labels) {
    this.inputs = inputs;
    this.labels = labels;
  }

  /** The inputs {@code [b, ...]}. */
  public Tensor inputs() {
    return inputs;
  }

  /** The b labels. */
  public int[] labels() {
    return labels;
  }

  /** The number of samples b. */
  public int size() {
    return labels.length;
  }

  /** The 0-based position of this batch in its epoch. */
  public int index() {
    return index;
  }

  void setIndex(int index) {
    this.index = index;
  }
}

package org.autoprop.train;

import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * A labelled classification data set held in memory: inputs {@code [n, ...]} (e.g.
 * {@code [n, 1, 28, 28]} images) and one class index per sample.
 */
public final class Dataset {
  private final Tensor inputs;
  private final int[] labels;
  private final int classCount;

  /**
   * @param inputs {@code [n, ...]}, contiguous (not copied)
   * @param labels n class indices, at least 0 (not copied)
   */
  public Dataset(Tensor inputs, int[] labels) {
    if (inputs.rank() < 1) {
      throw new IllegalArgumentException("Dataset: inputs " + inputs.shape() + " have no sample axis");
    }
    if (!inputs.isContiguous()) {
      throw new IllegalArgumentException("Dataset: inputs " + inputs.shape() + " must be contiguous");
    }
    if (labels.length != inputs.dim(0)) {
      throw new IllegalArgumentException("Dataset: " + labels.length + " labels for inputs " + inputs.shape()
          + " (expected: " + inputs.dim(0) + ")");
    }
    int max = -1;
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] < 0) {
        throw new IllegalArgumentException("Dataset: label " + labels[i] + " at index " + i + " (expected: >= 0)");
      }
      max = Math.max(max, labels[i]);
    }
    this.inputs = inputs;
    this.labels = labels;
    this.classCount = max + 1;
  }

  /**
   * Images from unsigned bytes {@code [n, rows, cols]}, as {@code [n, 1, rows, cols]} floats
   * {@code (p / 255 - mean) / std}.
   */
  public static Dataset fromBytes(byte[] pixels, int count, int rows, int cols, int[] labels, double mean, double std) {
    if (!(std > 0)) {
      throw new IllegalArgumentException("Dataset: std " + std + " (expected: > 0)");
    }
    long size = (long) count * rows * cols;
    if (pixels.length != size) {
      throw new IllegalArgumentException("Dataset: " + pixels.length + " pixels (expected: " + count + " x " + rows
          + " x " + cols + " = " + size + ")");
    }
    float[] data = new float[pixels.length];
    float a = (float) (1 / (255 * std));
    float b = (float) (-mean / std);
    for (int i = 0; i < data.length; i++) {
      data[i] = (pixels[i] & 0xff) * a + b;
    }
    return new Dataset(Tensor.wrap(data, Shape.of(count, 1, rows, cols)), labels);
  }

  /** The number of samples. */
  public int size() {
    return labels.length;
  }

  /** The shape of one sample (the inputs' shape without the first axis). */
  public Shape sampleShape() {
    int[] d = inputs.shape().dims();
    return Shape.of(java.util.Arrays.copyOfRange(d, 1, d.length));
  }

  /** All inputs {@code [n, ...]} (shared, not copied). */
  public Tensor inputs() {
    return inputs;
  }

  /** All labels (shared, not copied). */
  public int[] labels() {
    return labels;
  }

  /** One more than the largest label. */
  public int classCount() {
    return classCount;
  }

  /** Samples {@code [from, to)}, sharing the data. */
  public Dataset subset(int from, int to) {
    if (from < 0 || to > size() || from > to) {
      throw new IllegalArgumentException(
          "Dataset.subset [" + from + ", " + to + ") (expected: 0 <= from <= to <= " + size() + ")");
    }
    return new Dataset(inputs.slice(0, from, to), java.util.Arrays.copyOfRange(labels, from, to));
  }

  /** Mini-batches of {@code batchSize}; the last smaller batch is dropped if {@code dropLast}. */
  public Batches batches(int batchSize, boolean dropLast) {
    return new Batches(this, batchSize, dropLast);
  }
}

package org.autoprop.train;

import java.util.Arrays;
import java.util.Objects;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * A labelled classification data set held in memory: inputs {@code [n, ...]} (e.g.
 * {@code [n, 1, 28, 28]} images) and one class index per sample.
 *
 * <p>A data set made {@link #fromBytes from bytes} keeps the bytes (a quarter of the floats'
 * memory: 47 MB instead of 188 MB for Fashion-MNIST's training set) and decodes each sample when
 * a batch is filled, with the same float arithmetic, so the numbers are the same either way.
 *
 * <p>A data set may carry how its batches are made: a per-sample {@link Transform} (data
 * augmentation, seeded per sample; see {@link #withTransform}) and a prefetch depth (batches
 * prepared on a background thread while the training step runs; see {@link #withPrefetch}).
 * {@link Trainer} and {@link #batches} honour both, so augmentation and prefetching need no other
 * change to a training loop.
 *
 * <p>Not thread-safe: {@link #inputs()} decodes lazily; share a data set between threads only
 * after calling it, or give each thread its own. (A prefetching {@link Batches} reads samples on
 * its background thread through {@code copySample}, which never decodes lazily.)
 */
public final class Dataset {
  /** The float inputs; for a byte data set, null until {@link #inputs()} decodes them. */
  private Tensor inputs;
  private final Shape shape;
  private final int sampleSize;
  /** Unsigned pixels of a byte data set, from {@code pixelOffset}; else null. */
  private final byte[] pixels;
  private final int pixelOffset;
  private final float scale;
  private final float shift;
  private final int[] labels;
  private final int classCount;
  /** Applied to each sample when a batch is filled; null for none. */
  private final Transform transform;
  /** Batches prepared ahead on a background thread; 0 for none. */
  private final int prefetch;

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
    this.inputs = inputs;
    this.shape = inputs.shape();
    this.sampleSize = shape.sizeOf(1, shape.rank());
    this.pixels = null;
    this.pixelOffset = 0;
    this.scale = 1;
    this.shift = 0;
    this.labels = labels;
    this.classCount = classCount(labels);
    this.transform = null;
    this.prefetch = 0;
  }

  /** The same samples (shared) with another transform and prefetch depth. */
  private Dataset(Dataset base, Transform transform, int prefetch) {
    this.inputs = base.inputs;
    this.shape = base.shape;
    this.sampleSize = base.sampleSize;
    this.pixels = base.pixels;
    this.pixelOffset = base.pixelOffset;
    this.scale = base.scale;
    this.shift = base.shift;
    this.labels = base.labels;
    this.classCount = base.classCount;
    this.transform = transform;
    this.prefetch = prefetch;
  }

  private Dataset(byte[] pixels, int pixelOffset, Shape shape, float scale, float shift, int[] labels) {
    this.inputs = null;
    this.shape = shape;
    this.sampleSize = shape.sizeOf(1, shape.rank());
    this.pixels = pixels;
    this.pixelOffset = pixelOffset;
    this.scale = scale;
    this.shift = shift;
    this.labels = labels;
    this.classCount = classCount(labels);
    this.transform = null;
    this.prefetch = 0;
  }

  private static int classCount(int[] labels) {
    int max = -1;
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] < 0) {
        throw new IllegalArgumentException("Dataset: label " + labels[i] + " at index " + i + " (expected: >= 0)");
      }
      max = Math.max(max, labels[i]);
    }
    return max + 1;
  }

  /**
   * Images from unsigned bytes {@code [n, rows, cols]}, as {@code [n, 1, rows, cols]} floats
   * {@code (p / 255 - mean) / std}. The bytes are kept (not copied) and decoded batch by batch.
   *
   * @param pixels count x rows x cols unsigned bytes, row-major (not copied)
   * @param count the number of images
   * @param rows the image height
   * @param cols the image width
   * @param labels count class indices, at least 0 (not copied)
   * @param mean the mean subtracted after scaling to [0, 1], finite
   * @param std the standard deviation divided by, finite and positive
   * @return the data set
   */
  public static Dataset fromBytes(byte[] pixels, int count, int rows, int cols, int[] labels, double mean, double std) {
    Objects.requireNonNull(pixels, "pixels");
    Objects.requireNonNull(labels, "labels");
    if (!(std > 0) || !Double.isFinite(std)) {
      throw new IllegalArgumentException("Dataset: std " + std + " (expected: > 0 and finite)");
    }
    if (!Double.isFinite(mean)) {
      throw new IllegalArgumentException("Dataset: mean " + mean + " (expected: finite)");
    }
    long size = (long) count * rows * cols;
    if (pixels.length != size) {
      throw new IllegalArgumentException("Dataset: " + pixels.length + " pixels (expected: " + count + " x " + rows
          + " x " + cols + " = " + size + ")");
    }
    if (labels.length != count) {
      throw new IllegalArgumentException("Dataset: " + labels.length + " labels for " + count + " images");
    }
    return new Dataset(pixels, 0, Shape.of(count, 1, rows, cols), (float) (1 / (255 * std)), (float) (-mean / std),
        labels);
  }

  /** The number of samples. */
  public int size() {
    return labels.length;
  }

  /** The shape of one sample (the inputs' shape without the first axis). */
  public Shape sampleShape() {
    int[] d = shape.dims();
    return Shape.of(Arrays.copyOfRange(d, 1, d.length));
  }

  /**
   * All inputs {@code [n, ...]} (shared, not copied). A data set made from bytes decodes them
   * here on the first call (four bytes per value) and reads batches from that tensor afterwards,
   * so changes to it are seen by later batches.
   */
  public Tensor inputs() {
    if (inputs == null) {
      int sampleSize = sampleSize();
      float[] data = new float[Math.multiplyExact(size(), sampleSize)];
      for (int s = 0; s < size(); s++) {
        copySample(s, data, s * sampleSize);
      }
      inputs = Tensor.wrap(data, shape);
    }
    return inputs;
  }

  /** The number of values in one sample. */
  int sampleSize() {
    return sampleSize;
  }

  /** Copies sample {@code s} as floats into {@code out} from {@code at}. */
  void copySample(int s, float[] out, int at) {
    int n = sampleSize;
    if (inputs != null) {
      System.arraycopy(inputs.data(), inputs.offset() + s * n, out, at, n);
      return;
    }
    int from = pixelOffset + s * n;
    for (int i = 0; i < n; i++) {
      out[at + i] = (pixels[from + i] & 0xff) * scale + shift;
    }
  }

  /** All labels (shared, not copied). */
  public int[] labels() {
    return labels;
  }

  /** One more than the largest label. */
  public int classCount() {
    return classCount;
  }

  /**
   * The same samples (shared, not copied) whose batches apply {@code transform} to every sample,
   * e.g. {@code Transforms.randomCrop(32, 4).then(Transforms.horizontalFlip())}. The transform's
   * randomness is seeded per sample from the pass's seed ({@link Batches#shuffle}'s, 0 in order)
   * and the sample's index, so a run is reproducible. The output shape is checked when batches
   * are made; batches then have the transform's output shape. {@code null} removes the transform.
   */
  public Dataset withTransform(Transform transform) {
    return new Dataset(this, transform, prefetch);
  }

  /**
   * The same samples (shared) whose batches are prepared by one background thread, up to
   * {@code batches} ahead of the one in use (0, the default, prepares each batch when asked).
   * The batches and their order are the same either way.
   *
   * @throws IllegalArgumentException if {@code batches} is negative or above 64
   */
  public Dataset withPrefetch(int batches) {
    if (batches < 0 || batches > 64) {
      throw new IllegalArgumentException("Dataset.withPrefetch: " + batches + " batches (expected: 0 <= batches <= 64)");
    }
    return new Dataset(this, transform, batches);
  }

  /** The per-sample transform of the batches, or null. */
  public Transform transform() {
    return transform;
  }

  /** The number of batches prepared ahead on a background thread (0: none). */
  public int prefetch() {
    return prefetch;
  }

  /** Samples {@code [from, to)}, sharing the data, with the same transform and prefetch depth. */
  public Dataset subset(int from, int to) {
    if (from < 0 || to > size() || from > to) {
      throw new IllegalArgumentException(
          "Dataset.subset [" + from + ", " + to + ") (expected: 0 <= from <= to <= " + size() + ")");
    }
    int[] part = Arrays.copyOfRange(labels, from, to);
    Dataset sub;
    if (inputs != null) {
      sub = new Dataset(inputs.slice(0, from, to), part);
    } else {
      int[] dims = shape.dims();
      dims[0] = to - from;
      sub = new Dataset(pixels, pixelOffset + from * sampleSize(), Shape.of(dims), scale, shift, part);
    }
    return transform == null && prefetch == 0 ? sub : new Dataset(sub, transform, prefetch);
  }

  /**
   * Mini-batches of {@code batchSize}; the last smaller batch is dropped if {@code dropLast}. They
   * apply the data set's {@link #transform} and {@link #prefetch}.
   *
   * @throws IllegalArgumentException if the batch size is not positive, or naming the transform
   *     and the sample shape if the transform cannot take it
   */
  public Batches batches(int batchSize, boolean dropLast) {
    return new Batches(this, batchSize, dropLast);
  }
}

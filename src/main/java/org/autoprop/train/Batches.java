package org.autoprop.train;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * Mini-batch iteration over a {@link Dataset} in the current order: in order after construction,
 * or a permutation fixed by {@link #shuffle(long)}'s seed alone (the same seed gives the same
 * order, whatever happened before). Batch tensors are allocated once (one full-size, one for a
 * smaller last batch) and refilled, so iterating allocates nothing per batch.
 */
public final class Batches implements Iterable<Batch> {
  private final Dataset data;
  private final int batchSize;
  private final boolean dropLast;
  private final int[] order;
  private final int sampleSize;
  private Batch full;
  private Batch last;

  Batches(Dataset data, int batchSize, boolean dropLast) {
    if (batchSize <= 0) {
      throw new IllegalArgumentException("Batches: batch size " + batchSize + " (expected: > 0)");
    }
    this.data = data;
    this.batchSize = batchSize;
    this.dropLast = dropLast;
    this.order = new int[data.size()];
    this.sampleSize = data.sampleShape().size();
    inOrder();
  }

  /** The batch size. */
  public int batchSize() {
    return batchSize;
  }

  /** The number of batches per pass. */
  public int count() {
    int n = data.size();
    return dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
  }

  /** The number of samples per pass. */
  public int sampleCount() {
    return dropLast ? count() * batchSize : data.size();
  }

  /** Restores the data set's order. */
  public void inOrder() {
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
  }

  /** Sets the order to the Fisher-Yates permutation drawn from {@code seed}. */
  public void shuffle(long seed) {
    inOrder();
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = order.length - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
  }

  /** One pass over the batches in the current order. */
  @Override
  public Iterator<Batch> iterator() {
    return new Iterator<>() {
      private int next;

      @Override
      public boolean hasNext() {
        return next < count();
      }

      @Override
      public Batch next() {
        if (!hasNext()) {
          throw new NoSuchElementException("no batch " + next + " of " + count());
        }
        int from = next * batchSize;
        int b = Math.min(batchSize, data.size() - from);
        Batch batch = buffer(b);
        fill(batch, from);
        batch.setIndex(next++);
        return batch;
      }
    };
  }

  private Batch buffer(int b) {
    if (b == batchSize) {
      if (full == null) {
        full = newBatch(b);
      }
      return full;
    }
    if (last == null) {
      last = newBatch(b);
    }
    return last;
  }

  private Batch newBatch(int b) {
    int[] sample = data.sampleShape().dims();
    int[] dims = new int[sample.length + 1];
    dims[0] = b;
    System.arraycopy(sample, 0, dims, 1, sample.length);
    return new Batch(Tensor.zeros(Shape.of(dims)), new int[b]);
  }

  private void fill(Batch batch, int from) {
    float[] out = batch.inputs().data();
    int[] labels = data.labels();
    for (int i = 0, b = batch.size(); i < b; i++) {
      int s = order[from + i];
      data.copySample(s, out, i * sampleSize);
      batch.labels()[i] = labels[s];
    }
  }
}

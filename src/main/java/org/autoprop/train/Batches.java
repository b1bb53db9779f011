package org.autoprop.train;

import java.lang.ref.Cleaner;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * Mini-batch iteration over a {@link Dataset} in the current order: in order after construction,
 * or a permutation fixed by {@link #shuffle(long)}'s seed alone (the same seed gives the same
 * order, whatever happened before). Batch tensors are allocated once and refilled, so iterating
 * allocates nothing per batch (a {@link Transform} allocates one small generator per sample).
 *
 * <p><b>Transforms.</b> If the data set has a {@link Dataset#transform transform}, each sample
 * is transformed as its batch is filled, with a generator seeded from the pass's seed (the
 * {@link #shuffle} seed, or 0 {@link #inOrder in order}) and the sample's index in the data set
 * only: a function of (seed, epoch, sample), never of a shared generator, timing or threads.
 *
 * <p><b>Prefetch.</b> If the data set has a {@link Dataset#prefetch prefetch} depth {@code k > 0},
 * each pass starts one background (daemon) thread that fills up to {@code k} batches ahead of the
 * one the caller holds, in a ring of {@code k + 1} full-size buffers (plus one for a smaller last
 * batch), and the caller's {@code next()} waits for the next one. The batches, their order and
 * their values are exactly those of {@code k = 0}. A failure while preparing batch {@code i}
 * (e.g. in a transform) is thrown by the {@code next()} that would have returned it, as an
 * {@link IllegalStateException} naming the batch, with the failure as its cause. The thread ends
 * when the pass is complete, when a new pass starts, on {@link #close}, or once the pass's
 * iterator is abandoned (garbage-collected, e.g. after an exception in the training step).
 *
 * <p>A batch is valid until the next {@code next()} on its iterator or the start of another pass.
 */
public final class Batches implements Iterable<Batch>, AutoCloseable {
  private static final Cleaner CLEANER = Cleaner.create();
  /** How often a waiting background thread checks whether its pass was cancelled. */
  private static final long POLL_MILLIS = 50;

  private final Dataset data;
  private final int batchSize;
  private final boolean dropLast;
  private final int[] order;
  private final int sampleSize;
  private final Shape outSample;
  private final int outSize;
  private final List<Transform> stages;
  /** The input shape of each stage. */
  private final Shape[] stageShapes;
  private final int prefetch;
  private long passSeed;
  private Batch full;
  private Batch last;
  /** The prefetch ring: full-size buffers; null until the first prefetching pass. */
  private Batch[] ring;
  /** The running prefetch pass, or null. */
  private Pass running;

  Batches(Dataset data, int batchSize, boolean dropLast) {
    if (batchSize <= 0) {
      throw new IllegalArgumentException("Batches: batch size " + batchSize + " (expected: > 0)");
    }
    this.data = data;
    this.batchSize = batchSize;
    this.dropLast = dropLast;
    this.order = new int[data.size()];
    Shape sample = data.sampleShape();
    this.sampleSize = sample.size();
    Transform t = data.transform();
    this.outSample = t == null ? sample : t.outputShape(sample);
    this.outSize = outSample.size();
    this.stages = t == null ? List.of() : t.stages();
    this.stageShapes = new Shape[stages.size()];
    Shape s = sample;
    for (int k = 0; k < stages.size(); k++) {
      stageShapes[k] = s;
      s = stages.get(k).outputShape(s);
    }
    this.prefetch = data.prefetch();
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

  /** The shape of one sample of a batch: the data set's, or its transform's output. */
  public Shape sampleShape() {
    return outSample;
  }

  /** Restores the data set's order; transforms are seeded with 0. */
  public void inOrder() {
    cancelRunning();
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    passSeed = 0;
  }

  /**
   * Sets the order to the Fisher-Yates permutation drawn from {@code seed}, and seeds the
   * transforms of the next passes with it.
   */
  public void shuffle(long seed) {
    inOrder();
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = order.length - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    passSeed = seed;
  }

  /**
   * The generator of sample {@code sample}'s transform in a pass seeded with {@code seed}: two
   * rounds of SplitMix64's finaliser, so neighbouring seeds and indices give unrelated streams.
   */
  static SplittableRandom sampleRandom(long seed, int sample) {
    return new SplittableRandom(mix(seed ^ mix(sample + 0x632BE59BD9B4E019L)));
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /**
   * One pass over the batches in the current order; with prefetching, starts its background
   * thread (ending a previous pass's).
   */
  @Override
  public Iterator<Batch> iterator() {
    cancelRunning();
    if (prefetch == 0) {
      return new Iterator<>() {
        private int next;
        private final Filler filler = new Filler();

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
          Batch batch = buffer(Math.min(batchSize, data.size() - from));
          try {
            filler.fill(batch, from);
          } catch (RuntimeException | Error e) {
            throw failure(next, e);
          }
          batch.setIndex(next++);
          return batch;
        }
      };
    }
    if (ring == null) {
      ring = new Batch[prefetch + 1];
      for (int i = 0; i < ring.length; i++) {
        ring[i] = newBatch(batchSize);
      }
    }
    Pass pass = new Pass();
    running = pass;
    PassIterator it = new PassIterator(pass);
    CLEANER.register(it, pass::cancel); // the pass (and its thread) must not reference the iterator
    pass.start();
    return it;
  }

  /** Ends the running prefetch pass, if any, and waits for its thread to finish. */
  @Override
  public void close() {
    cancelRunning();
  }

  private void cancelRunning() {
    Pass p = running;
    running = null;
    if (p != null) {
      p.cancel();
      p.join();
    }
  }

  private IllegalStateException failure(int index, Throwable e) {
    return new IllegalStateException("Batches: preparing batch " + index + " (of " + count() + ") failed: " + e, e);
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
    int[] sample = outSample.dims();
    int[] dims = new int[sample.length + 1];
    dims[0] = b;
    System.arraycopy(sample, 0, dims, 1, sample.length);
    return new Batch(Tensor.zeros(Shape.of(dims)), new int[b]);
  }

  /** Fills batches; owns the transform's scratch arrays (one filler per thread). */
  private final class Filler {
    private float[] raw;
    private float[] a;
    private float[] b;

    void fill(Batch batch, int from) {
      float[] out = batch.inputs().data();
      int[] labels = data.labels();
      for (int i = 0, n = batch.size(); i < n; i++) {
        int s = order[from + i];
        if (stages.isEmpty()) {
          data.copySample(s, out, i * sampleSize);
        } else {
          transform(s, out, i * outSize);
        }
        batch.labels()[i] = labels[s];
      }
    }

    private void transform(int s, float[] out, int at) {
      if (raw == null) {
        raw = new float[sampleSize];
      }
      data.copySample(s, raw, 0);
      SplittableRandom random = sampleRandom(passSeed, s);
      float[] src = raw;
      for (int k = 0, n = stages.size(); k < n; k++) {
        Transform t = stages.get(k);
        if (k == n - 1) {
          t.apply(src, 0, stageShapes[k], out, at, random);
          return;
        }
        int size = stageShapes[k + 1].size();
        float[] dst = src == a ? b : a;
        if (dst == null || dst.length < size) {
          dst = new float[size];
          if (src == a) {
            b = dst;
          } else {
            a = dst;
          }
        }
        t.apply(src, 0, stageShapes[k], dst, 0, random);
        src = dst;
      }
    }
  }

  /** A failure of the background thread, queued in place of its batch. */
  private record Failure(int index, Throwable cause) {}

  /**
   * One prefetching pass: the background thread's state. It never references the iterator, so an
   * abandoned iterator can be collected and its cleaner can cancel the pass.
   */
  private final class Pass implements Runnable {
    private final BlockingQueue<Batch> free = new ArrayBlockingQueue<>(ring.length);
    private final BlockingQueue<Object> ready = new ArrayBlockingQueue<>(ring.length + 1);
    private final int count = count();
    private volatile boolean cancelled;
    private Thread thread;

    Pass() {
      for (Batch b : ring) {
        free.add(b);
      }
    }

    void start() {
      thread = new Thread(this, "autoprop-prefetch");
      thread.setDaemon(true);
      thread.start();
    }

    void cancel() {
      cancelled = true;
    }

    void join() {
      boolean interrupted = false;
      while (thread.isAlive()) {
        try {
          thread.join();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }

    @Override
    public void run() {
      Filler filler = new Filler();
      int index = 0;
      try {
        for (; index < count && !cancelled; index++) {
          int from = index * batchSize;
          int b = Math.min(batchSize, data.size() - from);
          Batch batch;
          if (b == batchSize) {
            batch = take();
            if (batch == null) {
              return;
            }
          } else {
            if (last == null) {
              last = newBatch(b); // only this thread touches 'last' during a prefetching pass
            }
            batch = last;
          }
          filler.fill(batch, from);
          batch.setIndex(index);
          if (!put(batch)) {
            return;
          }
        }
      } catch (RuntimeException | Error e) {
        put(new Failure(index, e));
      }
    }

    /** A free buffer, or null once cancelled. */
    private Batch take() {
      try {
        while (!cancelled) {
          Batch b = free.poll(POLL_MILLIS, TimeUnit.MILLISECONDS);
          if (b != null) {
            return b;
          }
        }
      } catch (InterruptedException e) {
        cancelled = true;
      }
      return null;
    }

    private boolean put(Object item) {
      try {
        while (!cancelled) {
          if (ready.offer(item, POLL_MILLIS, TimeUnit.MILLISECONDS)) {
            return true;
          }
        }
      } catch (InterruptedException e) {
        cancelled = true;
      }
      return false;
    }
  }

  /** The caller's side of a prefetching pass. */
  private final class PassIterator implements Iterator<Batch> {
    private final Pass pass;
    private int next;
    private Batch held;

    PassIterator(Pass pass) {
      this.pass = pass;
    }

    @Override
    public boolean hasNext() {
      return next < pass.count && !pass.cancelled;
    }

    @Override
    public Batch next() {
      if (pass.cancelled) {
        throw new IllegalStateException("Batches: this pass was ended (a new pass started, or close() was called)");
      }
      if (next >= pass.count) {
        throw new NoSuchElementException("no batch " + next + " of " + pass.count);
      }
      if (held != null && held != last) {
        pass.free.add(held); // the caller is done with it: the thread may refill it
      }
      held = null;
      Object item;
      try {
        item = pass.ready.take();
      } catch (InterruptedException e) {
        pass.cancel();
        Thread.currentThread().interrupt();
        throw new IllegalStateException("Batches: interrupted while waiting for batch " + next, e);
      }
      if (item instanceof Failure) {
        Failure f = (Failure) item;
        pass.cancel();
        throw failure(f.index(), f.cause());
      }
      held = (Batch) item;
      next++;
      return held;
    }
  }
}

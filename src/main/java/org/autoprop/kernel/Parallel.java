package org.autoprop.kernel;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;
import java.util.function.IntConsumer;

/**
 * The engine's one thread pool (never the common pool) and a parallel loop over disjoint work
 * items.
 *
 * <p>The size comes from {@code -Dautoprop.threads} (default: the available processors) and is
 * fixed for the JVM's life. Work is never nested: a loop started from inside a pool thread runs
 * serially.
 */
public final class Parallel {
  /** The system property that sets the number of engine threads. */
  public static final String PROPERTY = "autoprop.threads";

  /** The number of engine threads, at least 1. */
  public static final int THREADS = readThreads();

  private Parallel() {}

  private static int readThreads() {
    String v = System.getProperty(PROPERTY);
    if (v == null || v.isBlank()) {
      return Runtime.getRuntime().availableProcessors();
    }
    try {
      int t = Integer.parseInt(v.trim());
      if (t >= 1) {
        return t;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException("-D" + PROPERTY + "=" + v + " (expected: an integer >= 1)");
  }

  private static final class Pool {
    static final ForkJoinPool POOL = new ForkJoinPool(THREADS, p -> {
      var t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
      t.setName("autoprop-" + t.getPoolIndex());
      t.setDaemon(true);
      return t;
    }, null, false);
  }

  /**
   * Runs {@code body.accept(i)} for every {@code i} in {@code [0, count)}, split into at most
   * {@link #THREADS} contiguous chunks. Serial when {@code count < 2}, when there is one thread, or
   * when called from an engine thread.
   */
  public static void forRange(int count, IntConsumer body) {
    if (count < 2 || THREADS == 1 || ForkJoinTask.inForkJoinPool()) {
      for (int i = 0; i < count; i++) {
        body.accept(i);
      }
      return;
    }
    int chunks = Math.min(THREADS, count);
    Pool.POOL.invoke(new RangeTask(body, 0, count, chunks));
  }

  private static final class RangeTask extends RecursiveAction {
    private static final long serialVersionUID = 1L;
    private final transient IntConsumer body;
    private final int from;
    private final int to;
    private final int chunks;

    RangeTask(IntConsumer body, int from, int to, int chunks) {
      this.body = body;
      this.from = from;
      this.to = to;
      this.chunks = chunks;
    }

    @Override
    protected void compute() {
      if (chunks <= 1) {
        for (int i = from; i < to; i++) {
          body.accept(i);
        }
        return;
      }
      int leftChunks = chunks / 2;
      int mid = from + (int) ((long) (to - from) * leftChunks / chunks);
      invokeAll(new RangeTask(body, from, mid, leftChunks), new RangeTask(body, mid, to, chunks - leftChunks));
    }
  }
}

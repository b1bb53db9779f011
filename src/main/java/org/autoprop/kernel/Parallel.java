package org.autoprop.kernel;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * The engine's threads (never the common pool) and parallel loops over disjoint work items.
 *
 * <p>The size is {@link #configure(int) configured} before the first parallel loop, else read from
 * {@code -Dautoprop.threads}, else the available processors; it is fixed from the first call of
 * {@link #threads()} (which every loop makes) for the JVM's life. A loop splits its range into at
 * most {@link #threads()} contiguous chunks; the calling thread runs chunks too, helped by
 * {@code threads() - 1} daemon workers. A loop allocates nothing: the job lives in fields of one
 * engine object. Work is never nested and loops never wait for each other: a loop started from
 * inside a loop body, from an engine thread, or while another thread's loop is running runs
 * serially on the calling thread. Whether a loop is worth the threads at all is decided by
 * {@link ParallelPolicy}.
 *
 * <p>Results never depend on the thread count: a loop body writes disjoint outputs, and a sum over
 * the items (a weight gradient summed over the images of a batch) is split into a fixed number of
 * parts ({@link #PARTS}, or fewer for small inputs, never a function of {@link #threads()}), each
 * part summed in item order into its own partial and the partials added in part order afterwards
 * ({@link #forParts}).
 */
public final class Parallel {
  /** The system property that sets the number of engine threads when {@link #configure} is not called. */
  public static final String PROPERTY = "autoprop.threads";

  /**
   * The number of parts a sum over a batch is split into, whatever the thread count: every part
   * has its own partial, so each sum is the same for 1 or 64 threads. 16 keeps 2, 4, 8 and 16
   * threads evenly loaded; the extra partials cost one pass over the weights each.
   */
  public static final int PARTS = 16;

  /** The configured size, 0 until {@link #configure} or the first {@link #threads()}; then fixed. */
  private static volatile int size;

  private Parallel() {}

  /**
   * Sets the number of engine threads (the calling thread included). Call it once, before anything
   * runs a parallel loop or asks for {@link #threads()}; calling it again with the size in force
   * does nothing.
   *
   * @param threads the number of threads, at least 1
   * @throws IllegalArgumentException if {@code threads < 1}
   * @throws IllegalStateException if the engine already has another size (it was configured, or a
   *     loop or {@link #threads()} fixed it, before this call)
   */
  public static synchronized void configure(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("Parallel.configure(" + threads + ") (expected: threads >= 1)");
    }
    if (size != 0 && size != threads) {
      throw new IllegalStateException("Parallel.configure(" + threads + "): the engine already has " + size
          + " thread(s), fixed by an earlier configure or first use (expected: configure before the first"
          + " parallel loop)");
    }
    size = threads;
  }

  /**
   * The number of engine threads (the calling thread included), at least 1. The first call fixes
   * it: the {@link #configure configured} size, else {@code -Dautoprop.threads}, else the available
   * processors.
   *
   * @throws IllegalArgumentException if {@code -Dautoprop.threads} is not an integer {@code >= 1}
   *     (on every call until it is fixed)
   */
  public static int threads() {
    int t = size;
    return t != 0 ? t : fixSize();
  }

  /** The size in force: configured, or read now and fixed. */
  private static synchronized int fixSize() {
    if (size == 0) {
      size = readThreads();
    }
    return size;
  }

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

  /** The body of {@link #forChunks}: handles the items {@code [from, to)}. */
  @FunctionalInterface
  public interface Chunk {
    /** Processes items {@code from} (inclusive) to {@code to} (exclusive). */
    void run(int from, int to);
  }

  /** The body of {@link #forParts}: handles one part, with the scratch space of one worker slot. */
  @FunctionalInterface
  public interface Part {
    /**
     * Processes part {@code part}. {@code slot} (in {@code [0, threads())}) is not used by any other
     * part running at the same time, so per-slot scratch buffers need no locking; which slot runs
     * which part depends on scheduling, so a part's result must not depend on the slot.
     */
    void run(int part, int slot);
  }

  /**
   * Runs {@code body.run(p, slot)} for every part {@code p} in {@code [0, parts)}, the parts split
   * into at most {@link #threads()} contiguous chunks as {@link #forChunks}; the parts of one chunk
   * run in order on one thread with one slot. Serial (slot 0) as {@link #forChunks}.
   */
  public static void forParts(int parts, Part body) {
    if (parts < 1) {
      return;
    }
    if (parts < 2 || threads() == 1 || !Engine.INSTANCE.run(parts, null, null, body)) {
      for (int p = 0; p < parts; p++) {
        body.run(p, 0);
      }
    }
  }

  /**
   * Runs {@code body.accept(i)} for every {@code i} in {@code [0, count)}, split into at most
   * {@link #threads()} contiguous chunks. Serial when {@code count < 2}, when there is one thread, or
   * when the engine is busy or called from an engine thread.
   */
  public static void forRange(int count, IntConsumer body) {
    if (count < 2 || threads() == 1 || !Engine.INSTANCE.run(count, body, null, null)) {
      for (int i = 0; i < count; i++) {
        body.accept(i);
      }
    }
  }

  /**
   * Runs {@code body.run(from, to)} over at most {@link #threads()} contiguous chunks that cover
   * {@code [0, count)} (chunk {@code c} of {@code n}: {@code [count c / n, count (c + 1) / n)}).
   * Serial (one call {@code body.run(0, count)}) when {@code count < 2}, when there is one thread,
   * or when the engine is busy or called from an engine thread. Pass a reused object rather than a
   * capturing lambda to allocate nothing.
   */
  public static void forChunks(int count, Chunk body) {
    if (count < 1) {
      return;
    }
    if (count < 2 || threads() == 1 || !Engine.INSTANCE.run(count, null, body, null)) {
      body.run(0, count);
    }
  }

  /** A worker thread: loops it starts run serially. */
  private static final class Worker extends Thread {
    Worker(Runnable r, String name) {
      super(r, name);
      setDaemon(true);
    }
  }

  /**
   * One job at a time. {@code next} holds the job's generation (high 32 bits) and the next chunk
   * to claim (low 32 bits): a worker that wakes late for an old job cannot claim a chunk of the
   * new one, and a successful claim sees the job's fields (written before {@code next}).
   */
  private static final class Engine {
    static final Engine INSTANCE = new Engine(threads() - 1);
    /** Busy-wait this many times before parking: a step's loops follow each other closely. */
    private static final int SPINS = 1 << 11;

    private final AtomicBoolean busy = new AtomicBoolean();
    private final AtomicLong next = new AtomicLong();
    private final AtomicInteger pending = new AtomicInteger();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final Worker[] workers;
    private int generation;
    // The job; written by the caller before next, stable until pending reaches 0.
    private int count;
    private int chunks;
    private IntConsumer each;
    private Chunk chunk;
    private Part part;
    private volatile Thread caller;

    Engine(int n) {
      workers = new Worker[n];
      for (int i = 0; i < n; i++) {
        workers[i] = new Worker(this::workerLoop, "autoprop-" + (i + 1));
        workers[i].start();
      }
    }

    /** Runs the job with the calling thread's help; false (nothing run) when it must be serial. */
    boolean run(int n, IntConsumer eachBody, Chunk chunkBody, Part partBody) {
      Thread me = Thread.currentThread();
      if (me instanceof Worker || !busy.compareAndSet(false, true)) {
        return false;
      }
      try {
        count = n;
        chunks = Math.min(threads(), n);
        each = eachBody;
        chunk = chunkBody;
        part = partBody;
        caller = me;
        failure.set(null);
        pending.set(chunks);
        int gen = ++generation;
        next.set((long) gen << 32);
        for (Worker w : workers) {
          LockSupport.unpark(w);
        }
        work(gen);
        for (int spins = 0; pending.get() != 0; spins++) {
          if (spins < SPINS) {
            Thread.onSpinWait();
          } else {
            LockSupport.park(this);
          }
        }
        Throwable t = failure.get();
        if (t != null) {
          failure.set(null);
          if (t instanceof RuntimeException) {
            throw (RuntimeException) t;
          }
          if (t instanceof Error) {
            throw (Error) t;
          }
          throw new IllegalStateException("parallel loop failed", t);
        }
        return true;
      } finally {
        each = null;
        chunk = null;
        part = null;
        caller = null;
        busy.set(false);
      }
    }

    /** Claims and runs chunks of job {@code gen} until none is left. */
    private void work(int gen) {
      while (true) {
        long v = next.get();
        if ((int) (v >>> 32) != gen || (int) v >= chunks) {
          return;
        }
        if (!next.compareAndSet(v, v + 1)) {
          continue;
        }
        int c = (int) v;
        int from = (int) ((long) count * c / chunks);
        int to = (int) ((long) count * (c + 1) / chunks);
        try {
          if (chunk != null) {
            chunk.run(from, to);
          } else if (part != null) {
            for (int i = from; i < to; i++) {
              part.run(i, c);
            }
          } else {
            for (int i = from; i < to; i++) {
              each.accept(i);
            }
          }
        } catch (Throwable t) {
          failure.compareAndSet(null, t);
        }
        if (pending.decrementAndGet() == 0) {
          LockSupport.unpark(caller);
        }
      }
    }

    private void workerLoop() {
      int seen = 0;
      while (true) {
        int gen;
        for (int spins = 0; (gen = (int) (next.get() >>> 32)) == seen; spins++) {
          if (spins < SPINS) {
            Thread.onSpinWait();
          } else {
            LockSupport.park(this);
          }
        }
        seen = gen;
        work(gen);
      }
    }
  }
}

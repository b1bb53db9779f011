package org.autoprop.kernel;

/**
 * Whether a loop is worth the engine threads, and into how many pieces it splits: the one place
 * that holds the engine's size thresholds.
 *
 * <p>Handing a loop to the engine costs about 10-20 us (waking the workers, waiting for the last
 * chunk). Each kind of loop names the least work, in its own unit, for which that pays; below it
 * the loop runs as one piece on the calling thread. The units differ because a unit of work costs
 * differently: an element of a memory-bound pass moves several bytes, a multiply-add of a packed
 * GEMM is a fraction of an FMA instruction. The values are the ones each kind of loop is tuned
 * with; within one unit they differ where the split differs (a Dense layer splits batch rows and
 * every chunk packs the whole weight, the {@link Gemm} facade splits tiles of C, a convolution
 * splits whole images).
 *
 * <p>{@link #chunks} follows the thread count; {@link #parts} never does, so a sum split into parts
 * is added in the same order on every machine (see {@link Parallel#forParts}).
 */
public enum ParallelPolicy {
  /**
   * A memory-bound pass over elements (ReLU, a merge, the gradient sum at a fan-out); work in
   * elements: at least 2^15.
   */
  ELEMENTWISE(1L << 15),

  /** BatchNorm's per-channel passes (two or three reads per element); work in input elements: at least 2^16. */
  BATCH_NORM(1L << 16),

  /**
   * Pooling over planes; work in elements (the output's forward, the input's backward): at least
   * 2^14, since each output element reads a whole window.
   */
  POOL(1L << 14),

  /**
   * A Dense layer's row blocks (each block packs the whole weight); work in multiply-adds: at least
   * 2^16.
   */
  DENSE(1L << 16),

  /**
   * The tiles of one GEMM through {@link Gemm#multiply}; work in multiply-adds {@code m n k}: at
   * least 2^18 (64^3 takes about 2.5 us at 200 GFLOP/s, less than waking a thread).
   */
  GEMM(1L << 18),

  /**
   * A convolution's images; work in multiply-adds of the whole batch: at least 2^20 (about 7 us,
   * against 10-20 us for handing work to the engine).
   */
  CONV(1L << 20),

  /**
   * Rows along the last axis (LayerNorm, RMSNorm, the last-axis softmax): each row is read from
   * memory once and its other sweeps hit L1, so a row pass is memory-bound like
   * {@link #ELEMENTWISE}; work in elements: at least 2^15. A sum over the rows (the LayerNorm
   * weight gradient) is split into {@link #parts}.
   */
  ROWS(1L << 15);

  private final long minWork;

  ParallelPolicy(long minWork) {
    this.minWork = minWork;
  }

  /** The least work (in this kind's unit) that runs on the engine threads. */
  public long minWork() {
    return minWork;
  }

  /**
   * Whether {@code work} spread over {@code items} independent items runs on the engine threads: at
   * least {@link #minWork()}, more than one item, and more than one engine thread.
   */
  public boolean parallel(long work, int items) {
    return work >= minWork && items > 1 && Parallel.threads() > 1;
  }

  /**
   * How many contiguous chunks to split {@code items} into: {@code min(threads, items)} when
   * {@link #parallel}, else 1 (one piece on the calling thread). Follows the thread count: use it
   * only for work whose result does not depend on the split.
   */
  public int chunks(long work, int items) {
    return parallel(work, items) ? Math.min(Parallel.threads(), items) : 1;
  }

  /**
   * How many parts a sum over {@code items} is split into: {@code min(PARTS, items)} when the work
   * reaches {@link #minWork()}, else 1. A function of the work alone, never of the thread count, so
   * that partial sums are added in the same order everywhere.
   */
  public int parts(long work, int items) {
    return work < minWork ? 1 : Math.min(Parallel.PARTS, items);
  }

  /**
   * {@link Parallel#forChunks(int, Parallel.Chunk)} over {@code items} when {@link #parallel}, else
   * one call {@code body.run(0, items)} on this thread (none when there are no items).
   */
  public void forChunks(long work, int items, Parallel.Chunk body) {
    if (parallel(work, items)) {
      Parallel.forChunks(items, body);
    } else if (items > 0) {
      body.run(0, items);
    }
  }
}

package org.autoprop.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;

/**
 * Bytes a warm step allocates on the calling thread. Until C2 has compiled the kernels, Vector API
 * values are boxed and the interpreter allocates what escape analysis later removes; how many calls
 * that takes depends on the machine and its load (a loaded CI machine still boxed after 3,000
 * steps, another test after 6,000), so the measurement waits for the compiler, up to
 * {@link #PATIENCE_NANOS}, rather than counting calls.
 */
public final class WarmAllocation {
  /** How long a measurement waits for the JIT before its count stands. */
  public static final long PATIENCE_NANOS = 90_000_000_000L;
  /** Steps run before each measured window. */
  private static final int WARM_STEPS = 500;

  private WarmAllocation() {}

  /**
   * The least that a window of {@code window} runs of {@code step} allocated on this thread,
   * measured window after window (with {@value #WARM_STEPS} warm-up runs before each) until one
   * stays within {@code budget} bytes or the patience has run out. Skips the test where the JVM
   * cannot count a thread's allocation.
   */
  public static long leastBytes(Runnable step, int window, long budget) {
    var bean = ManagementFactory.getThreadMXBean();
    assumeTrue(bean instanceof com.sun.management.ThreadMXBean, "no com.sun.management.ThreadMXBean");
    var mx = (com.sun.management.ThreadMXBean) bean;
    assumeTrue(mx.isThreadAllocatedMemorySupported(), "thread allocation counting not supported");
    if (!mx.isThreadAllocatedMemoryEnabled()) {
      mx.setThreadAllocatedMemoryEnabled(true);
    }
    long least = Long.MAX_VALUE;
    long deadline = System.nanoTime() + PATIENCE_NANOS;
    do {
      for (int i = 0; i < WARM_STEPS && System.nanoTime() < deadline; i++) {
        step.run();
      }
      long before = mx.getCurrentThreadAllocatedBytes();
      for (int i = 0; i < window; i++) {
        step.run();
      }
      least = Math.min(least, mx.getCurrentThreadAllocatedBytes() - before);
    } while (least > budget && System.nanoTime() < deadline);
    return least;
  }
}

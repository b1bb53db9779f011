package org.autoprop.bench;

import org.autoprop.kernel.KernelProvider;
import org.autoprop.kernel.Parallel;

/**
 * Engine set-up shared by the benchmarks: the thread count of one fork, and a line that records
 * what ran (JDK, kernels and species, threads).
 *
 * <p>The engine's pool size is fixed when {@link Parallel} is first used. JMH runs every
 * {@code @Param} combination in a fresh fork, so a benchmark's trial set-up configures it from its
 * {@code threads} parameter before anything touches the engine; {@link #configureThreads} fails
 * the run when the pool already has another size (e.g. with {@code -f 0}, where all combinations
 * share one JVM).
 */
final class Engine {
  /** The values of every benchmark's {@code threads} parameter: one thread, and all cores. */
  static final String ONE = "1";

  /** All available processors. */
  static final String ALL = "all";

  private Engine() {}

  /** Sets the engine's thread count for this fork ("1" or "all"); fails if the engine already has another. */
  static void configureThreads(String threads) {
    int wanted = ALL.equals(threads) ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(threads);
    String before = System.getProperty(Parallel.PROPERTY);
    if (before != null && Integer.parseInt(before.trim()) != wanted) {
      throw new IllegalStateException("-D" + Parallel.PROPERTY + "=" + before + " conflicts with @Param threads="
          + threads + "; leave the property unset, the parameter sets it");
    }
    try {
      Parallel.configure(wanted);
    } catch (IllegalStateException e) {
      throw new IllegalStateException("@Param threads=" + threads + " wants " + wanted
          + ": run each parameter in its own fork (do not use -f 0)", e);
    }
  }

  /** One line for the log: JDK, kernels (species) and threads. */
  static String describe() {
    return "JDK " + Runtime.version() + ", kernels: " + KernelProvider.get().description()
        + ", threads: " + Parallel.threads();
  }
}

package org.autoprop.testing;

import java.util.stream.LongStream;
import java.util.stream.Stream;

/**
 * Seeded random cases for property tests written as JUnit parameterized tests.
 *
 * <pre>{@code
 * @ParameterizedTest(name = "seed={0}")
 * @MethodSource("org.autoprop.testing.Cases#seeds")
 * void property(long seed) {
 *   SplittableRandom r = new SplittableRandom(seed);
 *   ...
 * }
 * }</pre>
 *
 * <p>The number of cases comes from {@code -Dautoprop.test.cases} (default 40; raise it for a long
 * local run). {@code -Dautoprop.test.seed=N} re-runs the one case whose name shows seed N.
 * {@code -Dautoprop.test.size=large} gives the slow tests their full sizes back (see {@link #large()}).
 */
public final class Cases {
  private Cases() {}

  /**
   * Whether slow tests run at their full sizes ({@code -Dautoprop.test.size=large}); by default they
   * run smaller cases of the same code paths, so the suite stays quick.
   */
  public static boolean large() {
    return "large".equalsIgnoreCase(System.getProperty("autoprop.test.size", "").trim());
  }

  /**
   * One of two sizes by {@link #large()}.
   *
   * @param small the size of a default run
   * @param large the size with {@code -Dautoprop.test.size=large}
   * @return {@code large} if {@link #large()}, else {@code small}
   */
  public static int size(int small, int large) {
    return large() ? large : small;
  }

  /**
   * Whether this run forces the scalar kernels ({@code -Dautoprop.kernels=scalar}, the pom's
   * scalar-kernels execution), where whole networks are slowest.
   */
  public static boolean scalarKernels() {
    return "scalar".equals(System.getProperty("autoprop.kernels"));
  }

  /**
   * The side of FMNIST-NET's input images for a test: 28 as in Fashion-MNIST, but 16 on the scalar
   * kernels unless {@link #large()} (the network ends in a global average pool, so every layer
   * runs the same code at either size).
   */
  public static int fashionSide() {
    return scalarKernels() && !large() ? 16 : 28;
  }

  /** The number of cases per property. */
  public static int count() {
    return Integer.getInteger("autoprop.test.cases", 40);
  }

  /** The seeds of this run: one fixed seed if {@code autoprop.test.seed} is set, else {@link #count()} seeds. */
  public static Stream<Long> seeds() {
    String one = System.getProperty("autoprop.test.seed");
    if (one != null && !one.isBlank()) {
      return Stream.of(Long.parseLong(one.trim()));
    }
    // Fixed, well-spread seeds so every run checks the same cases.
    return LongStream.range(0, count()).map(i -> 1_000_003L * i + 17).boxed();
  }

  /** A quarter of {@link #count()} seeds (at least 4), for expensive properties. */
  public static Stream<Long> fewSeeds() {
    String one = System.getProperty("autoprop.test.seed");
    if (one != null && !one.isBlank()) {
      return Stream.of(Long.parseLong(one.trim()));
    }
    return LongStream.range(0, Math.max(4, count() / 4)).map(i -> 1_000_003L * i + 17).boxed();
  }
}

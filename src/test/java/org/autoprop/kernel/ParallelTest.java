package org.autoprop.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The engine's loops: every item exactly once, contiguous chunks, failures and nesting. */
class ParallelTest {
  @ParameterizedTest(name = "count={0}")
  @ValueSource(ints = {0, 1, 2, 3, 7, 17, 100, 1021})
  void forRangeVisitsEveryItemOnce(int count) {
    int[] hits = new int[count];
    for (int round = 0; round < 50; round++) {
      Parallel.forRange(count, i -> hits[i]++);
    }
    int[] expected = new int[count];
    java.util.Arrays.fill(expected, 50);
    assertArrayEquals(expected, hits);
  }

  @ParameterizedTest(name = "count={0}")
  @ValueSource(ints = {0, 1, 2, 3, 7, 17, 100, 1021})
  void forChunksCoversTheRangeWithAtMostThreadsChunks(int count) {
    for (int round = 0; round < 50; round++) {
      int[] hits = new int[count];
      AtomicInteger chunks = new AtomicInteger();
      Parallel.forChunks(count, (from, to) -> {
        chunks.incrementAndGet();
        for (int i = from; i < to; i++) {
          hits[i]++;
        }
      });
      for (int i = 0; i < count; i++) {
        assertEquals(1, hits[i], "item " + i + " of " + count);
      }
      assertEquals(count == 0 ? 0 : Math.min(Parallel.threads(), count), chunks.get());
    }
  }

  @ParameterizedTest(name = "count={0}")
  @ValueSource(ints = {0, 1, 2, (1 << 15) - 1, 1 << 15, (1 << 15) + 1})
  void belowThePolicyMinimumOneCallOnTheCallingThread(int count) {
    ParallelPolicy policy = ParallelPolicy.ELEMENTWISE;
    int[] hits = new int[count];
    AtomicInteger chunks = new AtomicInteger();
    Thread caller = Thread.currentThread();
    AtomicInteger onCaller = new AtomicInteger();
    policy.forChunks(count, count, (from, to) -> {
      chunks.incrementAndGet();
      if (Thread.currentThread() == caller) {
        onCaller.incrementAndGet();
      }
      for (int i = from; i < to; i++) {
        hits[i]++;
      }
    });
    for (int i = 0; i < count; i++) {
      assertEquals(1, hits[i], "item " + i + " of " + count);
    }
    assertEquals(policy.parallel(count, count) ? Math.min(Parallel.threads(), count) : Math.min(1, count), chunks.get());
    if (count < policy.minWork()) {
      assertEquals(chunks.get(), onCaller.get(), "calls below the minimum run on the calling thread");
    }
  }

  @Test
  void policiesSplitByWorkAndThreadsAndPartsByWorkAlone() {
    for (ParallelPolicy policy : ParallelPolicy.values()) {
      long min = policy.minWork();
      assertEquals(1, policy.chunks(min - 1, 100), policy + " below its minimum");
      assertEquals(1, policy.parts(min - 1, 100), policy + " below its minimum");
      assertEquals(1, policy.chunks(min, 1), policy + " with one item");
      assertEquals(Math.min(Parallel.threads(), 100), policy.chunks(min, 100), policy + " at its minimum");
      assertEquals(Parallel.threads() > 1, policy.parallel(min, 2), policy + " at its minimum, two items");
      // Parts never follow the thread count: the same sums on every machine.
      assertEquals(Math.min(Parallel.PARTS, 100), policy.parts(min, 100), policy + " parts");
      assertEquals(3, policy.parts(Long.MAX_VALUE, 3), policy + " parts of 3 items");
    }
  }

  @Test
  void theThreadCountIsFixedOnceUsed() {
    int threads = Parallel.threads();
    Parallel.configure(threads); // the size in force: nothing to do
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> Parallel.configure(threads + 1));
    assertEquals("Parallel.configure(" + (threads + 1) + "): the engine already has " + threads
        + " thread(s), fixed by an earlier configure or first use (expected: configure before the first parallel"
        + " loop)", e.getMessage());
    IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> Parallel.configure(0));
    assertEquals("Parallel.configure(0) (expected: threads >= 1)", bad.getMessage());
    assertEquals(threads, Parallel.threads());
  }

  /** A child JVM's job: configure the engine, then report its size and the threads a loop ran on. */
  public static final class Configured {
    private Configured() {}

    /** Configures {@code args[0]} threads (when given), then prints the size and the threads used. */
    public static void main(String[] args) {
      if (args.length > 0) {
        Parallel.configure(Integer.parseInt(args[0]));
      }
      java.util.Set<Thread> used = java.util.concurrent.ConcurrentHashMap.newKeySet();
      for (int round = 0; round < 100; round++) {
        Parallel.forRange(64, i -> used.add(Thread.currentThread()));
      }
      System.out.println("threads " + Parallel.threads() + " used " + used.size());
    }
  }

  @Test
  void configureBeforeFirstUseSetsTheSizeInAFreshJvm() throws Exception {
    ScalarFallbackTest.Result one = ScalarFallbackTest.java("-Dautoprop.threads=2",
        Configured.class.getName(), "1");
    assertEquals(0, one.code(), one.err());
    assertEquals("threads 1 used 1", one.out().strip(), "configure wins over the property");
    ScalarFallbackTest.Result property = ScalarFallbackTest.java("-Dautoprop.threads=3", Configured.class.getName());
    assertEquals(0, property.code(), property.err());
    assertTrue(property.out().startsWith("threads 3 used "), property.out());
  }

  @Test
  void aFailureReachesTheCallerAndTheEngineStaysUsable() {
    IllegalStateException boom = new IllegalStateException("boom");
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> Parallel.forRange(64, i -> {
      if (i == 63) {
        throw boom;
      }
    }));
    assertSame(boom, e);
    AtomicInteger n = new AtomicInteger();
    Parallel.forRange(64, i -> n.incrementAndGet());
    assertEquals(64, n.get());
  }

  @Test
  void nestedLoopsRunSerially() {
    int[] hits = new int[16 * 16];
    Parallel.forChunks(16, (a, b) -> {
      for (int i = a; i < b; i++) {
        int row = i;
        Parallel.forRange(16, j -> hits[row * 16 + j]++);
      }
    });
    for (int h : hits) {
      assertEquals(1, h);
    }
  }
}

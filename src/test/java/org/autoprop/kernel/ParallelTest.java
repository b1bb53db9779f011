package org.autoprop.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
      assertEquals(count == 0 ? 0 : Math.min(Parallel.THREADS, count), chunks.get());
    }
  }

  @ParameterizedTest(name = "count={0}")
  @ValueSource(ints = {0, 1, 99, 100, 101, 1021})
  void belowTheMinimumOneCallOnTheCallingThread(int count) {
    int min = 100;
    int[] hits = new int[count];
    AtomicInteger chunks = new AtomicInteger();
    Thread caller = Thread.currentThread();
    AtomicInteger onCaller = new AtomicInteger();
    Parallel.forChunks(count, min, (from, to) -> {
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
    if (count < min) {
      assertEquals(count == 0 ? 0 : 1, chunks.get(), "calls below the minimum");
      assertEquals(chunks.get(), onCaller.get(), "calls on the calling thread");
    } else {
      assertEquals(Math.min(Parallel.THREADS, count), chunks.get());
    }
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

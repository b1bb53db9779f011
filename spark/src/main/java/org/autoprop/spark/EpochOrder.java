package org.autoprop.spark;

import java.util.SplittableRandom;

/**
 * The order in which a worker visits its examples in an epoch: their index order, or a shuffle
 * fixed by the seed, the epoch and the worker (never by timing, retries or the executor it runs on).
 */
final class EpochOrder {
  private EpochOrder() {}

  static int[] of(int count, long seed, int epoch, int worker, boolean shuffle) {
    int[] order = new int[count];
    for (int i = 0; i < count; i++) {
      order[i] = i;
    }
    if (shuffle) {
      SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + epoch * 0xBF58476D1CE4E5B9L + worker);
      for (int i = count - 1; i > 0; i--) {
        int j = random.nextInt(i + 1);
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
      }
    }
    return order;
  }
}

package org.autoprop.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Prefetching and augmenting batches: the same batches whatever the prefetch depth, augmentation
 * a function of (seed, sample) only, failures named by batch, and the background thread's end.
 */
class PrefetchTest {
  /** n random [c, h, w] samples with labels 0..n-1 (label = sample index). */
  static Dataset images(int n, int c, int h, int w, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] x = new float[n * c * h * w];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextDouble();
    }
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = i;
    }
    return new Dataset(Tensor.wrap(x, Shape.of(n, c, h, w)), labels);
  }

  static Transform augmentation(int h, int w) {
    return Transforms.randomCrop(h, w, 2).then(Transforms.horizontalFlip())
        .then(Transforms.normalize(new float[] {0.5f, 0.25f}, new float[] {0.2f, 0.3f}));
  }

  /** Copies of every batch of two shuffled passes: inputs, labels and index. */
  static List<Object[]> twoEpochs(Batches batches, long seed) {
    List<Object[]> out = new ArrayList<>();
    for (int epoch = 0; epoch < 2; epoch++) {
      batches.shuffle(seed + epoch);
      for (Batch b : batches) {
        out.add(new Object[] {b.inputs().toArray(), b.labels().clone(), b.index(), b.inputs().shape()});
      }
    }
    batches.close();
    return out;
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#seeds")
  void prefetchedBatchesAreTheSameAsPreparedOnDemand(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int n = r.nextInt(40);
    int h = 2 + r.nextInt(4);
    int w = 2 + r.nextInt(4);
    int batchSize = 1 + r.nextInt(8);
    boolean dropLast = r.nextBoolean();
    Dataset base = images(n, 2, h, w, seed).withTransform(r.nextBoolean() ? augmentation(h, w) : null);
    List<Object[]> expected = twoEpochs(base.batches(batchSize, dropLast), seed);
    int depth = 1 + r.nextInt(4);
    List<Object[]> got = twoEpochs(base.withPrefetch(depth).batches(batchSize, dropLast), seed);
    assertEquals(expected.size(), got.size());
    for (int i = 0; i < expected.size(); i++) {
      assertArrayEquals((float[]) expected.get(i)[0], (float[]) got.get(i)[0], "batch " + i + " prefetch " + depth);
      assertArrayEquals((int[]) expected.get(i)[1], (int[]) got.get(i)[1]);
      assertEquals(expected.get(i)[2], got.get(i)[2]);
      assertEquals(expected.get(i)[3], got.get(i)[3]);
    }
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#fewSeeds")
  void eachSampleIsAugmentedFromTheSeedAndItsIndexOnly(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int n = 1 + r.nextInt(20);
    Dataset data = images(n, 2, 4, 5, seed);
    Transform t = augmentation(3, 5);
    int sampleIn = 2 * 4 * 5;
    int sampleOut = 2 * 3 * 5;
    for (int depth : new int[] {0, 2}) {
      Batches batches = data.withTransform(t).withPrefetch(depth).batches(1 + r.nextInt(6), false);
      long passSeed = r.nextLong();
      batches.shuffle(passSeed);
      for (Batch b : batches) {
        for (int i = 0; i < b.size(); i++) {
          int s = b.labels()[i];
          float[] want = new float[sampleOut];
          // The reference: Compose.apply on the raw sample with the documented generator.
          t.apply(data.inputs().data(), s * sampleIn, Shape.of(2, 4, 5), want, 0, Batches.sampleRandom(passSeed, s));
          float[] got = new float[sampleOut];
          System.arraycopy(b.inputs().data(), i * sampleOut, got, 0, sampleOut);
          assertArrayEquals(want, got, "sample " + s);
        }
      }
      batches.close();
    }
  }

  @Test
  void epochsDrawDifferentAugmentations() {
    Dataset data = images(8, 2, 6, 6, 3).withTransform(augmentation(6, 6));
    Batches batches = data.batches(8, false);
    List<Object[]> a = twoEpochs(batches, 10);
    float[] first = sortedBySample(a.get(0));
    float[] second = sortedBySample(a.get(1));
    assertFalse(java.util.Arrays.equals(first, second), "epochs 10 and 11 augment differently");
    assertArrayEquals(first, sortedBySample(twoEpochs(batches, 10).get(0)), "the same seed repeats");
  }

  /** A batch's samples put back in data-set order (labels are sample indices). */
  private static float[] sortedBySample(Object[] batch) {
    float[] x = (float[]) batch[0];
    int[] labels = (int[]) batch[1];
    int size = x.length / labels.length;
    float[] out = new float[x.length];
    for (int i = 0; i < labels.length; i++) {
      System.arraycopy(x, i * size, out, labels[i] * size, size);
    }
    return out;
  }

  @ParameterizedTest(name = "prefetch={0}")
  @ValueSource(ints = {0, 1, 3})
  void aFailingTransformIsReportedWithItsBatch(int depth) {
    Transform failing = new Transform() {
      @Override
      public Shape outputShape(Shape sample) {
        return sample;
      }

      @Override
      public void apply(float[] in, int inAt, Shape sample, float[] out, int outAt, SplittableRandom random) {
        if (in[inAt] < 0) {
          throw new IllegalArgumentException("negative pixel at " + inAt);
        }
        System.arraycopy(in, inAt, out, outAt, sample.size());
      }
    };
    Dataset data = images(10, 1, 2, 2, 1);
    data.inputs().data()[7 * 4] = -1; // sample 7, in batch 3 of 5 in order
    Batches batches = data.withTransform(failing).withPrefetch(depth).batches(2, false);
    Iterator<Batch> it = batches.iterator();
    for (int i = 0; i < 3; i++) {
      Batch b = it.next();
      assertEquals(i, b.index());
      assertArrayEquals(new int[] {2 * i, 2 * i + 1}, b.labels());
    }
    IllegalStateException e = assertThrows(IllegalStateException.class, it::next);
    assertEquals("Batches: preparing batch 3 (of 5) failed: java.lang.IllegalArgumentException: negative pixel at 0",
        e.getMessage());
    assertEquals(IllegalArgumentException.class, e.getCause().getClass());
    batches.close();
  }

  private static java.util.Set<Thread> prefetchThreads() {
    java.util.Set<Thread> out = new java.util.HashSet<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().equals("autoprop-prefetch") && t.isAlive()) {
        out.add(t);
      }
    }
    return out;
  }

  /** The one prefetch thread started since {@code before} was taken. */
  private static Thread started(java.util.Set<Thread> before) {
    java.util.Set<Thread> now = prefetchThreads();
    now.removeAll(before);
    assertEquals(1, now.size(), "threads started: " + now);
    return now.iterator().next();
  }

  @Test
  void closeAndANewPassEndTheBackgroundThread() throws InterruptedException {
    Batches batches = images(50, 1, 2, 2, 1).withPrefetch(2).batches(5, false);
    java.util.Set<Thread> before = prefetchThreads();
    Iterator<Batch> it = batches.iterator();
    assertEquals(0, it.next().index());
    Thread first = started(before);
    Iterator<Batch> again = batches.iterator(); // ends the first pass
    assertFalse(first.isAlive(), "a new pass waits for the previous pass's thread to end");
    IllegalStateException e = assertThrows(IllegalStateException.class, it::next);
    assertEquals("Batches: this pass was ended (a new pass started, or close() was called)", e.getMessage());
    assertFalse(it.hasNext());
    assertEquals(0, again.next().index());
    assertEquals(1, again.next().index());
    Thread second = started(before);
    batches.close();
    assertFalse(second.isAlive(), "close() waits for the thread to end");
    assertThrows(IllegalStateException.class, again::next);
    int passes = 0;
    for (Batch b : batches) {
      passes += b.index() == 9 ? 1 : 0;
    }
    assertEquals(1, passes, "a complete pass after close");
    java.util.Set<Thread> left = prefetchThreads();
    left.removeAll(before);
    for (Thread t : left) {
      t.join(10_000);
      assertFalse(t.isAlive(), "a complete pass ends its thread");
    }
  }

  @Test
  void anAbandonedPassEndsItsThreadOnceCollected() throws InterruptedException {
    Batches batches = images(50, 1, 2, 2, 1).withPrefetch(1).batches(5, false);
    java.util.Set<Thread> before = prefetchThreads();
    abandon(batches);
    Thread t = started(before);
    for (int i = 0; i < 200 && t.isAlive(); i++) {
      System.gc();
      t.join(20);
    }
    assertFalse(t.isAlive(), "the cleaner ended the pass of the unreachable iterator");
  }

  private static void abandon(Batches batches) {
    Iterator<Batch> it = batches.iterator();
    it.next();
  }

  @Test
  void badSettingsAreRefusedByName() {
    Dataset data = images(4, 2, 3, 3, 1);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> data.withPrefetch(-1));
    assertEquals("Dataset.withPrefetch: -1 batches (expected: 0 <= batches <= 64)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> data.withPrefetch(65));
    assertEquals("Dataset.withPrefetch: 65 batches (expected: 0 <= batches <= 64)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> data.withTransform(Transforms.randomCrop(8, 2)).batches(2, false));
    assertEquals("RandomCrop(8x8, padding=2): sample [2, 3, 3] padded to 7x7 is smaller than the crop (expected: at "
        + "least 8x8)", e.getMessage());
    Dataset kept = data.withTransform(Transforms.horizontalFlip()).withPrefetch(3).subset(1, 3);
    assertEquals(3, kept.prefetch());
    assertEquals("HorizontalFlip(p=0.5)", kept.transform().toString());
    assertEquals(Shape.of(2, 3, 3), kept.batches(2, false).sampleShape());
    assertEquals(Shape.of(2, 2, 2), data.withTransform(Transforms.randomCrop(2, 0)).batches(2, false).sampleShape());
  }

  @Test
  void theTrainerTrainsIdenticallyWithPrefetchAndAugmentation() {
    Dataset numbered = images(60, 1, 4, 4, 9);
    int[] labels = new int[60];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = i % 3;
    }
    Dataset train = new Dataset(numbered.inputs(), labels);
    Transform t = Transforms.randomCrop(4, 1).then(Transforms.horizontalFlip());
    List<EpochResult> plain = fit(train.withTransform(t));
    List<EpochResult> prefetched = fit(train.withTransform(t).withPrefetch(2));
    List<EpochResult> unaugmented = fit(train);
    for (int i = 0; i < plain.size(); i++) {
      assertEquals(plain.get(i).trainLoss(), prefetched.get(i).trainLoss(), "epoch " + i);
      assertEquals(plain.get(i).validationLoss(), prefetched.get(i).validationLoss(), "epoch " + i);
    }
    assertNotEquals(plain.get(0).trainLoss(), unaugmented.get(0).trainLoss(), "the augmentation was applied");
  }

  private static List<EpochResult> fit(Dataset train) {
    DenseFixture model = new DenseFixture("fc", 16, 3, 1);
    return new Trainer(model, new CrossEntropyLoss(), new Sgd(model.parameters(), 0.05, 0.9))
        .batchSize(8).epochs(3).seed(4).progress(null, false).fit(train, train.subset(0, 20));
  }

  @Test
  void prefetchingUsesARingOfBuffers() {
    Batches batches = images(9, 1, 2, 2, 1).withPrefetch(2).batches(2, false);
    List<Batch> seen = new ArrayList<>();
    batches.forEach(seen::add);
    assertEquals(5, seen.size());
    assertTrue(seen.subList(0, 4).stream().distinct().count() <= 3, "a ring of prefetch + 1 buffers");
    assertEquals(Shape.of(1, 1, 2, 2), seen.get(4).inputs().shape());
  }
}

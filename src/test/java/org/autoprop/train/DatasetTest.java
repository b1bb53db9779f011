package org.autoprop.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A data set kept as bytes gives the same batches, bit for bit, as its decoded floats. */
class DatasetTest {
  private static final double MEAN = 0.2860;
  private static final double STD = 0.3530;

  private static byte[] pixels(int n, long seed) {
    byte[] p = new byte[n * 4 * 3];
    new SplittableRandom(seed).nextBytes(p);
    return p;
  }

  private static int[] labels(int n) {
    int[] l = new int[n];
    for (int i = 0; i < n; i++) {
      l[i] = i % 7;
    }
    return l;
  }

  /** What {@link Dataset#fromBytes} promises: (p / 255 - mean) / std as float arithmetic. */
  private static Dataset decodedByHand(byte[] p, int n) {
    float a = (float) (1 / (255 * STD));
    float b = (float) (-MEAN / STD);
    float[] x = new float[p.length];
    for (int i = 0; i < p.length; i++) {
      x[i] = (p[i] & 0xff) * a + b;
    }
    return new Dataset(Tensor.wrap(x, Shape.of(n, 1, 4, 3)), labels(n));
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 5, 13})
  void byteBatchesEqualFloatBatchesBitForBit(int batchSize) {
    int n = 29;
    byte[] p = pixels(n, batchSize);
    Batches fromBytes = Dataset.fromBytes(p, n, 4, 3, labels(n), MEAN, STD).batches(batchSize, false);
    Batches fromFloats = decodedByHand(p, n).batches(batchSize, false);
    fromBytes.shuffle(42);
    fromFloats.shuffle(42);
    var a = fromBytes.iterator();
    var b = fromFloats.iterator();
    while (b.hasNext()) {
      Batch x = a.next();
      Batch y = b.next();
      assertEquals(y.inputs().shape(), x.inputs().shape());
      assertArrayEquals(y.inputs().data(), x.inputs().data());
      assertArrayEquals(y.labels(), x.labels());
    }
    assertEquals(false, a.hasNext());
  }

  @Test
  void subsetOfBytesReadsItsOwnSamples() {
    int n = 10;
    byte[] p = pixels(n, 3);
    Dataset all = Dataset.fromBytes(p, n, 4, 3, labels(n), MEAN, STD);
    Dataset part = all.subset(4, 7);
    assertEquals(3, part.size());
    assertEquals(Shape.of(1, 4, 3), part.sampleShape());
    float[] whole = all.inputs().data();
    assertArrayEquals(java.util.Arrays.copyOfRange(whole, 4 * 12, 7 * 12), part.inputs().data());
    assertArrayEquals(new int[] {4, 5, 6}, part.labels());
  }

  @Test
  void decodedInputsAreWhatLaterBatchesRead() {
    Dataset d = Dataset.fromBytes(pixels(3, 9), 3, 4, 3, labels(3), MEAN, STD);
    d.inputs().data()[0] = 123f;
    Batch first = d.batches(3, false).iterator().next();
    assertEquals(123f, first.inputs().getFlat(0));
  }

  @Test
  void badNormalisationIsRejected() {
    byte[] p = pixels(2, 1);
    var e = assertThrows(IllegalArgumentException.class,
        () -> Dataset.fromBytes(p, 2, 4, 3, labels(2), Double.NaN, STD));
    assertEquals("Dataset: mean NaN (expected: finite)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> Dataset.fromBytes(p, 2, 4, 3, labels(2), MEAN, 0));
    assertEquals("Dataset: std 0.0 (expected: > 0 and finite)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> Dataset.fromBytes(p, 2, 4, 3, labels(3), MEAN, STD));
    assertEquals("Dataset: 3 labels for 2 images", e.getMessage());
  }
}

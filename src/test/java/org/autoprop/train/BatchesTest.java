package org.autoprop.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.junit.jupiter.api.Test;

class BatchesTest {
  /** Sample i holds the values i*10 .. i*10+5 and label i. */
  private static Dataset numbered(int n) {
    float[] data = new float[n * 6];
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = i;
      for (int j = 0; j < 6; j++) {
        data[i * 6 + j] = i * 10 + j;
      }
    }
    return new Dataset(Tensor.wrap(data, Shape.of(n, 1, 2, 3)), labels);
  }

  private static List<Integer> pass(Batches batches, List<Batch> seen) {
    List<Integer> order = new ArrayList<>();
    for (Batch b : batches) {
      seen.add(b);
      for (int i = 0; i < b.size(); i++) {
        int label = b.labels()[i];
        order.add(label);
        for (int j = 0; j < 6; j++) {
          assertEquals(label * 10 + j, b.inputs().getFlat(i * 6 + j), "sample content follows its label");
        }
      }
    }
    return order;
  }

  @Test
  void inOrderWithPartialLastBatch() {
    Batches batches = numbered(10).batches(4, false);
    assertEquals(3, batches.count());
    List<Batch> seen = new ArrayList<>();
    assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), pass(batches, seen));
    assertEquals("[4, 1, 2, 3]", seen.get(0).inputs().shape().toString());
    assertEquals("[2, 1, 2, 3]", seen.get(2).inputs().shape().toString());
    assertSame(seen.get(0), seen.get(1), "full batches reuse one buffer");
    assertEquals(2, seen.get(2).index());
    List<Batch> again = new ArrayList<>();
    pass(batches, again);
    assertSame(seen.get(2), again.get(2), "the last batch's buffer is reused too");
  }

  @Test
  void dropLast() {
    Batches batches = numbered(10).batches(4, true);
    assertEquals(2, batches.count());
    assertEquals(8, batches.sampleCount());
    assertEquals(8, pass(batches, new ArrayList<>()).size());
  }

  @Test
  void shuffleIsAPermutationFixedBySeed() {
    Batches batches = numbered(50).batches(7, false);
    batches.shuffle(42);
    List<Integer> a = pass(batches, new ArrayList<>());
    batches.shuffle(43);
    List<Integer> b = pass(batches, new ArrayList<>());
    batches.shuffle(42);
    List<Integer> c = pass(batches, new ArrayList<>());
    assertEquals(a, c, "same seed, same order");
    assertTrue(!a.equals(b), "another seed, another order");
    int[] sorted = a.stream().mapToInt(Integer::intValue).sorted().toArray();
    int[] expected = new int[50];
    Arrays.setAll(expected, i -> i);
    assertArrayEquals(expected, sorted, "a permutation");
    batches.inOrder();
    assertEquals(0, pass(batches, new ArrayList<>()).get(0));
  }

  @Test
  void badArguments() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> numbered(3).batches(0, false));
    assertEquals("Batches: batch size 0 (expected: > 0)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new Dataset(Tensor.zeros(3, 2), new int[] {0, 1}));
    assertEquals("Dataset: 2 labels for inputs [3, 2] (expected: 3)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new Dataset(Tensor.zeros(2, 2), new int[] {0, -4}));
    assertEquals("Dataset: label -4 at index 1 (expected: >= 0)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> numbered(3).subset(2, 5));
    assertEquals("Dataset.subset [2, 5) (expected: 0 <= from <= to <= 3)", e.getMessage());
  }

  @Test
  void subsetSharesData() {
    Dataset d = numbered(6).subset(2, 5);
    assertEquals(3, d.size());
    assertArrayEquals(new int[] {2, 3, 4}, d.labels());
    List<Integer> order = pass(d.batches(2, false), new ArrayList<>());
    assertEquals(List.of(2, 3, 4), order);
  }
}

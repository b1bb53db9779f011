package org.autoprop.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.autoprop.tensor.Tensor;
import org.junit.jupiter.api.Test;

class ByteTextTest {
  private static final byte[] TEXT = "abcdefghijklmnopqrstuvwxyz0123".getBytes(StandardCharsets.US_ASCII);

  @Test
  void windowsAreConsecutiveAndTargetsAreShiftedByOne() {
    ByteText text = new ByteText(TEXT, 4);
    assertEquals(6, text.windows());
    Tensor ids = Tensor.zeros(2, 4);
    int[] targets = new int[8];
    text.windowBatch(1, ids, targets);
    assertArrayEquals(new float[] {'f', 'g', 'h', 'i', 'k', 'l', 'm', 'n'}, ids.data());
    assertArrayEquals(new int[] {'g', 'h', 'i', 'j', 'l', 'm', 'n', 'o'}, targets);
  }

  @Test
  void randomWindowsStayInsideTheTextAndFollowTheSeed() {
    ByteText text = new ByteText(TEXT, 5);
    Tensor a = Tensor.zeros(64, 5);
    Tensor b = Tensor.zeros(64, 5);
    int[] ta = new int[320];
    int[] tb = new int[320];
    text.randomBatch(new SplittableRandom(7), a, ta);
    text.randomBatch(new SplittableRandom(7), b, tb);
    assertArrayEquals(a.data(), b.data());
    assertArrayEquals(ta, tb);
    for (int w = 0; w < 64; w++) {
      for (int t = 0; t < 5; t++) {
        int id = (int) a.data()[w * 5 + t];
        assertEquals(new String(TEXT, StandardCharsets.US_ASCII).indexOf(id) + 1,
            new String(TEXT, StandardCharsets.US_ASCII).indexOf(ta[w * 5 + t]), "target follows its input");
      }
    }
  }

  @Test
  void splitCutsAtTheFraction() {
    ByteText[] parts = new ByteText(TEXT, 2).split(0.9);
    assertEquals(27, parts[0].size());
    assertEquals(3, parts[1].size());
  }

  @Test
  void badInputsAreNamed() {
    assertEquals("ByteText: 3 bytes (expected: at least one window of 5)",
        assertThrows(IllegalArgumentException.class, () -> new ByteText(new byte[3], 4)).getMessage());
    ByteText text = new ByteText(TEXT, 4);
    assertEquals("ByteText: ids [2, 3] (expected: a contiguous [batch, 4])",
        assertThrows(IllegalArgumentException.class, () -> text.windowBatch(0, Tensor.zeros(2, 3), new int[6]))
            .getMessage());
    assertEquals("ByteText: windows 5..6 (expected: within the 6 windows of 5 bytes)",
        assertThrows(IllegalArgumentException.class, () -> text.windowBatch(5, Tensor.zeros(2, 4), new int[8]))
            .getMessage());
  }
}

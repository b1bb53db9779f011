package org.autoprop.layer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.autoprop.kernel.ConvKernels.Geometry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Padding factories, parsing, resolution and errors. */
class PaddingTest {
  @Test
  void factoriesAndParsing() {
    assertArrayEquals(new int[] {2, 2}, Padding.of(2).resolve(3, 3, 2, 2, 1, 1));
    assertArrayEquals(new int[] {1, 3}, Padding.of(1, 3).resolve(3, 3, 1, 1, 1, 1));
    assertArrayEquals(new int[] {0, 0}, Padding.VALID.resolve(7, 5, 3, 2, 2, 1));
    assertSame(Padding.SAME, Padding.parse(" Same "));
    assertSame(Padding.VALID, Padding.parse("VALID"));
    assertEquals(Padding.of(3), Padding.parse("3"));
    assertEquals(Padding.of(1, 2), Padding.parse("1,2"));
    assertEquals(Padding.of(1, 2), Padding.parse("(1, 2)"));
    assertEquals("1x2", Padding.of(1, 2).toString());
    assertEquals("same", Padding.SAME.toString());
    assertTrue(Padding.SAME.isSame());
  }

  /** 'same' keeps the size at stride 1 for every odd dilated span. */
  @ParameterizedTest(name = "k={0}")
  @ValueSource(ints = {1, 2, 3, 4, 5, 7})
  void sameKeepsTheSize(int k) {
    for (int d = 1; d <= 3; d++) {
      if (d * (k - 1) % 2 != 0) {
        continue;
      }
      int[] p = Padding.SAME.resolve(k, k, 1, 1, d, d);
      for (int size = 1; size <= 9; size++) {
        assertEquals(size, Geometry.outExtent(size, k, 1, p[0], d), "k=" + k + " d=" + d + " size=" + size);
      }
    }
  }

  @Test
  void rejectsWhatItCannotDo() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Padding.SAME.resolve(3, 3, 2, 1, 1, 1));
    assertEquals("padding 'same' needs stride 1 (got stride 2x1), as in PyTorch; use explicit padding .padding(1): "
        + "with an odd kernel it gives ceil(size / stride) outputs as TensorFlow's 'same' does, with the same values "
        + "wherever TensorFlow pads symmetrically", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Padding.SAME.resolve(3, 2, 1, 1, 1, 1));
    assertTrue(e.getMessage().contains("kernel 3x2 and dilation 1x1"), e.getMessage());
    assertTrue(e.getMessage().contains("total 2x1 is odd"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Padding.of(-1));
    assertEquals("padding: -1x-1 (expected: >= 0 on both axes)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Padding.of(0, -2));
    assertEquals("padding: 0x-2 (expected: >= 0 on both axes)", e.getMessage());
    for (String bad : new String[] {"full", "1,2,3", "", "x1", "1.5"}) {
      e = assertThrows(IllegalArgumentException.class, () -> Padding.parse(bad));
      assertEquals("padding: \"" + bad + "\" (expected: \"same\", \"valid\", an integer or \"h,w\")", e.getMessage());
    }
    assertEquals("text", assertThrows(NullPointerException.class, () -> Padding.parse(null)).getMessage());
  }
}

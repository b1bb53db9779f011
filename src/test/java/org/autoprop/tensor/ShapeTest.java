package org.autoprop.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Shape's checked arithmetic: sizes, strides and sub-products never wrap. */
class ShapeTest {
  @Test
  void aSizeThatWrapsALongIsRejectedNamingTheShape() {
    // 65536^4 = 2^64: a long product wraps to exactly 0.
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Shape.of(65536, 65536, 65536, 65536));
    assertEquals("Shape [65536, 65536, 65536, 65536] has more than 2147483639 elements "
        + "(18446744073709551616; expected: <= 2^31 - 9, the largest Java array)", e.getMessage());
  }

  @Test
  void aSizeThatWrapsAnIntIsRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Shape.of(2, 1 << 30));
    assertTrue(e.getMessage().startsWith("Shape [2, 1073741824] has more than 2147483639 elements (2147483648;"),
        e.getMessage());
  }

  @Test
  void theLargestShapeIsAccepted() {
    assertEquals(Shape.MAX_SIZE, Shape.of(1, Shape.MAX_SIZE).size());
    assertThrows(IllegalArgumentException.class, () -> Shape.of(1, Shape.MAX_SIZE + 1));
  }

  @Test
  void anEmptyShapeMayNotHideAnOverflowingStride() {
    // Size 0, but the stride of axis 0 would be 70000 * 70000, more than an int.
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Shape.of(0, 70000, 70000));
    assertTrue(e.getMessage().startsWith("Shape [0, 70000, 70000] has more than"), e.getMessage());
    Shape empty = Shape.of(3, 0, 5);
    assertEquals(0, empty.size());
    assertArrayEquals(new int[] {0, 5, 1}, empty.contiguousStrides());
    assertEquals(0, empty.sizeOf(0, 2));
    assertEquals(5, empty.sizeOf(2, 3));
  }

  @Test
  void withDimIsChecked() {
    Shape s = Shape.of(65536, 1);
    assertThrows(IllegalArgumentException.class, () -> s.withDim(1, 65536));
    assertEquals("Negative extent -1 at axis 1 of shape [65536, -1]",
        assertThrows(IllegalArgumentException.class, () -> s.withDim(1, -1)).getMessage());
  }

  @Test
  void negativeExtentsAreRejected() {
    assertEquals("Negative extent -3 at axis 1 of shape [2, -3]",
        assertThrows(IllegalArgumentException.class, () -> Shape.of(2, -3)).getMessage());
    // Two negatives multiply to a positive size: still rejected.
    assertThrows(IllegalArgumentException.class, () -> Shape.of(-2, -3));
  }

  @Test
  void broadcastIsChecked() {
    assertThrows(IllegalArgumentException.class, () -> Shape.broadcast(Shape.of(65536, 1), Shape.of(1, 65536)));
    assertEquals(Shape.of(4, 5), Shape.broadcast(Shape.of(4, 1), Shape.of(1, 5)));
  }

  @Test
  void sizeOfChecksItsRange() {
    Shape s = Shape.of(2, 3, 4);
    assertEquals(12, s.sizeOf(1, 3));
    assertEquals(1, s.sizeOf(1, 1));
    assertEquals("sizeOf(2, 4) (expected: 0 <= from <= to <= 3) for shape [2, 3, 4]",
        assertThrows(IllegalArgumentException.class, () -> s.sizeOf(2, 4)).getMessage());
    assertThrows(IllegalArgumentException.class, () -> s.sizeOf(2, 1));
  }

  @Test
  void stridesAreRowMajor() {
    assertArrayEquals(new int[] {60, 20, 5, 1}, Shape.of(2, 3, 4, 5).contiguousStrides());
    assertEquals(120, Shape.of(2, 3, 4, 5).size());
    assertEquals(1, Shape.of().size());
  }

  @Test
  void nullDimsAreNamed() {
    assertEquals("dims", assertThrows(NullPointerException.class, () -> Shape.of((int[]) null)).getMessage());
  }
}

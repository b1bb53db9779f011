package org.autoprop.blocks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@link Widths#makeDivisible} against the values torchvision 0.14's {@code _make_divisible} prints. */
class WidthsTest {
  @ParameterizedTest(name = "_make_divisible({0}, {1}) = {2}")
  @CsvSource({"4, 8, 8", "12, 8, 16", "11.9, 8, 16", "35.2, 8, 32", "75.9, 8, 72", "18, 8, 24", "240, 8, 240",
      "0, 8, 8", "10, 4, 12", "7, 3, 9", "2.5, 1, 3"})
  void roundsAsTorchvision(double v, int divisor, int expected) {
    assertEquals(expected, Widths.makeDivisible(v, divisor));
  }

  @Test
  void badArgumentsAreNamed() {
    var e = assertThrows(IllegalArgumentException.class, () -> Widths.makeDivisible(-1, 8));
    assertEquals("makeDivisible: v -1.0, divisor 8 (expected: 0 <= v <= 2147483647, divisor >= 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Widths.makeDivisible(Double.NaN, 8));
    assertEquals("makeDivisible: v NaN, divisor 8 (expected: 0 <= v <= 2147483647, divisor >= 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Widths.makeDivisible(4, 0));
    assertEquals("makeDivisible: v 4.0, divisor 0 (expected: 0 <= v <= 2147483647, divisor >= 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Widths.makeDivisible(2147483647, 8));
    assertEquals("makeDivisible: v 2.147483647E9 rounds to 2147483648 (expected: <= 2147483647)", e.getMessage());
  }
}

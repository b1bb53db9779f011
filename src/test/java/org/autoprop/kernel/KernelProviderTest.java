package org.autoprop.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/**
 * The provider chosen for this JVM and the width of its vectors: the Vector API one when the module
 * is readable, at {@code -Dautoprop.vectorbits} when set, else at the CPU's preferred width.
 */
class KernelProviderTest {
  /** The width this JVM's vector kernels must use. */
  static int expectedBits() {
    String forced = System.getProperty("autoprop.vectorbits");
    return forced == null || forced.isBlank() ? FloatVector.SPECIES_PREFERRED.vectorBitSize() : Integer.parseInt(forced.trim());
  }

  @Test
  void theSelectedProviderIsTheVectorOneAtTheExpectedWidth() {
    KernelProvider selected = KernelProvider.get();
    assertSame(KernelProvider.vector().getClass(), selected.getClass(),
        "tests run with --add-modules jdk.incubator.vector: " + selected.description());
    int bits = expectedBits();
    String width = "vector (" + bits + "-bit, " + bits / Float.SIZE + " float lanes";
    assertTrue(selected.description().startsWith(width), selected.description() + " (expected: " + width + "...)");
    assertEquals(selected.description(), KernelProvider.vector().description(), "one width per JVM");
  }

  @Test
  void theScalarProviderIsTheScalarOne() {
    assertEquals("scalar", KernelProvider.scalar().description());
  }

  @Test
  void aForcedWidthIsUsedAndSaid() throws Exception {
    ScalarFallbackTest.Result r = ScalarFallbackTest.java("--add-modules", "jdk.incubator.vector",
        "-Dautoprop.vectorbits=128", "org.autoprop.cli.Main", "seed", "--batch", "1", "--size", "4");
    assertEquals(0, r.code(), r.out() + r.err());
    assertTrue(r.out().contains("kernels vector (128-bit, 4 float lanes, forced by -Dautoprop.vectorbits)"), r.out());
  }

  @Test
  void aBadWidthIsNamed() throws Exception {
    ScalarFallbackTest.Result r = ScalarFallbackTest.java("--add-modules", "jdk.incubator.vector",
        "-Dautoprop.vectorbits=64", "org.autoprop.cli.Main", "seed", "--batch", "1", "--size", "4");
    assertEquals(2, r.code(), r.out() + r.err());
    List<String> lines = r.err().lines().filter(l -> !l.startsWith("WARNING: Using incubator modules")).toList();
    assertEquals(List.of("error: -Dautoprop.vectorbits=64 (expected: 128, 256 or 512)"), lines);
  }
}

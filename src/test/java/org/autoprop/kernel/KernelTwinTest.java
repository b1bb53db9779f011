package org.autoprop.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The base of every kernel family's twin test: the family's scalar implementation (the oracle) and
 * its vector one, the lengths that hit every vector tail, seeded inputs, and comparisons whose
 * tolerance the caller scales with the length of the sums involved.
 *
 * <p>A subclass passes its family ({@code super(KernelProvider::pool)}) and compares
 * {@link #scalar} with {@link #vector} over {@link #tailSizes()} (or shapes built from it). Inputs
 * for which the vector provider runs the scalar code itself are skipped with
 * {@link #assumeVectorPath}, named after the provider's predicate, so that no twin test compares
 * the scalar code with itself unseen. The suite runs these tests once at the machine's preferred
 * vector width and once at 256 bits ({@code -Dautoprop.vectorbits=256}, see pom.xml).
 *
 * @param <K> the kernel family
 */
public abstract class KernelTwinTest<K> {
  /** The scalar implementation: the oracle. */
  protected final K scalar;

  /** The Vector API implementation under test. */
  protected final K vector;

  /**
   * A twin test of one family.
   *
   * @param family the family's accessor on a provider, e.g. {@code KernelProvider::gemm}
   */
  protected KernelTwinTest(Function<KernelProvider, K> family) {
    this.scalar = family.apply(KernelProvider.scalar());
    this.vector = family.apply(KernelProvider.vector());
  }

  /**
   * Lengths that leave every remainder modulo 4, 8, 16 and 32 (a vector, or a two-vector register
   * tile, at 128, 256 and 512 bits), whole multiples and their neighbours, and larger awkward sizes
   * from Lucene's list with jvector's prime 1021.
   */
  public static IntStream tailSizes() {
    return IntStream.concat(IntStream.rangeClosed(0, 33),
        IntStream.of(47, 63, 64, 65, 100, 127, 128, 129, 207, 256, 300, 512, 702, 1021));
  }

  /** {@link #tailSizes()} without 0. */
  public static IntStream nonEmptyTailSizes() {
    return tailSizes().filter(n -> n > 0);
  }

  /** {@code n} floats uniform in {@code [lo, hi)}. */
  public static float[] uniform(SplittableRandom r, int n, double lo, double hi) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) (lo + (hi - lo) * r.nextDouble());
    }
    return a;
  }

  /** {@code n} floats uniform in {@code [-1, 1)}. */
  public static float[] random(SplittableRandom r, int n) {
    return uniform(r, n, -1, 1);
  }

  /**
   * {@code |expected[i] - actual[i]| <= tol (1 + |expected[i]|)} for every index, padding
   * included: a kernel must leave untouched what lies outside its range.
   */
  public static void assertClose(String what, float[] expected, float[] actual, double tol) {
    assertEquals(expected.length, actual.length, what + ": length");
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], tol * (1 + Math.abs(expected[i])), what + " at " + i);
    }
  }

  /**
   * Skips the rest of a twin test when the vector provider runs the scalar code for this input.
   *
   * @param scalarPath the value of the provider's predicate, e.g. {@code
   *     VectorKernelProvider.scalarMaxPoolBackward(win)}
   * @param predicate the predicate's name, for the report
   * @param input the input, for the report
   */
  public static void assumeVectorPath(boolean scalarPath, String predicate, Object input) {
    assumeFalse(scalarPath, () -> "VectorKernelProvider." + predicate + ": the vector provider runs the scalar twin for "
        + input + " (JDK " + Runtime.version().feature() + "), nothing to compare");
  }

  /** The vector family is its own implementation, from the vector package, not the scalar one handed on. */
  @Test
  void theVectorFamilyIsAVectorImplementation() {
    assertNotSame(scalar.getClass(), vector.getClass(), "the vector provider hands out the scalar family");
    assertTrue(vector.getClass().getPackageName().endsWith(".kernel.vector"),
        vector.getClass().getName() + " is not a Vector API implementation");
  }
}

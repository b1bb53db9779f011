package org.autoprop.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every vector elementwise kernel against its scalar twin, on sizes hitting every tail (GEMM: GemmTest). */
class KernelOracleTest {
  static final ElementwiseKernels SCALAR = KernelProvider.scalar().elementwise();
  static final ElementwiseKernels VECTOR = KernelProvider.vector().elementwise();

  /** Sizes around every lane count from 4 to 16 lanes, and a prime. */
  static IntStream sizes() {
    return IntStream.of(0, 1, 3, 4, 6, 7, 8, 13, 15, 16, 17, 25, 31, 32, 33, 64, 100, 207, 1021);
  }

  static float[] random(SplittableRandom r, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) (r.nextDouble() * 2 - 1);
    }
    return a;
  }

  interface Binary {
    void apply(ElementwiseKernels k, float[] a, int ao, float[] b, int bo, float[] out, int oo, int n);
  }

  static void checkBinary(String name, Binary op, int n) {
    SplittableRandom r = new SplittableRandom(n * 31L + name.hashCode());
    // Odd offsets so that nothing depends on alignment.
    float[] a = random(r, n + 3);
    float[] b = random(r, n + 5);
    float[] expected = random(r, n + 2);
    float[] actual = expected.clone();
    op.apply(SCALAR, a, 3, b, 5, expected, 2, n);
    op.apply(VECTOR, a, 3, b, 5, actual, 2, n);
    for (int i = 0; i < n + 2; i++) {
      assertEquals(expected[i], actual[i], 1e-6f * (1 + Math.abs(expected[i])), name + " n=" + n + " at " + i);
    }
  }

  @ParameterizedTest(name = "n={0}")
  @MethodSource("sizes")
  void binaryKernelsMatchScalar(int n) {
    checkBinary("add", ElementwiseKernels::add, n);
    checkBinary("sub", ElementwiseKernels::sub, n);
    checkBinary("mul", ElementwiseKernels::mul, n);
    checkBinary("max", ElementwiseKernels::max, n);
    checkBinary("min", ElementwiseKernels::min, n);
    checkBinary("axpy", (k, a, ao, b, bo, o, oo, m) -> k.axpy(0.37f, a, ao, o, oo, m), n);
    checkBinary("scale", (k, a, ao, b, bo, o, oo, m) -> k.scale(-1.7f, a, ao, o, oo, m), n);
    checkBinary("affine", (k, a, ao, b, bo, o, oo, m) -> k.affine(1.3f, a, ao, 0.25f, o, oo, m), n);
    checkBinary("relu", (k, a, ao, b, bo, o, oo, m) -> k.relu(a, ao, o, oo, m), n);
    checkBinary("reluBackward", ElementwiseKernels::reluBackward, n);
  }

  @ParameterizedTest(name = "n={0}")
  @MethodSource("sizes")
  void reductionsMatchScalar(int n) {
    SplittableRandom r = new SplittableRandom(n);
    float[] a = random(r, n + 1);
    float[] b = random(r, n + 1);
    double tol = 1e-5 * (n + 1);
    assertEquals(SCALAR.sum(a, 1, n), VECTOR.sum(a, 1, n), tol, "sum n=" + n);
    assertEquals(SCALAR.dot(a, 1, b, 1, n), VECTOR.dot(a, 1, b, 1, n), tol, "dot n=" + n);
  }

  @Test
  void providerSelectedOnceAndDescribed() {
    assertTrue(KernelProvider.get().description().startsWith("vector"),
        "tests run with --add-modules jdk.incubator.vector: " + KernelProvider.get().description());
    assertEquals(KernelProvider.get(), KernelProvider.get());
  }
}

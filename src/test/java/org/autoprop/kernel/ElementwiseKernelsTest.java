package org.autoprop.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every vector elementwise kernel against its scalar twin, on lengths hitting every tail. */
class ElementwiseKernelsTest extends KernelTwinTest<ElementwiseKernels> {
  ElementwiseKernelsTest() {
    super(KernelProvider::elementwise);
  }

  interface Binary {
    void apply(ElementwiseKernels k, float[] a, int ao, float[] b, int bo, float[] out, int oo, int n);
  }

  void checkBinary(String name, Binary op, int n) {
    SplittableRandom r = new SplittableRandom(n * 31L + name.hashCode());
    // Odd offsets so that nothing depends on alignment.
    float[] a = random(r, n + 3);
    float[] b = random(r, n + 5);
    float[] expected = random(r, n + 2);
    float[] actual = expected.clone();
    op.apply(scalar, a, 3, b, 5, expected, 2, n);
    op.apply(vector, a, 3, b, 5, actual, 2, n);
    assertClose(name + " n=" + n, expected, actual, 1e-6);
  }

  @ParameterizedTest(name = "n={0}")
  @MethodSource("org.autoprop.kernel.KernelTwinTest#tailSizes")
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
  @MethodSource("org.autoprop.kernel.KernelTwinTest#tailSizes")
  void reductionsMatchScalar(int n) {
    SplittableRandom r = new SplittableRandom(n);
    float[] a = random(r, n + 1);
    float[] b = random(r, n + 1);
    double tol = 1e-5 * (n + 1);
    assertEquals(scalar.sum(a, 1, n), vector.sum(a, 1, n), tol, "sum n=" + n);
    assertEquals(scalar.dot(a, 1, b, 1, n), vector.dot(a, 1, b, 1, n), tol, "dot n=" + n);
  }
}

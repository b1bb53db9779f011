package org.autoprop.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every vector activation kernel against its scalar twin on sizes that hit every tail, with
 * extreme inputs mixed in; erf against a double-precision series.
 */
public class ActivationKernelsTest extends KernelTwinTest<ActivationKernels> {
  /** The activation family's twin test. */
  public ActivationKernelsTest() {
    super(KernelProvider::activation);
  }

  /** Values where a naive formula overflows, underflows or loses its sign. */
  static final float[] EXTREMES = {
    1e4f, -1e4f, 100f, -100f, 89f, -89f, 88.5f, -88.5f, 20.5f, -20.5f, 1e-30f, -1e-30f, 0f, -0f, 3f, -3f, 6f
  };

  /**
   * erf in double precision: 2/sqrt(pi) exp(-x^2) sum 2^n x^(2n+1) / (1*3*...*(2n+1)), a series
   * of positive terms (no cancellation); |erf| = 1 to double precision beyond 6.
   */
  public static double erf(double x) {
    double a = Math.abs(x);
    if (a > 6) {
      return Math.signum(x);
    }
    double term = a;
    double sum = a;
    for (int n = 1; n < 1000 && term > 1e-17 * sum; n++) {
      term *= 2 * a * a / (2 * n + 1);
      sum += term;
    }
    return Math.signum(x) * Math.min(1.0, 2 / Math.sqrt(Math.PI) * Math.exp(-a * a) * sum);
  }

  interface Forward {
    void run(ActivationKernels k, float[] x, int xo, float[] y, int yo, int n);
  }

  interface Backward {
    void run(ActivationKernels k, float[] x, int xo, float[] y, int yo, float[] g, int go, float[] gx, int gxo, int n);
  }

  record Kernel(String name, Forward forward, Backward backward) {
    @Override
    public String toString() {
      return name;
    }
  }

  static List<Kernel> kernels() {
    return List.of(
        new Kernel("relu6", ActivationKernels::relu6,
            (k, x, xo, y, yo, g, go, gx, gxo, n) -> k.relu6Backward(x, xo, g, go, gx, gxo, n)),
        new Kernel("leakyRelu", (k, x, xo, y, yo, n) -> k.leakyRelu(0.01f, x, xo, y, yo, n),
            (k, x, xo, y, yo, g, go, gx, gxo, n) -> k.leakyReluBackward(0.01f, x, xo, g, go, gx, gxo, n)),
        new Kernel("elu", (k, x, xo, y, yo, n) -> k.elu(1.3f, x, xo, y, yo, n),
            (k, x, xo, y, yo, g, go, gx, gxo, n) -> k.eluBackward(1.3f, x, xo, y, yo, g, go, gx, gxo, n)),
        new Kernel("selu", ActivationKernels::selu, ActivationKernels::seluBackward),
        new Kernel("gelu", ActivationKernels::gelu,
            (k, x, xo, y, yo, g, go, gx, gxo, n) -> k.geluBackward(x, xo, g, go, gx, gxo, n)),
        new Kernel("geluTanh", ActivationKernels::geluTanh,
            (k, x, xo, y, yo, g, go, gx, gxo, n) -> k.geluTanhBackward(x, xo, g, go, gx, gxo, n)),
        new Kernel("sigmoid", ActivationKernels::sigmoid,
            (k, x, xo, y, yo, g, go, gx, gxo, n) -> k.sigmoidBackward(y, yo, g, go, gx, gxo, n)),
        new Kernel("tanh", ActivationKernels::tanh,
            (k, x, xo, y, yo, g, go, gx, gxo, n) -> k.tanhBackward(y, yo, g, go, gx, gxo, n)),
        new Kernel("softplus", (k, x, xo, y, yo, n) -> k.softplus(1f, 20f, x, xo, y, yo, n),
            (k, x, xo, y, yo, g, go, gx, gxo, n) -> k.softplusBackward(1f, 20f, x, xo, g, go, gx, gxo, n)),
        new Kernel("softplus(beta=0.5,threshold=200)", (k, x, xo, y, yo, n) -> k.softplus(0.5f, 200f, x, xo, y, yo, n),
            (k, x, xo, y, yo, g, go, gx, gxo, n) -> k.softplusBackward(0.5f, 200f, x, xo, g, go, gx, gxo, n)),
        new Kernel("swish", (k, x, xo, y, yo, n) -> k.swish(1.7f, x, xo, y, yo, n),
            (k, x, xo, y, yo, g, go, gx, gxo, n) -> k.swishBackward(1.7f, x, xo, g, go, gx, gxo, n)),
        new Kernel("hardSwish", ActivationKernels::hardSwish,
            (k, x, xo, y, yo, g, go, gx, gxo, n) -> k.hardSwishBackward(x, xo, g, go, gx, gxo, n)),
        new Kernel("erf", ActivationKernels::erf, null));
  }

  static Stream<Arguments> kernelsAndSizes() {
    return kernels().stream().flatMap(k -> tailSizes().mapToObj(n -> Arguments.of(k, n)));
  }

  /** Uniform in [-8, 8) with every fifth value an extreme one. */
  static float[] inputs(SplittableRandom r, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = i % 5 == 3 ? EXTREMES[r.nextInt(EXTREMES.length)] : (float) (r.nextDouble() * 16 - 8);
    }
    return a;
  }

  /** Equal within a relative 2e-6 (a few float ulps of SVML vs {@link Math}), no NaN or infinity. */
  static void assertMatches(String what, float[] expected, float[] actual, int from, int n, float[] x) {
    for (int i = 0; i < expected.length; i++) {
      float e = expected[i];
      float a = actual[i];
      String at = what + " n=" + n + " at " + i + (i >= from && i < from + n ? " x=" + x[i - from + 3] : " (outside)");
      assertTrue(Float.isFinite(a) && Float.isFinite(e), () -> at + ": not finite: scalar " + e + ", vector " + a);
      assertEquals(e, a, 2e-6 * (1 + Math.abs(e)), at);
    }
  }

  @ParameterizedTest(name = "{0} n={1}")
  @MethodSource("kernelsAndSizes")
  void vectorMatchesScalarWithExtremes(Kernel kernel, int n) {
    SplittableRandom r = new SplittableRandom(n * 131L + kernel.name().hashCode());
    // Odd offsets: nothing may depend on alignment, and nothing outside [off, off + n) is written.
    float[] x = inputs(r, n + 3);
    float[] expected = uniform(r, n + 2, -1, 1);
    float[] actual = expected.clone();
    kernel.forward().run(scalar, x, 3, expected, 2, n);
    kernel.forward().run(vector, x, 3, actual, 2, n);
    assertMatches(kernel + " forward", expected, actual, 2, n, x);
    if (kernel.backward() == null) {
      return;
    }
    float[] y = new float[n + 1];
    kernel.forward().run(scalar, x, 3, y, 1, n);
    float[] g = uniform(r, n + 4, -1, 1);
    float[] gxExpected = uniform(r, n + 5, -1, 1);
    float[] gxActual = gxExpected.clone();
    kernel.backward().run(scalar, x, 3, y, 1, g, 4, gxExpected, 5, n);
    kernel.backward().run(vector, x, 3, y, 1, g, 4, gxActual, 5, n);
    assertMatches(kernel + " backward", gxExpected, gxActual, 5, n, x);
  }

  /**
   * outer x len x inner blocks: inner 1 is the row path, every tail length along it; other inners
   * hit lanes and tails across rows.
   */
  static Stream<Arguments> softmaxShapes() {
    Stream<Arguments> rows = tailSizes().mapToObj(len -> Arguments.of(2, len, 1));
    Stream<Arguments> columns = nonEmptyTailSizes().filter(inner -> inner > 1).mapToObj(inner -> Arguments.of(2, 3, inner));
    return Stream.concat(Stream.concat(rows, columns), Stream.of(
        Arguments.of(1, 1, 1), Arguments.of(3, 7, 1), Arguments.of(2, 16, 1), Arguments.of(2, 17, 1),
        Arguments.of(4, 33, 1), Arguments.of(1, 1021, 1), Arguments.of(5, 100, 1), Arguments.of(2, 0, 1),
        Arguments.of(2, 5, 3), Arguments.of(3, 4, 16), Arguments.of(2, 3, 17), Arguments.of(1, 7, 31),
        Arguments.of(2, 1, 33), Arguments.of(3, 9, 100), Arguments.of(1, 31, 15)));
  }

  @ParameterizedTest(name = "outer={0} len={1} inner={2}")
  @MethodSource("softmaxShapes")
  void softmaxVectorMatchesScalar(int outer, int len, int inner) {
    int size = outer * len * inner;
    SplittableRandom r = new SplittableRandom(size * 7L + inner);
    float[] x = inputs(r, size + 1);
    float[] expected = new float[size + 2];
    float[] actual = new float[size + 2];
    scalar.softmax(x, 1, expected, 2, outer, len, inner);
    vector.softmax(x, 1, actual, 2, outer, len, inner);
    // Sums of len exponentials: the tolerance grows with len.
    double tol = 1e-6 * (1 + len);
    for (int i = 0; i < expected.length; i++) {
      assertTrue(Float.isFinite(actual[i]), "softmax not finite at " + i);
      assertEquals(expected[i], actual[i], tol, "softmax at " + i);
    }
    float[] g = uniform(r, size + 3, -1, 1);
    float[] gxExpected = new float[size + 1];
    float[] gxActual = new float[size + 1];
    scalar.softmaxBackward(expected, 2, g, 3, gxExpected, 1, outer, len, inner);
    vector.softmaxBackward(expected, 2, g, 3, gxActual, 1, outer, len, inner);
    for (int i = 0; i < gxExpected.length; i++) {
      assertEquals(gxExpected[i], gxActual[i], tol, "softmax backward at " + i);
    }
  }

  @Test
  void softmaxRowsSumToOneAndMatchDoubleEvenForExtremeInputs() {
    float[] x = {1e4f, -1e4f, 0f, 9999f, -89f, 88f, 100f, 1e4f, 3f};
    int len = x.length;
    for (ActivationKernels k : List.of(scalar, vector)) {
      float[] y = new float[len];
      k.softmax(x, 0, y, 0, 1, len, 1);
      double max = 1e4;
      double sum = 0;
      for (float v : x) {
        sum += Math.exp(v - max);
      }
      for (int i = 0; i < len; i++) {
        assertEquals(Math.exp(x[i] - max) / sum, y[i], 1e-6, k + " at " + i);
      }
    }
  }

  @Test
  void erfMatchesDoubleSeriesTo3e7() {
    for (ActivationKernels k : List.of(scalar, vector)) {
      int n = 20001;
      float[] x = new float[n];
      for (int i = 0; i < n; i++) {
        x[i] = -10f + 20f * i / (n - 1);
      }
      float[] y = new float[n];
      k.erf(x, 0, y, 0, n);
      double worst = 0;
      for (int i = 0; i < n; i++) {
        worst = Math.max(worst, Math.abs(y[i] - erf(x[i])));
      }
      assertTrue(worst < 3e-7, k.getClass().getSimpleName() + ": worst erf error " + worst);
    }
  }

  @Test
  void erfReferenceIsRight() {
    // Values from Abramowitz and Stegun, table 7.1.
    assertEquals(0.5204998778, erf(0.5), 1e-10);
    assertEquals(0.8427007929, erf(1.0), 1e-10);
    assertEquals(0.9953222650, erf(2.0), 1e-10);
    assertEquals(-0.9999779095, erf(-3.0), 1e-10);
  }
}

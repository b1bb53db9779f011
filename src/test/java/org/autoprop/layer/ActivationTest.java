package org.autoprop.layer;

import static org.autoprop.testing.TestTensors.maxAbsDiff;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.autoprop.io.SafeTensors;
import org.autoprop.kernel.ActivationKernelsTest;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.testing.Cases;
import org.autoprop.testing.Conformance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** One harness over every pointwise activation: reference values, PyTorch files, GradCheck, buffers, errors. */
class ActivationTest {
  static final double SELU_SCALE = 1.0507009873554804934193349852946;
  static final double SELU_ALPHA = 1.6732632423543772848170429916717;

  /**
   * An activation under test: how to make it, its kinks (inputs GradCheck must stay away from),
   * its PyTorch reference file (or null), its type name and a double-precision reference.
   */
  record Spec(String label, Supplier<Activation> make, double[] kinks, String conformance, String typeName,
      DoubleUnaryOperator reference) {
    @Override
    public String toString() {
      return label;
    }
  }

  static double sigmoid(double x) {
    return 1 / (1 + Math.exp(-x));
  }

  static double softplus(double beta, double threshold, double x) {
    return beta * x > threshold ? x : Math.log1p(Math.exp(beta * x)) / beta;
  }

  static final double[] NONE = {};

  static List<Spec> specs() {
    double k = Math.sqrt(2 / Math.PI);
    return List.of(
        new Spec("ReLU", ReLU::new, new double[] {0}, "relu", "ReLU", x -> Math.max(x, 0)),
        new Spec("ReLU6", ReLU6::new, new double[] {0, 6}, null, "ReLU6", x -> Math.min(Math.max(x, 0), 6)),
        new Spec("LeakyReLU()", LeakyReLU::new, new double[] {0}, "leaky_relu", "LeakyReLU",
            x -> x > 0 ? x : 0.01 * x),
        new Spec("LeakyReLU(0.2)", () -> new LeakyReLU(0.2), new double[] {0}, null, "LeakyReLU",
            x -> x > 0 ? x : 0.2f * x),
        new Spec("ELU()", ELU::new, new double[] {0}, "elu", "ELU", x -> x > 0 ? x : Math.expm1(x)),
        new Spec("ELU(0.5)", () -> new ELU(0.5), new double[] {0}, null, "ELU", x -> x > 0 ? x : 0.5 * Math.expm1(x)),
        new Spec("SELU", SELU::new, new double[] {0}, null, "SELU",
            x -> SELU_SCALE * (x > 0 ? x : SELU_ALPHA * Math.expm1(x))),
        new Spec("GELU()", GELU::new, NONE, "gelu", "GELU",
            x -> 0.5 * x * (1 + ActivationKernelsTest.erf(x / Math.sqrt(2)))),
        new Spec("GELU(tanh)", () -> new GELU(true), NONE, null, "GELU",
            x -> 0.5 * x * (1 + Math.tanh(k * (x + 0.044715 * x * x * x)))),
        new Spec("Sigmoid", Sigmoid::new, NONE, "sigmoid", "Sigmoid", ActivationTest::sigmoid),
        new Spec("Tanh", Tanh::new, NONE, "tanh", "Tanh", Math::tanh),
        new Spec("Softplus()", Softplus::new, new double[] {20}, "softplus", "Softplus", x -> softplus(1, 20, x)),
        new Spec("Softplus(2,5)", () -> new Softplus(2, 5), new double[] {2.5}, null, "Softplus",
            x -> softplus(2f, 5, x)),
        new Spec("SiLU", SiLU::new, NONE, "silu", "SiLU", x -> x * sigmoid(x)),
        new Spec("Swish()", Swish::new, NONE, null, "Swish", x -> x * sigmoid(x)),
        new Spec("Swish(1.7)", () -> new Swish(1.7), NONE, null, "Swish", x -> x * sigmoid(1.7f * x)),
        new Spec("Swish(-0.5)", () -> new Swish(-0.5), NONE, null, "Swish", x -> x * sigmoid(-0.5 * x)),
        new Spec("HardSwish", HardSwish::new, new double[] {-3, 3}, null, "HardSwish",
            x -> x * Math.min(Math.max(x + 3, 0), 6) / 6));
  }

  static Stream<Spec> conformanceSpecs() {
    return specs().stream().filter(s -> s.conformance() != null);
  }

  static Stream<Arguments> specsAndSeeds() {
    List<Long> seeds = Cases.fewSeeds().toList();
    return specs().stream().flatMap(s -> seeds.stream().map(seed -> Arguments.of(s, seed)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("conformanceSpecs")
  void matchesPyTorch(Spec spec) {
    SafeTensors f = Conformance.load(spec.conformance());
    Activation layer = spec.make().get();
    Conformance.assertClose(spec + " y", f.tensor("y"), layer.forward(f.tensor("x"), true));
    Conformance.assertClose(spec + " gx", f.tensor("gx"), layer.backward(f.tensor("gy")));
  }

  /** Forward against the double reference on [-30, 30] and on extremes: no NaN, no overflow. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("specs")
  void forwardMatchesDoubleReferenceIncludingExtremes(Spec spec) {
    SplittableRandom r = new SplittableRandom(spec.label().hashCode());
    float[] extremes = {1e4f, -1e4f, 100f, -100f, 89f, -89f, 20.5f, -20.5f, 0f, -0f, 1e-30f, -1e-30f};
    int n = 500 + extremes.length;
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = i < extremes.length ? extremes[i] : (float) (r.nextDouble() * 60 - 30);
    }
    Tensor y = spec.make().get().forward(Tensor.wrap(x, n), true);
    for (int i = 0; i < n; i++) {
      double expected = spec.reference().applyAsDouble(x[i]);
      float actual = y.getFlat(i);
      assertTrue(Float.isFinite(actual), spec + " at x=" + x[i] + ": " + actual);
      // A few float ulps of the result, plus erf's 3e-7 absolute error times |x| / 2 for GELU.
      double tol = 2e-6 * Math.abs(expected) + 1e-6 + 2e-7 * Math.abs(x[i]);
      assertEquals(expected, actual, tol, spec + " at x=" + x[i]);
    }
  }

  /**
   * Uniform in [-4, 4) (wider when a kink lies beyond 2: saturated sigmoid or tanh slopes are
   * below what float finite differences resolve), then moved at least 0.05 away from every kink
   * (GradCheck steps 5e-3).
   */
  static Tensor awayFromKinks(Shape shape, double[] kinks, SplittableRandom r) {
    float range = 4f;
    for (double kink : kinks) {
      range = (float) Math.max(range, Math.abs(kink) + 2);
    }
    Tensor x = Tensor.uniform(shape, -range, range, r.nextLong());
    float[] d = x.data();
    for (int i = 0; i < d.length; i++) {
      for (double kink : kinks) {
        if (Math.abs(d[i] - kink) < 0.05) {
          d[i] = (float) (kink + (d[i] >= kink ? 0.05 : -0.05) + 0.1 * r.nextDouble() * Math.signum(d[i] - kink + 1e-9));
        }
      }
    }
    return x;
  }

  static Shape randomShape(SplittableRandom r) {
    int rank = 1 + r.nextInt(4);
    int[] dims = new int[rank];
    for (int i = 0; i < rank; i++) {
      dims[i] = r.nextInt(4) == 0 ? 1 : 1 + r.nextInt(6);
    }
    return Shape.of(dims);
  }

  @ParameterizedTest(name = "{0} seed={1}")
  @MethodSource("specsAndSeeds")
  void backwardMatchesFiniteDifferences(Spec spec, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    Shape shape = randomShape(r);
    Tensor x = awayFromKinks(shape, spec.kinks(), r);
    GradCheck.Report report = GradCheck.forLayer(spec.make().get()).seed(seed).check(x);
    assertTrue(report.passed(5e-3), () -> spec + " " + shape + "\n" + report);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("specs")
  void reusesBuffersWhileTheShapeHoldsAndNeverWritesTheInput(Spec spec) {
    Activation layer = spec.make().get();
    Tensor x = Tensor.uniform(Shape.of(2, 3, 5), -4f, 4f, 1);
    Tensor before = x.copy();
    Tensor y1 = layer.forward(x, true);
    Tensor g1 = layer.backward(Tensor.uniform(x.shape(), -1f, 1f, 2));
    Tensor y2 = layer.forward(x, true);
    Tensor g2 = layer.backward(Tensor.uniform(x.shape(), -1f, 1f, 3));
    assertSame(y1, y2, "output buffer reused");
    assertSame(g1, g2, "gradient buffer reused");
    assertNotSame(x, y1);
    assertEquals(0, maxAbsDiff(before, x), "input untouched");
    Tensor y3 = layer.forward(Tensor.uniform(Shape.of(4, 7), -4f, 4f, 4), true);
    assertEquals(Shape.of(4, 7), y3.shape());
    assertEquals(spec.typeName(), layer.typeName());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("specs")
  void stridedInputEqualsItsContiguousCopy(Spec spec) {
    Tensor base = Tensor.uniform(Shape.of(3, 4, 5), -5f, 5f, 7);
    Tensor view = base.transpose(0, 2);
    Tensor g = Tensor.uniform(view.shape(), -1f, 1f, 8).transpose(1, 2).contiguous().transpose(1, 2);
    Activation a = spec.make().get();
    Activation b = spec.make().get();
    Tensor ya = a.forward(view, true);
    Tensor yb = b.forward(view.copy(), true);
    assertEquals(0, maxAbsDiff(ya, yb), spec + " forward");
    assertEquals(0, maxAbsDiff(a.backward(g), b.backward(g.copy())), spec + " backward");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("specs")
  void backwardChecksItsArguments(Spec spec) {
    Activation layer = spec.make().get();
    IllegalStateException early = assertThrows(IllegalStateException.class,
        () -> layer.backward(Tensor.zeros(2, 3)));
    assertEquals(layer + ": backward called before forward", early.getMessage());
    layer.forward(Tensor.zeros(2, 3), true);
    IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class,
        () -> layer.backward(Tensor.zeros(3, 2)));
    assertEquals(layer + ": gradient [3, 2] (expected: [2, 3], the shape of the latest output)", wrong.getMessage());
  }

  @Test
  void swishWithBetaOneIsSiLU() {
    Tensor x = Tensor.uniform(Shape.of(5, 33), -10f, 10f, 9);
    Tensor g = Tensor.uniform(x.shape(), -1f, 1f, 10);
    Swish swish = new Swish();
    SiLU silu = new SiLU();
    assertEquals(0, maxAbsDiff(swish.forward(x, true), silu.forward(x, true)));
    assertEquals(0, maxAbsDiff(swish.backward(g), silu.backward(g)));
    assertEquals("Swish", swish.typeName());
    assertEquals("SiLU", silu.typeName());
  }

  @Test
  void acceptsRankZeroAndEmptyInputs() {
    for (Spec spec : specs()) {
      Activation layer = spec.make().get();
      Tensor scalar = Tensor.wrap(new float[] {1.5f}, Shape.of());
      assertEquals(spec.reference().applyAsDouble(1.5), layer.forward(scalar, true).getFlat(0), 1e-5, spec.label());
      assertEquals(Shape.of(2, 0, 3), layer.forward(Tensor.zeros(2, 0, 3), true).shape(), spec.label());
      assertEquals(Shape.of(2, 0, 3), layer.backward(Tensor.zeros(2, 0, 3)).shape(), spec.label());
    }
  }

  static Stream<Arguments> badParameters() {
    List<Arguments> cases = new ArrayList<>();
    cases.add(Arguments.of((Runnable) () -> new LeakyReLU(-0.1), "LeakyReLU: slope -0.1 (expected: finite and >= 0.0)"));
    cases.add(Arguments.of((Runnable) () -> new LeakyReLU(Double.NaN), "LeakyReLU: slope NaN (expected: finite and >= 0.0)"));
    cases.add(Arguments.of((Runnable) () -> new ELU(-1), "ELU: alpha -1.0 (expected: finite and >= 0.0)"));
    cases.add(Arguments.of((Runnable) () -> new ELU(Double.POSITIVE_INFINITY), "ELU: alpha Infinity (expected: finite and >= 0.0)"));
    cases.add(Arguments.of((Runnable) () -> new Swish(Double.NaN), "Swish: beta NaN (expected: finite)"));
    cases.add(Arguments.of((Runnable) () -> new Softplus(0, 20), "Softplus: beta 0.0 (expected: finite and > 0)"));
    cases.add(Arguments.of((Runnable) () -> new Softplus(-1, 20), "Softplus: beta -1.0 (expected: finite and > 0)"));
    cases.add(Arguments.of((Runnable) () -> new Softplus(1, Double.NaN), "Softplus: threshold NaN (expected: finite)"));
    return cases.stream();
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("badParameters")
  void rejectsBadParameters(Runnable make, String message) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, make::run);
    assertEquals(message, e.getMessage());
  }

  @Test
  void describesItsSettings() {
    assertEquals("LeakyReLU(slope=0.2)", new LeakyReLU(0.2).toString());
    assertEquals("ELU(alpha=1.0)", new ELU().toString());
    assertEquals("Softplus(beta=1.0, threshold=20.0)", new Softplus().toString());
    assertEquals("Swish(beta=1.7)", new Swish(1.7).toString());
    assertEquals("GELU(approximate=tanh)", new GELU(true).toString());
    assertEquals("GELU", new GELU().toString());
    assertEquals(0.01f, new LeakyReLU().slope());
  }
}

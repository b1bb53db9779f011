package org.autoprop.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.autoprop.io.SafeTensors;
import org.autoprop.layer.Parameter;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.testing.Conformance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The optimizers' named builders: PyTorch's numbers, PyTorch's defaults, named errors. */
class OptimizerBuilderTest {

  private static double num(Map<String, String> meta, String key, double fallback) {
    String v = meta.get(key);
    return v == null ? fallback : Double.parseDouble(v);
  }

  /** The optimizer make_vectors.py ran, built with the builders (settings the file leaves out keep their defaults). */
  private static Optimizer byBuilder(Map<String, String> m, List<Parameter> ps) {
    double lr = num(m, "lr", Double.NaN);
    String[] betas = m.getOrDefault("betas", "0.9,0.999").split(",");
    double b1 = Double.parseDouble(betas[0]);
    double b2 = Double.parseDouble(betas[1]);
    switch (m.get("type")) {
      case "SGD":
        return Sgd.builder(ps).lr(lr).momentum(num(m, "momentum", 0)).dampening(num(m, "dampening", 0))
            .weightDecay(num(m, "weight_decay", 0)).nesterov("True".equals(m.get("nesterov"))).build();
      case "Adam":
        return Adam.builder(ps).lr(lr).betas(b1, b2).eps(num(m, "eps", 1e-8))
            .weightDecay(num(m, "weight_decay", 0)).build();
      case "AdamW":
        return AdamW.builder(ps).lr(lr).betas(b1, b2).eps(num(m, "eps", 1e-8))
            .weightDecay(num(m, "weight_decay", 0.01)).build();
      case "RMSprop":
        return RmsProp.builder(ps).lr(lr).alpha(num(m, "alpha", 0.99)).eps(num(m, "eps", 1e-8))
            .weightDecay(num(m, "weight_decay", 0)).momentum(num(m, "momentum", 0))
            .centered("True".equals(m.get("centered"))).build();
      default:
        throw new IllegalArgumentException(m.get("type"));
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"sgd_plain", "sgd_momentum", "sgd_dampening", "sgd_nesterov", "adam", "adam_l2",
      "adamw", "rmsprop", "rmsprop_centered_momentum"})
  void builtOptimizersMatchPyTorch(String config) {
    SafeTensors f = TrainVectors.load("optim_" + config);
    Map<String, String> meta = f.metadata();
    Parameter a = new Parameter("a", f.tensor("a"));
    Parameter b = new Parameter("b", f.tensor("b"));
    Optimizer opt = byBuilder(meta, List.of(a, b));
    assertEquals(meta.get("type"), opt.typeName());
    int steps = Integer.parseInt(meta.get("steps"));
    int change = Integer.parseInt(meta.get("lr_change_step"));
    for (int k = 0; k < steps; k++) {
      if (k == change) {
        opt.setLearningRate(Double.parseDouble(meta.get("lr_change_to")));
      }
      opt.zeroGrad();
      a.grad().copyFrom(f.tensor("grad." + k + ".a"));
      b.grad().copyFrom(f.tensor("grad." + k + ".b"));
      opt.step();
      Conformance.assertClose(config + " step " + k + " a", f.tensor("after." + k + ".a"), a.value(), 2e-6);
      Conformance.assertClose(config + " step " + k + " b", f.tensor("after." + k + ".b"), b.value(), 2e-6);
    }
  }

  /** Runs five steps of an optimizer over one parameter with fixed gradients; returns the weights. */
  private static float[] run(Function<List<Parameter>, Optimizer> make) {
    Parameter p = new Parameter("w", Tensor.uniform(Shape.of(3, 5), -1f, 1f, 11));
    Optimizer opt = make.apply(List.of(p));
    for (int k = 0; k < 5; k++) {
      p.grad().copyFrom(Tensor.uniform(p.value().shape(), -1f, 1f, 100 + k));
      opt.step();
    }
    return p.value().toArray();
  }

  static Stream<Arguments> defaults() {
    // PyTorch's defaults: SGD lr 1e-3; Adam and AdamW lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight
    // decay 0 and 0.01; RMSprop lr 1e-2, alpha 0.99, eps 1e-8.
    return Stream.of(
        Arguments.of("SGD", (Function<List<Parameter>, Optimizer>) ps -> Sgd.builder(ps).build(),
            (Function<List<Parameter>, Optimizer>) ps -> new Sgd(ps, 1e-3, 0, 0, 0, false)),
        Arguments.of("Adam", (Function<List<Parameter>, Optimizer>) ps -> Adam.builder(ps).build(),
            (Function<List<Parameter>, Optimizer>) ps -> new Adam(ps, 1e-3, 0.9, 0.999, 1e-8, 0)),
        Arguments.of("AdamW", (Function<List<Parameter>, Optimizer>) ps -> AdamW.builder(ps).build(),
            (Function<List<Parameter>, Optimizer>) ps -> new AdamW(ps, 1e-3, 0.9, 0.999, 1e-8, 0.01)),
        Arguments.of("RMSprop", (Function<List<Parameter>, Optimizer>) ps -> RmsProp.builder(ps).build(),
            (Function<List<Parameter>, Optimizer>) ps -> new RmsProp(ps, 1e-2, 0.99, 1e-8, 0, 0, false)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("defaults")
  void defaultsArePyTorchs(String name, Function<List<Parameter>, Optimizer> built,
      Function<List<Parameter>, Optimizer> explicit) {
    assertEquals(explicitArray(explicit), explicitArray(built), name);
  }

  private static String explicitArray(Function<List<Parameter>, Optimizer> make) {
    return java.util.Arrays.toString(run(make));
  }

  @Test
  void everySettingMatchesItsConstructorArgument() {
    assertEquals(explicitArray(ps -> new Sgd(ps, 0.05, 0.9, 0.1, 5e-4, false)),
        explicitArray(ps -> Sgd.builder(ps).lr(0.05).momentum(0.9).dampening(0.1).weightDecay(5e-4).build()));
    assertEquals(explicitArray(ps -> new Sgd(ps, 0.05, 0.8, 0, 1e-3, true)),
        explicitArray(ps -> Sgd.builder(ps).weightDecay(1e-3).nesterov(true).momentum(0.8).lr(0.05).build()));
    assertEquals(explicitArray(ps -> new Adam(ps, 0.02, 0.8, 0.9, 1e-6, 0.1)),
        explicitArray(ps -> Adam.builder(ps).lr(0.02).betas(0.8, 0.9).eps(1e-6).weightDecay(0.1).build()));
    assertEquals(explicitArray(ps -> new AdamW(ps, 0.02, 0.8, 0.9, 1e-6, 0.1)),
        explicitArray(ps -> AdamW.builder(ps).lr(0.02).betas(0.8, 0.9).eps(1e-6).weightDecay(0.1).build()));
    assertEquals(explicitArray(ps -> new RmsProp(ps, 0.02, 0.9, 1e-6, 0.1, 0.5, true)),
        explicitArray(ps -> RmsProp.builder(ps).lr(0.02).alpha(0.9).eps(1e-6).weightDecay(0.1).momentum(0.5)
            .centered(true).build()));
  }

  private static void assertMessage(String expected, Executable call) {
    assertEquals(expected, assertThrows(IllegalArgumentException.class, call).getMessage());
  }

  @Test
  void badValuesAreNamedWithTheRangeAndTheValue() {
    List<Parameter> ps = List.of(new Parameter("w", Tensor.zeros(2)));
    assertMessage("SGD: learning rate -0.1 (expected: >= 0 and finite as a float (< 3.4e38))",
        () -> Sgd.builder(ps).lr(-0.1));
    assertMessage("SGD: learning rate 1.0E39 (expected: >= 0 and finite as a float (< 3.4e38))",
        () -> Sgd.builder(ps).lr(1e39));
    assertMessage("SGD: momentum 1.0 (expected: 0 <= momentum < 1)", () -> Sgd.builder(ps).momentum(1));
    assertMessage("SGD: momentum NaN (expected: 0 <= momentum < 1)", () -> Sgd.builder(ps).momentum(Double.NaN));
    assertMessage("SGD: dampening 2.0 (expected: 0 <= dampening <= 1)", () -> Sgd.builder(ps).dampening(2));
    assertMessage("SGD: weight decay -1.0E-4 (expected: >= 0 and finite as a float)", () -> Sgd.builder(ps).weightDecay(-1e-4));
    assertMessage("SGD: weight decay 1.0E39 (expected: >= 0 and finite as a float)",
        () -> Sgd.builder(ps).weightDecay(1e39));
    assertMessage("SGD: Nesterov momentum needs momentum > 0 and dampening 0 (got momentum 0.0, dampening 0.0)",
        () -> Sgd.builder(ps).nesterov(true).build());
    assertMessage("Adam: beta1 1.0 (expected: 0 <= beta1 < 1)", () -> Adam.builder(ps).betas(1, 0.999));
    assertMessage("Adam: beta2 -0.5 (expected: 0 <= beta2 < 1)", () -> Adam.builder(ps).betas(0.9, -0.5));
    assertMessage("Adam: eps Infinity (expected: >= 0 and finite as a float)", () -> Adam.builder(ps).eps(Double.POSITIVE_INFINITY));
    assertMessage("AdamW: weight decay -0.01 (expected: >= 0 and finite as a float)", () -> AdamW.builder(ps).weightDecay(-0.01));
    assertMessage("AdamW: learning rate NaN (expected: >= 0 and finite as a float (< 3.4e38))",
        () -> AdamW.builder(ps).lr(Double.NaN));
    assertMessage("RMSprop: alpha 1.0 (expected: 0 <= alpha < 1)", () -> RmsProp.builder(ps).alpha(1));
    assertMessage("RMSprop: momentum 1.5 (expected: 0 <= momentum < 1)", () -> RmsProp.builder(ps).momentum(1.5));
    assertMessage("RMSprop: eps -1.0 (expected: >= 0 and finite as a float)", () -> RmsProp.builder(ps).eps(-1));
    NullPointerException e = assertThrows(NullPointerException.class, () -> Sgd.builder(null));
    assertEquals("parameters", e.getMessage());
  }
}

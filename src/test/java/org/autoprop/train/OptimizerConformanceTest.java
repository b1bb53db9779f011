package org.autoprop.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.autoprop.io.SafeTensors;
import org.autoprop.layer.Dense;
import org.autoprop.layer.LayerNorm;
import org.autoprop.layer.Parameter;
import org.autoprop.layer.Sequential;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.testing.Conformance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * AdaGrad, AdaDelta, AdaMax, NAdam, RAdam, Lion and LAMB, and parameter groups, against the vectors of
 * {@code tools/conformance/optimizers.py} (PyTorch 1.13; Lion and LAMB written there from the papers).
 */
class OptimizerConformanceTest {
  /** Relative to the largest magnitude of each expected tensor. */
  private static final double TOLERANCE = 1e-5;
  private static final SafeTensors F = Conformance.load("optimizers");
  private static final int STEPS = Integer.parseInt(F.metadata().get("steps"));
  private static final int LR_CHANGE = Integer.parseInt(F.metadata().get("lr_change_step"));

  static Stream<String> configs() {
    return Stream.of(F.metadata().get("configs").split(","));
  }

  /** {@code key=value;key=value} into a map (the first field of a group is its parameter, under "params"). */
  private static Map<String, String> settings(String text, boolean group) {
    Map<String, String> out = new LinkedHashMap<>();
    String[] fields = text.split(";");
    for (int i = 0; i < fields.length; i++) {
      if (group && i == 0) {
        out.put("params", fields[0]);
        continue;
      }
      int eq = fields[i].indexOf('=');
      out.put(fields[i].substring(0, eq), fields[i].substring(eq + 1));
    }
    return out;
  }

  private static double num(Map<String, String> s, String key) {
    return Double.parseDouble(s.get(key));
  }

  /** The groups the script used, over {@code a} and {@code b}; one group of both when it used none. */
  private static ParamGroups groups(String config, Parameter a, Parameter b) {
    Map<String, String> meta = F.metadata();
    if (!meta.containsKey(config + ".group0")) {
      return ParamGroups.single(List.of(a, b));
    }
    List<ParamGroup> groups = new ArrayList<>();
    for (int i = 0; meta.containsKey(config + ".group" + i); i++) {
      Map<String, String> s = settings(meta.get(config + ".group" + i), true);
      ParamGroup g = ParamGroup.of(List.of(s.get("params").equals("a") ? a : b));
      if (s.containsKey("lr")) {
        g = g.lr(num(s, "lr"));
      }
      if (s.containsKey("weight_decay")) {
        g = g.weightDecay(num(s, "weight_decay"));
      }
      groups.add(g);
    }
    return ParamGroups.of(groups);
  }

  /** The optimizer the script ran, built with the builders; settings it left out keep our defaults. */
  static Optimizer build(String config, Parameter a, Parameter b) {
    Map<String, String> s = settings(F.metadata().get(config), false);
    ParamGroups groups = groups(config, a, b);
    double lr = num(s, "lr");
    double[] betas = null;
    if (s.containsKey("betas")) {
      String[] parts = s.get("betas").split(",");
      betas = new double[] {Double.parseDouble(parts[0]), Double.parseDouble(parts[1])};
    }
    switch (s.get("type")) {
      case "Adagrad": {
        AdaGrad.Builder x = AdaGrad.withGroups(groups).lr(lr);
        if (s.containsKey("lr_decay")) {
          x.lrDecay(num(s, "lr_decay"));
        }
        if (s.containsKey("initial_accumulator_value")) {
          x.initialAccumulatorValue(num(s, "initial_accumulator_value"));
        }
        if (s.containsKey("eps")) {
          x.eps(num(s, "eps"));
        }
        if (s.containsKey("weight_decay")) {
          x.weightDecay(num(s, "weight_decay"));
        }
        return x.build();
      }
      case "Adadelta": {
        AdaDelta.Builder x = AdaDelta.withGroups(groups).lr(lr);
        if (s.containsKey("rho")) {
          x.rho(num(s, "rho"));
        }
        if (s.containsKey("eps")) {
          x.eps(num(s, "eps"));
        }
        if (s.containsKey("weight_decay")) {
          x.weightDecay(num(s, "weight_decay"));
        }
        return x.build();
      }
      case "Lion": {
        Lion.Builder x = Lion.withGroups(groups).lr(lr);
        if (betas != null) {
          x.betas(betas[0], betas[1]);
        }
        if (s.containsKey("weight_decay")) {
          x.weightDecay(num(s, "weight_decay"));
        }
        return x.build();
      }
      case "SGD":
        return Sgd.withGroups(groups).lr(lr).momentum(num(s, "momentum")).weightDecay(num(s, "weight_decay")).build();
      default:
        break;
    }
    AdamSettings<?> x;
    switch (s.get("type")) {
      case "Adamax":
        x = AdaMax.withGroups(groups);
        break;
      case "NAdam":
        NAdam.Builder nadam = NAdam.withGroups(groups);
        if (s.containsKey("momentum_decay")) {
          nadam.momentumDecay(num(s, "momentum_decay"));
        }
        x = nadam;
        break;
      case "RAdam":
        x = RAdam.withGroups(groups);
        break;
      case "LAMB":
        x = Lamb.withGroups(groups);
        break;
      case "AdamW":
        x = AdamW.withGroups(groups);
        break;
      default:
        throw new IllegalArgumentException(s.get("type"));
    }
    x.lr(lr);
    if (betas != null) {
      x.betas(betas[0], betas[1]);
    }
    if (s.containsKey("eps")) {
      x.eps(num(s, "eps"));
    }
    if (s.containsKey("weight_decay")) {
      x.weightDecay(num(s, "weight_decay"));
    }
    if (x instanceof AdaMax.Builder) {
      return ((AdaMax.Builder) x).build();
    } else if (x instanceof NAdam.Builder) {
      return ((NAdam.Builder) x).build();
    } else if (x instanceof RAdam.Builder) {
      return ((RAdam.Builder) x).build();
    } else if (x instanceof Lamb.Builder) {
      return ((Lamb.Builder) x).build();
    }
    return ((AdamW.Builder) x).build();
  }

  /** Feeds step {@code k}'s gradients (and the script's learning-rate change) and steps. */
  private static void step(String config, Optimizer opt, Parameter a, Parameter b, int k, double lr0) {
    if (k == LR_CHANGE) {
      opt.setLearningRate(lr0 * 0.5);
    }
    opt.zeroGrad();
    a.grad().copyFrom(F.tensor(config + ".grad." + k + ".a"));
    b.grad().copyFrom(F.tensor(config + ".grad." + k + ".b"));
    opt.step();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("configs")
  void matchesPyTorchAfterEveryStep(String config) {
    Parameter a = new Parameter("a", F.tensor(config + ".a"));
    Parameter b = new Parameter("b", F.tensor(config + ".b"));
    Optimizer opt = build(config, a, b);
    assertEquals(settings(F.metadata().get(config), false).get("type"), opt.typeName());
    double lr0 = opt.learningRate();
    for (int k = 0; k < STEPS; k++) {
      step(config, opt, a, b, k, lr0);
      Conformance.assertClose(config + " step " + k + " a", F.tensor(config + ".after." + k + ".a"), a.value(),
          TOLERANCE);
      Conformance.assertClose(config + " step " + k + " b", F.tensor(config + ".after." + k + ".b"), b.value(),
          TOLERANCE);
    }
    TreeSet<String> expected = new TreeSet<>();
    String prefix = config + ".state.";
    for (String name : F.names()) {
      if (name.startsWith(prefix)) {
        String key = name.substring(prefix.length());
        expected.add(key);
        assertTrue(opt.state().containsKey(key), () -> config + ": missing state " + key + " in "
            + opt.state().keySet());
        Conformance.assertClose(config + " " + name, F.tensor(name), opt.state().get(key), TOLERANCE);
      }
    }
    assertEquals(expected, new TreeSet<>(opt.state().keySet()), config + ": state names");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("configs")
  void stateRoundTripMidRunContinuesIdentically(String config) {
    Parameter a = new Parameter("a", F.tensor(config + ".a"));
    Parameter b = new Parameter("b", F.tensor(config + ".b"));
    Optimizer opt = build(config, a, b);
    double lr0 = opt.learningRate();
    int half = 3;
    for (int k = 0; k < half; k++) {
      step(config, opt, a, b, k, lr0);
    }
    // a second run resumed from copies of the weights and the state, as a checkpoint would hold them
    Parameter a2 = new Parameter("a", a.value().copy());
    Parameter b2 = new Parameter("b", b.value().copy());
    Optimizer resumed = build(config, a2, b2);
    Map<String, Tensor> saved = new HashMap<>();
    opt.state().forEach((k, v) -> saved.put(k, v.copy()));
    resumed.loadState(saved, opt.stepCount());
    assertEquals(half, resumed.stepCount());
    for (int k = half; k < STEPS; k++) {
      step(config, opt, a, b, k, lr0);
      step(config, resumed, a2, b2, k, lr0);
      assertArrayEquals(a.value().toArray(), a2.value().toArray(), config + " step " + k + " a");
      assertArrayEquals(b.value().toArray(), b2.value().toArray(), config + " step " + k + " b");
    }
    Conformance.assertClose(config + " resumed a", F.tensor(config + ".after." + (STEPS - 1) + ".a"), a2.value(),
        TOLERANCE);
  }

  /** NAdam (a scalar state, mu_product) over two groups, through a checkpoint file mid-run and a schedule. */
  @Test
  void checkpointMidRunResumesIdentically(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws java.io.IOException {
    java.util.function.Function<DenseFixture, Optimizer> make = m -> NAdam.withGroups(ParamGroups.of(
        ParamGroup.of(List.of(m.parameters().get(0))).lr(0.02).weightDecay(0.1),
        ParamGroup.of(List.of(m.parameters().get(1))))).lr(0.01).build();
    LrSchedule schedule = LrSchedule.stepDecay(0.01, 2, 0.5);
    DenseFixture model = new DenseFixture("fc", 4, 3, 1);
    Optimizer opt = make.apply(model);
    DenseFixture model2 = new DenseFixture("fc", 4, 3, 2);
    Optimizer opt2 = make.apply(model2);
    java.nio.file.Path file = dir.resolve("ckpt.safetensors");
    for (int k = 0; k < 7; k++) {
      if (k == 3) {
        org.autoprop.io.Checkpoint.save(file, model, opt, 0, 1, Map.of());
        org.autoprop.io.Checkpoint.load(file, model2, opt2);
        assertTrue(opt2.state().get("fc.bias.mu_product").getFlat(0) < 1, "mu_product restored, not its initial 1");
        assertArrayEquals(opt.state().get("fc.weight.mu_product").toArray(),
            opt2.state().get("fc.weight.mu_product").toArray());
      }
      for (Optimizer o : List.of(opt, opt2)) {
        schedule.apply(o, o.stepCount());
        o.zeroGrad();
        for (Parameter p : o.parameters()) {
          p.grad().copyFrom(Tensor.uniform(p.value().shape(), -1f, 1f, 40 + k));
        }
        if (k >= 3 || o == opt) {
          o.step();
        }
      }
      if (k >= 3) {
        assertEquals(((AbstractOptimizer) opt).groupLearningRate(0), ((AbstractOptimizer) opt2).groupLearningRate(0));
        assertArrayEquals(model.parameters().get(0).value().toArray(), model2.parameters().get(0).value().toArray(),
            "step " + k);
        assertArrayEquals(model.parameters().get(1).value().toArray(), model2.parameters().get(1).value().toArray(),
            "step " + k);
      }
    }
  }

  @Test
  void radamRectifiesFromTheStepWhereRhoPassesFive() {
    // beta2 0.999: rho_t = 1.0, 1.998, ..., crosses 5 at step 6 (the vectors run 8 steps, so both branches)
    assertEquals(0.0, RAdam.rectification(0.999, 5));
    assertTrue(RAdam.rectification(0.999, 6) > 0);
    double rhoInf = 2 / (1 - 0.999) - 1;
    double rho6 = rhoInf - 2 * 6 * Math.pow(0.999, 6) / (1 - Math.pow(0.999, 6));
    assertEquals(Math.sqrt((rho6 - 4) * (rho6 - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rho6)),
        RAdam.rectification(0.999, 6), 1e-15);
  }

  private static void assertMessage(String expected, Executable call) {
    assertEquals(expected, assertThrows(IllegalArgumentException.class, call).getMessage());
  }

  @Test
  void badHyperparametersAreNamed() {
    List<Parameter> ps = List.of(new Parameter("w", Tensor.zeros(2)));
    assertMessage("Adagrad: learning rate -0.1 (expected: >= 0 and finite as a float (< 3.4e38))",
        () -> AdaGrad.builder(ps).lr(-0.1));
    assertMessage("Adagrad: lr decay -1.0 (expected: >= 0 and finite)", () -> AdaGrad.builder(ps).lrDecay(-1));
    assertMessage("Adagrad: initial accumulator value -0.5 (expected: >= 0 and finite as a float)",
        () -> AdaGrad.builder(ps).initialAccumulatorValue(-0.5));
    assertMessage("Adagrad: eps NaN (expected: >= 0 and finite as a float)", () -> AdaGrad.builder(ps).eps(Double.NaN));
    assertMessage("Adagrad: weight decay -1.0 (expected: >= 0 and finite as a float)",
        () -> AdaGrad.builder(ps).weightDecay(-1));
    assertMessage("Adadelta: rho 1.5 (expected: 0 <= rho <= 1)", () -> AdaDelta.builder(ps).rho(1.5));
    assertMessage("Adadelta: eps -1.0E-6 (expected: >= 0 and finite as a float)", () -> AdaDelta.builder(ps).eps(-1e-6));
    assertMessage("Adadelta: learning rate NaN (expected: >= 0 and finite as a float (< 3.4e38))",
        () -> new AdaDelta(ps, Double.NaN));
    assertMessage("Adamax: beta1 1.0 (expected: 0 <= beta1 < 1)", () -> AdaMax.builder(ps).betas(1, 0.999));
    assertMessage("NAdam: momentum decay -0.004 (expected: >= 0 and finite)",
        () -> NAdam.builder(ps).momentumDecay(-4e-3));
    assertMessage("NAdam: beta2 1.0 (expected: 0 <= beta2 < 1)", () -> NAdam.builder(ps).betas(0.9, 1));
    assertMessage("RAdam: eps -1.0 (expected: >= 0 and finite as a float)", () -> RAdam.builder(ps).eps(-1));
    assertMessage("RAdam: weight decay Infinity (expected: >= 0 and finite as a float)",
        () -> RAdam.builder(ps).weightDecay(Double.POSITIVE_INFINITY));
    assertMessage("Lion: beta2 -0.1 (expected: 0 <= beta2 < 1)", () -> Lion.builder(ps).betas(0.9, -0.1));
    assertMessage("Lion: weight decay -0.5 (expected: >= 0 and finite as a float)",
        () -> Lion.builder(ps).weightDecay(-0.5));
    assertMessage("LAMB: beta1 -0.1 (expected: 0 <= beta1 < 1)", () -> Lamb.builder(ps).betas(-0.1, 0.999));
    assertMessage("LAMB: duplicate parameter name 'w'",
        () -> Lamb.builder(List.of(ps.get(0), new Parameter("w", Tensor.zeros(1)))).build());
    assertMessage("ParamGroup: learning rate -1.0 (expected: >= 0 and finite as a float (< 3.4e38))",
        () -> ParamGroup.of(ps).lr(-1));
    assertMessage("ParamGroup: weight decay NaN (expected: >= 0 and finite as a float)",
        () -> ParamGroup.of(ps).weightDecay(Double.NaN));
    assertMessage("ParamGroups: no group (expected: at least one)", () -> ParamGroups.of(List.of()));
    assertMessage("AdamW: parameter group 0 sets learning rate 0.01 but the optimizer's learning rate is 0 "
        + "(expected: > 0, as group rates follow it in proportion)",
        () -> AdamW.withGroups(ParamGroups.of(ParamGroup.of(ps).lr(0.01))).lr(0).build());
    assertMessage("SGD: duplicate parameter name 'w'",
        () -> Sgd.withGroups(ParamGroups.of(ParamGroup.of(ps), ParamGroup.of(ps).lr(0.1))).build());
    assertEquals("groups", assertThrows(NullPointerException.class, () -> NAdam.withGroups(null))
        .getMessage());
  }

  @Test
  void groupRatesFollowTheOptimizersRateInProportion() {
    Parameter w = new Parameter("w", Tensor.zeros(2, 2));
    Parameter bias = new Parameter("bias", Tensor.zeros(2));
    Lamb lamb = Lamb.withGroups(ParamGroups.of(ParamGroup.of(List.of(w)).lr(0.3), ParamGroup.of(List.of(bias))))
        .lr(0.1).build();
    assertEquals(0.3, lamb.groupLearningRate(0));
    assertEquals(0.1, lamb.groupLearningRate(1));
    LrSchedule.stepDecay(0.1, 1, 0.5).apply(lamb, 2);
    assertEquals(0.025, lamb.learningRate(), 1e-17);
    assertEquals(0.075, lamb.groupLearningRate(0), 1e-16);
    assertEquals(0.025, lamb.groupLearningRate(1), 1e-17);
    assertEquals(List.of(w, bias), lamb.parameters());
    assertEquals(2, lamb.groups().size());
  }

  @Test
  void noDecaySplitPutsBiasesAndNormsInGroupOneWithoutDecay() {
    Sequential model = new Sequential(new Dense(4, 3), new LayerNorm(3), new Dense(3, 2));
    ParamGroups groups = ParamGroups.noDecayOnBiasAndNorm(model.parameters());
    assertEquals(2, groups.size());
    List<String> decayed = new ArrayList<>();
    groups.get(0).parameters().forEach(p -> decayed.add(p.name()));
    List<String> plain = new ArrayList<>();
    groups.get(1).parameters().forEach(p -> plain.add(p.name()));
    assertEquals(List.of("0.weight", "2.weight"), decayed);
    assertEquals(List.of("0.bias", "1.weight", "1.bias", "2.bias"), plain);
    assertTrue(!groups.get(0).hasWeightDecay() && groups.get(1).weightDecay() == 0);

    // decay applies to the weights only: with zero gradients AdamW shrinks them and leaves the rest
    AdamW opt = AdamW.withGroups(groups).lr(0.1).weightDecay(0.5).build();
    Map<String, float[]> before = new HashMap<>();
    model.parameters().forEach(p -> before.put(p.name(), p.value().toArray()));
    opt.zeroGrad();
    opt.step();
    for (Parameter p : model.parameters()) {
      float[] was = before.get(p.name());
      float[] now = p.value().toArray();
      for (int i = 0; i < was.length; i++) {
        float expected = decayed.contains(p.name()) ? was[i] * (float) (1 - 0.1 * 0.5) : was[i];
        assertEquals(expected, now[i], 1e-7f, p.name() + "[" + i + "]");
      }
    }
    List<Parameter> onlyBias = List.of(new Parameter("bias", Tensor.zeros(3)));
    assertEquals(1, ParamGroups.noDecayOnBiasAndNorm(onlyBias).size());
  }

  static Stream<Arguments> names() {
    return Stream.of(
        Arguments.of("SGD", "SGD"), Arguments.of("sgdoptimizer", "SGD"), Arguments.of("MomentumOptimizer", "SGD"),
        Arguments.of("Adam", "Adam"), Arguments.of("AdamOptimizer", "Adam"), Arguments.of("AdamW", "AdamW"),
        Arguments.of("AdamWOptimizer", "AdamW"), Arguments.of("RMSprop", "RMSprop"),
        Arguments.of("RMSPropOptimizer", "RMSprop"), Arguments.of("Adagrad", "Adagrad"),
        Arguments.of("AdaGradOptimizer", "Adagrad"), Arguments.of("Adadelta", "Adadelta"),
        Arguments.of("AdaDeltaOptimizer", "Adadelta"), Arguments.of("Adamax", "Adamax"),
        Arguments.of("AdaMaxOptimizer", "Adamax"), Arguments.of("NAdam", "NAdam"),
        Arguments.of("NAdamOptimizer", "NAdam"), Arguments.of("RAdam", "RAdam"), Arguments.of("lion", "Lion"),
        Arguments.of("LAMB", "LAMB"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("names")
  void byNameTakesPyTorchNamesAndLumasAliases(String name, String type) {
    List<Parameter> ps = List.of(new Parameter("w", Tensor.zeros(2)));
    Optimizer opt = Optimizers.byName(name, ps, 0.01);
    assertEquals(type, opt.typeName());
    assertEquals(0.01, opt.learningRate());
    assertTrue(Optimizers.names().stream().anyMatch(n -> n.equalsIgnoreCase(name)), name + " listed");
  }

  @Test
  void byNameMomentumAliasHasMomentumAndUnknownNamesAreListed() {
    Parameter p = new Parameter("w", Tensor.zeros(2));
    assertEquals(List.of("w.momentum_buffer"), List.copyOf(Optimizers.byName("MomentumOptimizer", List.of(p), 0.1)
        .state().keySet()));
    assertMessage("unknown optimizer 'Adamm' (expected one of: " + String.join(", ", Optimizers.names()) + ")",
        () -> Optimizers.byName("Adamm", List.of(p), 0.1));
  }

  @Test
  void stepAllocatesNothingInSteadyState() {
    com.sun.management.ThreadMXBean bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    Parameter p = new Parameter("w", Tensor.uniform(Shape.of(64, 33), -1f, 1f, 1));
    p.grad().copyFrom(Tensor.uniform(p.value().shape(), -1f, 1f, 2));
    List<Parameter> ps = List.of(p);
    for (Optimizer opt : List.<Optimizer>of(new AdaGrad(ps, 1e-3), new AdaDelta(ps, 1e-3), new AdaMax(ps, 1e-3),
        new NAdam(ps, 1e-3), new RAdam(ps, 1e-3), new Lion(ps, 1e-5), new Lamb(ps, 1e-3))) {
      for (int i = 0; i < 2000; i++) {
        opt.step();
      }
      long id = Thread.currentThread().getId();
      long before = bean.getThreadAllocatedBytes(id);
      for (int i = 0; i < 1000; i++) {
        opt.step();
      }
      long allocated = bean.getThreadAllocatedBytes(id) - before;
      assertTrue(allocated < 1024, () -> opt.typeName() + " allocated " + allocated + " bytes in 1000 steps");
    }
  }
}

package org.autoprop.train;

import static org.autoprop.testing.TestTensors.maxAbsDiff;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.autoprop.io.SafeTensors;
import org.autoprop.layer.Parameter;
import org.autoprop.tensor.Tensor;
import org.autoprop.testing.Conformance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class OptimizerTest {

  private static double num(Map<String, String> meta, String key, double fallback) {
    String v = meta.get(key);
    return v == null ? fallback : Double.parseDouble(v);
  }

  /** Builds the optimizer that make_vectors.py ran, from the file's metadata. */
  static Optimizer fromMetadata(Map<String, String> m, List<Parameter> ps) {
    double lr = num(m, "lr", Double.NaN);
    double wd = num(m, "weight_decay", 0);
    String[] betas = m.getOrDefault("betas", "0.9,0.999").split(",");
    double b1 = Double.parseDouble(betas[0]);
    double b2 = Double.parseDouble(betas[1]);
    switch (m.get("type")) {
      case "SGD":
        return new Sgd(ps, lr, num(m, "momentum", 0), num(m, "dampening", 0), wd,
            "True".equals(m.get("nesterov")));
      case "Adam":
        return new Adam(ps, lr, b1, b2, num(m, "eps", 1e-8), wd);
      case "AdamW":
        return new AdamW(ps, lr, b1, b2, num(m, "eps", 1e-8), num(m, "weight_decay", 0.01));
      case "RMSprop":
        return new RmsProp(ps, lr, num(m, "alpha", 0.99), num(m, "eps", 1e-8), wd, num(m, "momentum", 0),
            "True".equals(m.get("centered")));
      default:
        throw new IllegalArgumentException(m.get("type"));
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"sgd_plain", "sgd_momentum", "sgd_dampening", "sgd_nesterov", "adam", "adam_l2",
      "adamw", "rmsprop", "rmsprop_centered_momentum"})
  void matchesPyTorch(String config) {
    SafeTensors f = TrainVectors.load("optim_" + config);
    Map<String, String> meta = f.metadata();
    Parameter a = new Parameter("a", f.tensor("a"));
    Parameter b = new Parameter("b", f.tensor("b"));
    Optimizer opt = fromMetadata(meta, List.of(a, b));
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
    assertEquals(steps, opt.stepCount());
    int stateTensors = 0;
    for (String name : f.names()) {
      if (name.startsWith("state.")) {
        String key = name.substring("state.".length());
        assertTrue(opt.state().containsKey(key), () -> "missing state " + key + " in " + opt.state().keySet());
        Conformance.assertClose(config + " " + name, f.tensor(name), opt.state().get(key), 2e-6);
        stateTensors++;
      }
    }
    assertEquals(stateTensors, opt.state().size(), "state tensors");
  }

  @Test
  void stepAllocatesNothingInSteadyState() {
    com.sun.management.ThreadMXBean bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    Parameter p = new Parameter("w", Tensor.uniform(org.autoprop.tensor.Shape.of(64, 33), -1f, 1f, 1));
    p.grad().copyFrom(Tensor.uniform(p.value().shape(), -1f, 1f, 2));
    for (Optimizer opt : List.<Optimizer>of(new Sgd(List.of(p), 1e-3, 0.9, 0, 1e-4, true),
        new Adam(List.of(p), 1e-3), new AdamW(List.of(p), 1e-3), new RmsProp(List.of(p), 1e-3, 0.9, 1e-8, 0, 0.9, true))) {
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

  @Test
  void stateRoundTripsAndLoadReportsEveryProblem() {
    Parameter w = new Parameter("fc.weight", Tensor.uniform(org.autoprop.tensor.Shape.of(2, 3), -1f, 1f, 1));
    Parameter bias = new Parameter("fc.bias", Tensor.zeros(2));
    Adam adam = new Adam(List.of(w, bias), 0.1);
    w.grad().fill(0.5f);
    bias.grad().fill(-1f);
    adam.step();
    adam.step();
    assertEquals(List.of("fc.weight.exp_avg", "fc.weight.exp_avg_sq", "fc.bias.exp_avg", "fc.bias.exp_avg_sq"),
        List.copyOf(adam.state().keySet()));

    Adam other = new Adam(List.of(new Parameter("fc.weight", w.value().copy()), new Parameter("fc.bias", Tensor.zeros(2))), 0.1);
    Map<String, Tensor> saved = new HashMap<>();
    adam.state().forEach((k, v) -> saved.put(k, v.copy()));
    other.loadState(saved, adam.stepCount());
    assertEquals(2, other.stepCount());
    assertEquals(0.0, maxAbsDiff(other.state().get("fc.bias.exp_avg"), adam.state().get("fc.bias.exp_avg")));

    Map<String, Tensor> bad = new HashMap<>(saved);
    bad.remove("fc.bias.exp_avg");
    bad.put("fc.weight.exp_avg_sq", Tensor.zeros(3, 2));
    bad.put("fc.extra.exp_avg", Tensor.zeros(1));
    Tensor before = other.state().get("fc.weight.exp_avg").copy();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> other.loadState(bad, 7));
    assertEquals("Adam: cannot load optimizer state: missing state [fc.bias.exp_avg]; unexpected state "
        + "[fc.extra.exp_avg]; shape mismatches [fc.weight.exp_avg_sq [3, 2] (expected: [2, 3])]", e.getMessage());
    assertEquals(2, other.stepCount(), "unchanged after a failed load");
    assertEquals(0.0, maxAbsDiff(other.state().get("fc.weight.exp_avg"), before));
  }

  @Test
  void badSettingsAreNamed() {
    Parameter p = new Parameter("w", Tensor.zeros(2));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Sgd(List.of(p), -1));
    assertEquals("SGD: learning rate -1.0 (expected: >= 0 and finite as a float (< 3.4e38))", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new Sgd(List.of(p), 0.1, 0, 0, 0, true));
    assertEquals("SGD: Nesterov momentum needs momentum > 0 and dampening 0 (got momentum 0.0, dampening 0.0)",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new Adam(List.of(p), 0.1, 1.0, 0.999, 1e-8, 0));
    assertEquals("Adam: beta1 1.0 (expected: 0 <= beta1 < 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new RmsProp(List.of(p), 0.1, 0.99, 1e-8, 0, 1.5, false));
    assertEquals("RMSprop: momentum 1.5 (expected: 0 <= momentum < 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new AdamW(List.of(p, new Parameter("w", Tensor.zeros(1))), 0.1));
    assertEquals("AdamW: duplicate parameter name 'w'", e.getMessage());
  }

  @Test
  void zeroGradAndLearningRate() {
    Parameter p = new Parameter("w", Tensor.wrap(new float[] {1, 2}, 2));
    Sgd sgd = new Sgd(List.of(p), 0.5);
    p.grad().fill(2f);
    sgd.step();
    assertEquals(0f, p.value().getFlat(0));
    assertEquals(1f, p.value().getFlat(1));
    sgd.zeroGrad();
    assertEquals(0f, p.grad().maxAbs());
    sgd.setLearningRate(0.25);
    assertEquals(0.25, sgd.learningRate());
    assertTrue(sgd.state().isEmpty(), "plain SGD has no state");
  }

  @Test
  void clipByGlobalNorm() {
    Parameter a = new Parameter("a", Tensor.zeros(1));
    Parameter b = new Parameter("b", Tensor.zeros(1));
    a.grad().fill(3f);
    b.grad().fill(4f);
    assertEquals(5.0, GradClip.byGlobalNorm(List.of(a, b), 1.0), 1e-12);
    assertEquals(3.0 / (5 + 1e-6), a.grad().getFlat(0), 1e-7);
    assertEquals(4.0 / (5 + 1e-6), b.grad().getFlat(0), 1e-7);
    // below the limit: unchanged
    assertEquals(1.0, GradClip.byGlobalNorm(List.of(a, b), 10.0), 1e-6);
    assertEquals(3.0 / (5 + 1e-6), a.grad().getFlat(0), 1e-7);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GradClip.byGlobalNorm(List.of(a), 0));
    assertEquals("clip by norm: max norm 0.0 (expected: > 0)", e.getMessage());
  }

  @Test
  void clipByValue() {
    Parameter a = new Parameter("a", Tensor.zeros(4));
    a.grad().copyFrom(Tensor.wrap(new float[] {-3f, -0.5f, 0.25f, 9f}, 4));
    GradClip.byValue(List.of(a), 1.0);
    assertEquals("[-1.0, -0.5, 0.25, 1.0]", java.util.Arrays.toString(a.grad().toArray()));
  }

  @Test
  void schedules() {
    LrSchedule step = LrSchedule.stepDecay(0.1, 3, 0.5);
    assertEquals(0.1, step.lr(0), 1e-15);
    assertEquals(0.1, step.lr(2), 1e-15);
    assertEquals(0.05, step.lr(3), 1e-15);
    assertEquals(0.025, step.lr(7), 1e-15);

    LrSchedule cos = LrSchedule.cosine(1.0, 4, 0.2);
    assertEquals(1.0, cos.lr(0), 1e-15);
    assertEquals(0.2 + 0.8 * (1 + Math.cos(Math.PI / 4)) / 2, cos.lr(1), 1e-15);
    assertEquals(0.6, cos.lr(2), 1e-15);
    assertEquals(0.2, cos.lr(4), 1e-15);
    assertEquals(0.2, cos.lr(9), 1e-15);

    LrSchedule warm = cos.withWarmup(4, 0.25);
    assertEquals(0.25, warm.lr(0), 1e-15);
    assertEquals(0.4375, warm.lr(1), 1e-15);
    assertEquals(0.8125, warm.lr(3), 1e-15);
    assertEquals(1.0, warm.lr(4), 1e-15);
    assertEquals(0.6, warm.lr(6), 1e-15);

    Sgd sgd = new Sgd(List.of(new Parameter("w", Tensor.zeros(1))), 1);
    warm.apply(sgd, 1);
    assertEquals(0.4375, sgd.learningRate(), 1e-15);
    assertEquals(0.3, LrSchedule.constant(0.3).lr(1000));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LrSchedule.cosine(1, 0, 0));
    assertEquals("cosine: total 0 (expected: > 0)", e.getMessage());
  }
}

package org.autoprop.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.autoprop.graph.LayerGraph;
import org.autoprop.layer.Parameter;
import org.autoprop.models.ReferenceNets;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.train.AdamW;
import org.autoprop.train.CrossEntropyLoss;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Workload VIT-FMNIST (WORKLOADS.md, "VIT-FMNIST, the reference transformer"):
 * {@code VIT_FMNIST_step} is a training step of {@link ReferenceNets#vitFashion} at batch 128 on
 * [128, 1, 28, 28] (input N(0, 1), fixed random labels): zero the gradients, training forward,
 * softmax cross-entropy, backward without the input gradient ({@code backward(g, false)}, as
 * PyTorch's runner, whose batch does not require a gradient), AdamW step (lr 1e-3, betas 0.9 /
 * 0.999, eps 1e-8, weight decay 0.05).
 *
 * <p>Rate ({@code report.py}): images/s = 128 / t.
 *
 * <p>Check (trial set-up, on a second graph built with the same seed, so the measured one starts
 * untouched): logits, loss and every parameter gradient of one batch against {@link VitRef}, a
 * double-precision forward and backward written with plain loops (it runs no AutoProp layer, so
 * unlike {@link GraphBenchmark}'s scalar-kernel convolutions it cannot show the JIT a second
 * kernel provider, and may run before the measurement); then the parameters after the first
 * AdamW step against {@code w (1 - lr wd) - lr g / (|g| + eps)} in double. Tolerances relative to
 * the largest value, as {@link GraphBenchmark}: logits 1e-3, loss 1e-4, gradients 5e-3 (of the
 * tensor's largest gradient, at least 1% of the model's largest), parameters 1e-6. {@link #main}
 * runs the check alone.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 3, jvmArgsAppend = "--add-modules=jdk.incubator.vector")
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
public class VitBenchmark {
  static final String ID = "VIT-FMNIST";
  static final long SEED = 7;
  static final double LR = 1e-3;
  static final double BETA1 = 0.9;
  static final double BETA2 = 0.999;
  static final double EPS = 1e-8;
  static final double WD = 0.05;
  private static final double LOGIT_RTOL = 1e-3;
  private static final double LOSS_RTOL = 1e-4;
  private static final double GRAD_RTOL = 5e-3;
  private static final double STEP_RTOL = 1e-6;

  /** The model, its batch, loss and optimizer. */
  @State(Scope.Benchmark)
  public static class Workload {
    /** Engine threads of this fork: "1" or "all". */
    @Param({Engine.ONE, Engine.ALL})
    public String threads;

    LayerGraph graph;
    List<Parameter> params;
    Tensor x;
    int[] labels;
    CrossEntropyLoss loss;
    AdamW opt;

    /** Checks a twin of the model against the reference, then builds the model, data and optimizer. */
    @Setup(Level.Trial)
    public void setUp() {
      Engine.configureThreads(threads);
      x = input();
      labels = labels();
      String result = check(ReferenceNets.vitFashion(SEED), x, labels, null);
      graph = ReferenceNets.vitFashion(SEED);
      params = graph.parameters();
      loss = new CrossEntropyLoss();
      opt = adamW(params);
      System.out.println("# " + ID + " checked against a double-precision reference (" + result + "); "
          + Engine.describe());
    }

    void step() {
      opt.zeroGrad();
      loss.forward(graph.forward(x, true), labels);
      graph.backward(loss.backward(), false);
      opt.step();
    }
  }

  static Tensor input() {
    return Tensor.normal(Shape.of(128, 1, 28, 28), 1f, 11);
  }

  static int[] labels() {
    SplittableRandom r = new SplittableRandom(19);
    int[] labels = new int[128];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = r.nextInt(10);
    }
    return labels;
  }

  static AdamW adamW(List<Parameter> params) {
    return AdamW.builder(params).lr(LR).betas(BETA1, BETA2).eps(EPS).weightDecay(WD).build();
  }

  /**
   * One step of {@code graph} on the batch against {@link VitRef}: logits, loss, every parameter
   * gradient, then the parameters after the first AdamW step. Throws {@link IllegalStateException}
   * naming the first mismatch. {@code perturb}, when not null, names a parameter whose gradient gets
   * twice the tolerance added to its first element before the comparison (to show that the check
   * catches it).
   *
   * @return the largest errors seen, relative to each comparison's scale, for the log
   */
  static String check(LayerGraph graph, Tensor x, int[] labels, String perturb) {
    List<Parameter> params = graph.parameters();
    CrossEntropyLoss ce = new CrossEntropyLoss();
    Check.zeroGrads(params);
    Tensor logits = graph.forward(x, true).copy();
    double l = ce.forward(logits, labels);
    graph.backward(ce.backward(), false);

    VitRef ref = new VitRef(graph);
    ref.run(x, labels);
    double logitErr = worst(ref.logits, logits, 0);
    Check.close(ID + " logits", ref.logits, logits, LOGIT_RTOL, 0);
    double lossErr = Math.abs(l - ref.loss) / Math.max(1, Math.abs(ref.loss));
    if (!(lossErr <= LOSS_RTOL)) {
      throw new IllegalStateException(ID + " loss " + l + " (expected: " + ref.loss + ")");
    }

    if (ref.grads.size() != params.size()) {
      throw new IllegalStateException(ID + ": the reference covers " + ref.grads.size() + " parameters, the graph has "
          + params.size());
    }
    double global = 0;
    for (double[] g : ref.grads.values()) {
      for (double v : g) {
        global = Math.max(global, Math.abs(v));
      }
    }
    if (perturb != null) {
      Tensor g = Check.param(graph, perturb).grad();
      double scale = Math.max(1e-2 * global, maxAbs(ref.grads.get(perturb)));
      float[] d = g.data();
      d[g.offset()] += (float) (2 * GRAD_RTOL * scale);
      System.out.printf(Locale.ROOT, "# perturbed %s[0] by %.3g (twice its tolerance)%n", perturb,
          2 * GRAD_RTOL * scale);
    }
    double gradErr = 0;
    for (Parameter p : params) {
      double[] expected = ref.grads.get(p.name());
      if (expected == null) {
        throw new IllegalStateException(ID + ": no reference gradient for " + p.name());
      }
      gradErr = Math.max(gradErr, worst(expected, p.grad(), 1e-2 * global));
      Check.close(ID + " gradient of " + p.name(), expected, p.grad(), GRAD_RTOL, 1e-2 * global);
    }

    // The first AdamW step: m = (1 - b1) g, v = (1 - b2) g^2, bias-corrected to g and g^2.
    List<double[]> after = new ArrayList<>();
    for (Parameter p : params) {
      double[] w = Check.toDouble(p.value());
      double[] g = Check.toDouble(p.grad());
      for (int i = 0; i < w.length; i++) {
        w[i] = w[i] * (1 - LR * WD) - LR * g[i] / (Math.abs(g[i]) + EPS);
      }
      after.add(w);
    }
    adamW(params).step();
    double stepErr = 0;
    for (int i = 0; i < params.size(); i++) {
      stepErr = Math.max(stepErr, worst(after.get(i), params.get(i).value(), 1e-6));
      Check.close(ID + " " + params.get(i).name() + " after the first AdamW step", after.get(i),
          params.get(i).value(), STEP_RTOL, 1e-6);
    }
    Check.zeroGrads(params);
    return String.format(Locale.ROOT, "worst relative errors: logits %.1e, loss %.1e, gradients %.1e, AdamW step %.1e",
        logitErr, lossErr, gradErr, stepErr);
  }

  /** {@code max |actual - expected| / max(floor, max |expected|)}. */
  private static double worst(double[] expected, Tensor actual, double floor) {
    double scale = Math.max(floor, maxAbs(expected));
    double w = 0;
    for (int i = 0; i < expected.length; i++) {
      w = Math.max(w, Math.abs(actual.getFlat(i) - expected[i]));
    }
    return w / scale;
  }

  private static double maxAbs(double[] a) {
    double m = 0;
    for (double v : a) {
      m = Math.max(m, Math.abs(v));
    }
    return m;
  }

  /**
   * Runs the check once, untimed:
   * {@code java --add-modules jdk.incubator.vector -cp jmh/target/benchmarks.jar
   * org.autoprop.bench.VitBenchmark [PARAMETER]}; with a parameter name (e.g.
   * {@code layers.2.linear1.bias}), perturbs its gradient first and expects the check to fail.
   *
   * @param args nothing, or the name of the parameter whose gradient to perturb
   */
  public static void main(String[] args) {
    String perturb = args.length > 0 ? args[0] : null;
    long t0 = System.nanoTime();
    String result = check(ReferenceNets.vitFashion(SEED), input(), labels(), perturb);
    System.out.printf(Locale.ROOT, "# %s check passed in %.1f s (%s); %s%n", ID, (System.nanoTime() - t0) * 1e-9,
        result, Engine.describe());
  }

  /** VIT-FMNIST training step at batch 128: fwd + cross-entropy + bwd (no input gradient) + AdamW. */
  @Benchmark
  public void VIT_FMNIST_step(Workload s) {
    s.step();
  }
}

package org.autoprop.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.autoprop.graph.LayerGraph;
import org.autoprop.layer.Parameter;
import org.autoprop.models.ReferenceNets;
import org.autoprop.models.SeedGraphs;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.train.CrossEntropyLoss;
import org.autoprop.train.Sgd;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The graph workloads: BLOCK-64 step (ResNet basic block, fwd + bwd for {@code sum(y * g)} + SGD
 * with momentum 0.9, lr 0.01, as PyTorch's runner), SEED-LINEAR / SEED-SHORTCUT / SEED-CHCAT
 * fwd+bwd on [32, 3, 32, 32] ({@link SeedGraphs}), and FMNIST-NET step at batch 128
 * ({@link ReferenceNets#fashionNet}, softmax cross-entropy, SGD momentum 0.9, lr 0.05, weight decay
 * 5e-4; like PyTorch's runner, no gradient for the input batch). Parameter gradients are zeroed
 * before each call.
 *
 * <p>Rates ({@code report.py}): BLOCK-64 and SEED-* as conv GFLOP/s (3x the forward FLOP of their
 * convolutions), FMNIST-NET as images/s (128 / t).
 *
 * <p>Check (trial tear-down, after the measurement, on a fresh graph with the same seeds): each
 * graph is recomputed by hand from its parameters: convolutions on the scalar kernels
 * ({@link Ref.Conv}, the benchmarked weights copied in), BatchNorm, ReLU, max
 * pool, global average pool, dense and cross-entropy by the double-precision loops of {@link Ref}.
 * Compared: the output (FMNIST-NET: logits and loss), the input gradient (not for FMNIST-NET,
 * whose max pools may route a near-tie differently) and every parameter gradient; for the
 * step workloads, also the parameters after the first SGD step ({@code w - lr (g + wd w)}).
 * Activations near a ReLU kink may differ in a few elements ({@link Check#closeMostly}).
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 3, jvmArgsAppend = "--add-modules=jdk.incubator.vector")
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
public class GraphBenchmark {
  private static final double GRAD_RTOL = 5e-3;

  /** A graph, its input and upstream gradient; subclasses build the graph and its reference. */
  @State(Scope.Benchmark)
  public abstract static class Workload {
    /** Engine threads of this fork: "1" or "all". */
    @Param({Engine.ONE, Engine.ALL})
    public String threads;

    final String id;
    LayerGraph graph;
    List<Parameter> params;
    Tensor x;
    Tensor g;

    Workload(String id) {
      this.id = id;
    }

    /** Builds the graph, data and optimizer (fixed seeds). */
    @Setup(Level.Trial)
    public void setUp() {
      Engine.configureThreads(threads);
      graph = build();
      params = graph.parameters();
      x = input();
      g = Check.uniform(13, graph.outputShape(x.shape()).dims());
      prepare();
    }

    /** Creates what the benchmark method needs besides the graph (an optimizer); nothing by default. */
    void prepare() {}

    /**
     * Checks a fresh copy of the graph (same seeds, so the same initial weights) against its
     * hand-written reference, after the measurement: the reference runs convolutions on the scalar
     * kernels, and done before, it would let the JIT see two kernel providers at Conv2D's call sites
     * during the measurement, which a production JVM (one kernel provider) never does.
     */
    @TearDown(Level.Trial)
    public void verify() {
      graph = build();
      params = graph.parameters();
      x = input();
      g = Check.uniform(13, graph.outputShape(x.shape()).dims());
      check();
      Check.zeroGrads(params);
      System.out.println("# " + id + " checked against a hand-written reference; " + Engine.describe());
    }

    abstract LayerGraph build();

    Tensor input() {
      return Check.uniform(11, 32, 3, 32, 32);
    }

    /** One fwd+bwd of the graph against the reference: output, input gradient, parameter gradients. */
    void check() {
      Tensor y = graph.forward(x, true).copy();
      Check.zeroGrads(params);
      Tensor gx = graph.backward(g).copy();
      List<Tensor> expected = new ArrayList<>();
      List<String> names = new ArrayList<>();
      Tensor[] ref = reference(names, expected);
      Check.closeMostly(id + " output", ref[0], y, 1e-4, 1e-4);
      Check.closeMostly(id + " input gradient", ref[1], gx, 1e-3, 1e-4);
      compareGrads(id, graph, names, expected);
    }

    /**
     * Computes the reference output [0] and input gradient [1] for {@link #g}, appending the
     * expected gradient of each named parameter to {@code names} / {@code grads}.
     */
    abstract Tensor[] reference(List<String> names, List<Tensor> grads);

    Tensor fwdbwd() {
      Check.zeroGrads(params);
      graph.forward(x, true);
      return graph.backward(g);
    }
  }

  /** Every listed parameter gradient, judged against the largest gradient of the model. */
  static void compareGrads(String id, LayerGraph graph, List<String> names, List<Tensor> grads) {
    if (names.size() != graph.parameters().size()) {
      throw new IllegalStateException(id + ": the reference covers " + names.size() + " parameters, the graph has "
          + graph.parameters().size());
    }
    double global = 0;
    for (Tensor t : grads) {
      global = Math.max(global, t.maxAbs());
    }
    for (int i = 0; i < names.size(); i++) {
      Check.close(id + " gradient of " + names.get(i), grads.get(i), Check.param(graph, names.get(i)).grad(),
          GRAD_RTOL, 1e-2 * global);
    }
  }

  /** Takes one optimizer step and checks every parameter moved to {@code w - lr (g + wd w)} (first step). */
  static void checkFirstStep(String id, List<Parameter> params, Sgd opt, double lr, double wd) {
    List<double[]> expected = new ArrayList<>();
    for (Parameter p : params) {
      double[] w = Check.toDouble(p.value());
      double[] gr = Check.toDouble(p.grad());
      for (int i = 0; i < w.length; i++) {
        w[i] -= lr * (gr[i] + wd * w[i]);
      }
      expected.add(w);
    }
    opt.step();
    for (int i = 0; i < params.size(); i++) {
      Check.close(id + " " + params.get(i).name() + " after the first SGD step", expected.get(i),
          params.get(i).value(), 1e-6, 1e-6);
    }
  }

  private static Ref.Conv conv(LayerGraph gr, String node, int pad) {
    return new Ref.Conv(Check.param(gr, node + ".weight"), Check.param(gr, node + ".bias"), 1, pad);
  }

  private static Ref.Bn bn(LayerGraph gr, String node) {
    return new Ref.Bn(Check.param(gr, node + ".weight"), Check.param(gr, node + ".bias"));
  }

  private static void addConv(List<String> names, List<Tensor> grads, String node, Ref.Conv c) {
    names.add(node + ".weight");
    grads.add(c.layer.weight().grad());
    names.add(node + ".bias");
    grads.add(c.layer.bias().grad());
  }

  private static void addBn(List<String> names, List<Tensor> grads, String node, Ref.Bn b) {
    names.add(node + ".weight");
    grads.add(Tensor.wrap(toFloat(b.gGamma), b.gGamma.length));
    names.add(node + ".bias");
    grads.add(Tensor.wrap(toFloat(b.gBeta), b.gBeta.length));
  }

  private static float[] toFloat(double[] d) {
    float[] f = new float[d.length];
    for (int i = 0; i < d.length; i++) {
      f[i] = (float) d[i];
    }
    return f;
  }

  // ---------------------------------------------------------------- SEED-*

  /** SEED-LINEAR: conv(3->6) -> bn -> relu. */
  public static class SeedLinear extends Workload {
    /** For JMH. */
    public SeedLinear() {
      super("SEED-LINEAR");
    }

    @Override
    LayerGraph build() {
      return SeedGraphs.linear(7);
    }

    @Override
    Tensor[] reference(List<String> names, List<Tensor> grads) {
      Ref.Conv c = conv(graph, "conv", 1);
      Ref.Bn b = bn(graph, "bn");
      Tensor y = Ref.relu(b.forward(c.forward(x)));
      Tensor gx = c.backward(b.backward(Ref.reluBackward(y, g)));
      addConv(names, grads, "conv", c);
      addBn(names, grads, "bn", b);
      return new Tensor[] {y, gx};
    }
  }

  /** SEED-SHORTCUT: conv(3->6) -> relu, term = relu + conv. */
  public static class SeedShortcut extends Workload {
    /** For JMH. */
    public SeedShortcut() {
      super("SEED-SHORTCUT");
    }

    @Override
    LayerGraph build() {
      return SeedGraphs.shortcut(7);
    }

    @Override
    Tensor[] reference(List<String> names, List<Tensor> grads) {
      Ref.Conv c = conv(graph, "conv", 1);
      Tensor a = c.forward(x);
      Tensor r = Ref.relu(a);
      Tensor y = Ref.add(r, a);
      Tensor gx = c.backward(Ref.add(Ref.reluBackward(r, g), g));
      addConv(names, grads, "conv", c);
      return new Tensor[] {y, gx};
    }
  }

  /** SEED-CHCAT: identity root, three branches conv(3->6/12/18)+relu, channel concatenation. */
  public static class SeedChcat extends Workload {
    /** For JMH. */
    public SeedChcat() {
      super("SEED-CHCAT");
    }

    @Override
    LayerGraph build() {
      return SeedGraphs.chcat(7);
    }

    @Override
    Tensor[] reference(List<String> names, List<Tensor> grads) {
      int n = x.dim(0), hw = x.dim(2) * x.dim(3);
      float[] y = new float[n * 36 * hw];
      Tensor gx = null;
      int from = 0;
      for (int k = 1; k <= 3; k++) {
        int c = 6 * k;
        Ref.Conv conv = conv(graph, "branch_" + k + ".0", 1);
        Tensor yk = Ref.relu(conv.forward(x));
        for (int b = 0; b < n; b++) {
          System.arraycopy(yk.data(), b * c * hw, y, (b * 36 + from) * hw, c * hw);
        }
        Tensor gk = conv.backward(Ref.reluBackward(yk, g.slice(1, from, from + c).contiguous()));
        gx = gx == null ? gk : Ref.add(gx, gk);
        addConv(names, grads, "branch_" + k + ".0", conv);
        from += c;
      }
      return new Tensor[] {Tensor.wrap(y, n, 36, x.dim(2), x.dim(3)), gx};
    }
  }

  // ---------------------------------------------------------------- BLOCK-64

  /** BLOCK-64: the basic block at 64 channels, N=32, 32x32, with its SGD optimizer. */
  public static class Block64 extends Workload {
    static final double LR = 0.01;
    Sgd opt;

    /** For JMH. */
    public Block64() {
      super("BLOCK-64");
    }

    @Override
    LayerGraph build() {
      return ReferenceNets.basicBlock(64, 7);
    }

    @Override
    Tensor input() {
      return Check.uniform(11, 32, 64, 32, 32);
    }

    @Override
    void prepare() {
      opt = new Sgd(params, LR, 0.9);
    }

    @Override
    void check() {
      super.check();
      opt = new Sgd(params, LR, 0.9);
      checkFirstStep(id, params, opt, LR, 0);
    }

    @Override
    Tensor[] reference(List<String> names, List<Tensor> grads) {
      Ref.Conv c1 = conv(graph, "conv1", 1);
      Ref.Bn b1 = bn(graph, "bn1");
      Ref.Conv c2 = conv(graph, "conv2", 1);
      Ref.Bn b2 = bn(graph, "bn2");
      Tensor r1 = Ref.relu(b1.forward(c1.forward(x)));
      Tensor y = Ref.relu(Ref.add(b2.forward(c2.forward(r1)), x));
      Tensor gs = Ref.reluBackward(y, g);
      Tensor gr1 = c2.backward(b2.backward(gs));
      Tensor gx = Ref.add(c1.backward(b1.backward(Ref.reluBackward(r1, gr1))), gs);
      addConv(names, grads, "conv1", c1);
      addBn(names, grads, "bn1", b1);
      addConv(names, grads, "conv2", c2);
      addBn(names, grads, "bn2", b2);
      return new Tensor[] {y, gx};
    }

    void step() {
      opt.zeroGrad();
      graph.forward(x, true);
      graph.backward(g);
      opt.step();
    }
  }

  // ---------------------------------------------------------------- FMNIST-NET

  /** FMNIST-NET at batch 128: input N(0, 1), random labels, cross-entropy, the recipe's SGD. */
  public static class FmnistNet extends Workload {
    static final double LR = 0.05, WD = 5e-4;
    final CrossEntropyLoss loss = new CrossEntropyLoss();
    int[] labels;
    Sgd opt;

    /** For JMH. */
    public FmnistNet() {
      super("FMNIST-NET");
    }

    @Override
    LayerGraph build() {
      return ReferenceNets.fashionNet(7);
    }

    @Override
    Tensor input() {
      SplittableRandom r = new SplittableRandom(19);
      labels = new int[128];
      for (int i = 0; i < labels.length; i++) {
        labels[i] = r.nextInt(10);
      }
      return Tensor.normal(Shape.of(128, 1, 28, 28), 1f, 11);
    }

    @Override
    void prepare() {
      opt = new Sgd(params, LR, 0.9, 0, WD, false);
    }

    @Override
    void check() {
      Check.zeroGrads(params);
      Tensor logits = graph.forward(x, true).copy();
      double l = loss.forward(logits, labels);
      graph.backward(loss.backward());
      List<String> names = new ArrayList<>();
      List<Tensor> grads = new ArrayList<>();
      float[] gl = new float[128 * 10];
      Tensor refLogits = referenceLogits(names, grads, gl);
      Check.close(id + " logits", refLogits, logits, 1e-3, 0);
      double refLoss = Ref.crossEntropy(refLogits, labels, new float[gl.length]);
      if (!(Math.abs(l - refLoss) <= 1e-4 * Math.max(1, Math.abs(refLoss)))) {
        throw new IllegalStateException(id + " loss " + l + " (expected: " + refLoss + ")");
      }
      compareGrads(id, graph, names, grads);
      opt = new Sgd(params, LR, 0.9, 0, WD, false);
      checkFirstStep(id, params, opt, LR, WD);
    }

    @Override
    Tensor[] reference(List<String> names, List<Tensor> grads) {
      throw new UnsupportedOperationException("FMNIST-NET checks through referenceLogits");
    }

    /** The reference forward and backward of the whole network; returns the logits. */
    private Tensor referenceLogits(List<String> names, List<Tensor> grads, float[] gl) {
      Ref.Conv stemC = conv(graph, "stem.0", 1);
      Ref.Bn stemB = bn(graph, "stem.1");
      Ref.Conv aC = conv(graph, "block1_a.0", 1);
      Ref.Bn aB = bn(graph, "block1_a.1");
      Ref.Conv bC = conv(graph, "block1_b.0", 1);
      Ref.Bn bB = bn(graph, "block1_b.1");
      Ref.Conv cC = conv(graph, "block2_a.0", 1);
      Ref.Bn cB = bn(graph, "block2_a.1");
      Ref.Conv dC = conv(graph, "block2_b.0", 1);
      Ref.Bn dB = bn(graph, "block2_b.1");
      Ref.Conv eC = conv(graph, "block2_shortcut.0", 0);
      Ref.Bn eB = bn(graph, "block2_shortcut.1");
      Tensor w = Check.param(graph, "head.2.weight").value();
      Tensor bias = Check.param(graph, "head.2.bias").value();

      Tensor s = Ref.relu(stemB.forward(stemC.forward(x)));
      Tensor a = Ref.relu(aB.forward(aC.forward(s)));
      Tensor o1 = Ref.relu(Ref.add(s, bB.forward(bC.forward(a))));
      int[] arg1 = new int[o1.size() / 4];
      Tensor p1 = Ref.maxPool2(o1, arg1);
      Tensor c = Ref.relu(cB.forward(cC.forward(p1)));
      Tensor o2 = Ref.relu(Ref.add(dB.forward(dC.forward(c)), eB.forward(eC.forward(p1))));
      int[] arg2 = new int[o2.size() / 4];
      Tensor p2 = Ref.maxPool2(o2, arg2);
      Tensor gp = Ref.gap(p2);
      Tensor logits = Ref.dense(gp, w, bias);

      Ref.crossEntropy(logits, labels, gl);
      int n = 128, in = 64, out = 10;
      float[] gw = new float[out * in];
      float[] gb = new float[out];
      float[] ggp = new float[n * in];
      for (int r = 0; r < n; r++) {
        for (int o = 0; o < out; o++) {
          float go = gl[r * out + o];
          gb[o] += go;
          for (int i = 0; i < in; i++) {
            gw[o * in + i] += go * gp.getFlat(r * in + i);
            ggp[r * in + i] += go * w.getFlat(o * in + i);
          }
        }
      }
      Tensor gs2 = Ref.reluBackward(o2, Ref.maxPool2Backward(Ref.gapBackward(Tensor.wrap(ggp, n, in), p2), arg2, o2));
      Tensor gpA = cC.backward(cB.backward(Ref.reluBackward(c, dC.backward(dB.backward(gs2)))));
      Tensor gpB = eC.backward(eB.backward(gs2));
      Tensor gs1 = Ref.reluBackward(o1, Ref.maxPool2Backward(Ref.add(gpA, gpB), arg1, o1));
      Tensor gsA = aC.backward(aB.backward(Ref.reluBackward(a, bC.backward(bB.backward(gs1)))));
      stemC.backward(stemB.backward(Ref.reluBackward(s, Ref.add(gs1, gsA))));

      addConv(names, grads, "stem.0", stemC);
      addBn(names, grads, "stem.1", stemB);
      addConv(names, grads, "block1_a.0", aC);
      addBn(names, grads, "block1_a.1", aB);
      addConv(names, grads, "block1_b.0", bC);
      addBn(names, grads, "block1_b.1", bB);
      addConv(names, grads, "block2_a.0", cC);
      addBn(names, grads, "block2_a.1", cB);
      addConv(names, grads, "block2_b.0", dC);
      addBn(names, grads, "block2_b.1", dB);
      addConv(names, grads, "block2_shortcut.0", eC);
      addBn(names, grads, "block2_shortcut.1", eB);
      names.add("head.2.weight");
      grads.add(Tensor.wrap(gw, out, in));
      names.add("head.2.bias");
      grads.add(Tensor.wrap(gb, out));
      return logits;
    }

    /** As PyTorch's runner, whose input batch does not require a gradient: none is computed for it. */
    void step() {
      opt.zeroGrad();
      loss.forward(graph.forward(x, true), labels);
      graph.backward(loss.backward(), false);
      opt.step();
    }
  }

  /** SEED-LINEAR forward + backward. */
  @Benchmark
  public Tensor SEED_LINEAR_fwdbwd(SeedLinear s) {
    return s.fwdbwd();
  }

  /** SEED-SHORTCUT forward + backward. */
  @Benchmark
  public Tensor SEED_SHORTCUT_fwdbwd(SeedShortcut s) {
    return s.fwdbwd();
  }

  /** SEED-CHCAT forward + backward. */
  @Benchmark
  public Tensor SEED_CHCAT_fwdbwd(SeedChcat s) {
    return s.fwdbwd();
  }

  /** BLOCK-64 training step: fwd + bwd + SGD momentum update. */
  @Benchmark
  public void BLOCK_64_step(Block64 s) {
    s.step();
  }

  /** FMNIST-NET training step at batch 128: fwd + cross-entropy + bwd + SGD update. */
  @Benchmark
  public void FMNIST_NET_step(FmnistNet s) {
    s.step();
  }
}

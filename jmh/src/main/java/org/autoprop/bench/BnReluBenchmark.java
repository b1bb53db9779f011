package org.autoprop.bench;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.autoprop.graph.LayerGraph;
import org.autoprop.graph.LayerNode;
import org.autoprop.layer.BatchNorm2D;
import org.autoprop.layer.Parameter;
import org.autoprop.layer.ReLU;
import org.autoprop.tensor.Tensor;
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
 * Workload BNRELU-64: BatchNorm2D(64) in training mode (batch statistics, eps 1e-5, momentum 0.1)
 * followed by ReLU on [32, 64, 32, 32], built as the two-node {@link LayerGraph} {@code bn -> relu}
 * so that the graph's own BN+ReLU fusion (when present) is what runs. {@code BNRELU_64_fwd} is
 * the training forward; {@code BNRELU_64_fwdbwd} adds the backward for the loss {@code sum(y * g)}.
 *
 * <p>Rate ({@code report.py}): GB/s of x and y (fwd), x, y, g and dx (fwd+bwd), 8 MiB each.
 *
 * <p>Check (trial set-up): output, running mean and variance, input gradient and the gradients of
 * weight and bias against a double-precision reference written from the formulas ({@link Ref.Bn}).
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 3, jvmArgsAppend = "--add-modules=jdk.incubator.vector")
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
public class BnReluBenchmark {
  /** The graph, its input and upstream gradient. */
  @State(Scope.Benchmark)
  public static class Workload {
    /** Engine threads of this fork: "1" or "all". */
    @Param({Engine.ONE, Engine.ALL})
    public String threads;

    LayerGraph graph;
    Tensor x;
    Tensor g;
    List<Parameter> params;

    /** Builds the graph and data (fixed seeds) and checks one training fwd+bwd. */
    @Setup(Level.Trial)
    public void setUp() {
      Engine.configureThreads(threads);
      LayerNode bn = new LayerNode(new BatchNorm2D(64), "bn");
      LayerNode relu = new LayerNode(new ReLU(), "relu");
      Map<LayerNode, List<LayerNode>> edges = new LinkedHashMap<>();
      edges.put(bn, List.of(relu));
      graph = new LayerGraph(edges, bn, relu).build();
      params = graph.parameters();
      // Non-trivial affine parameters, so a kernel that ignores them fails the check.
      Parameter gamma = Check.param(graph, "bn.weight");
      Parameter beta = Check.param(graph, "bn.bias");
      gamma.value().copyFrom(Check.uniform(3, 64));
      beta.value().copyFrom(Check.uniform(5, 64));
      x = Check.uniform(11, 32, 64, 32, 32);
      g = Check.uniform(13, 32, 64, 32, 32);

      Ref.Bn ref = new Ref.Bn(gamma, beta);
      Tensor yRef = Ref.relu(ref.forward(x));
      Tensor y = graph.forward(x, true);
      Check.close("BNRELU-64 output", yRef, y, 1e-5, 0);
      Map<String, Tensor> buffers = graph.buffers();
      Check.close("BNRELU-64 running_mean", ref.runningMean(), buffers.get("bn.running_mean"), 1e-5, 1e-3);
      Check.close("BNRELU-64 running_var", ref.runningVar(), buffers.get("bn.running_var"), 1e-5, 0);
      Check.zeroGrads(params);
      Tensor gx = graph.backward(g);
      Check.close("BNRELU-64 input gradient", ref.backward(Ref.reluBackward(yRef, g)), gx, 1e-4, 0);
      Check.close("BNRELU-64 weight gradient", ref.gGamma, gamma.grad(), 1e-4, 0);
      Check.close("BNRELU-64 bias gradient", ref.gBeta, beta.grad(), 1e-4, 0);
      Check.zeroGrads(params);
      System.out.println("# BNRELU-64 checked against a double-precision reference; " + Engine.describe());
    }
  }

  /** BNRELU-64 training forward. */
  @Benchmark
  public Tensor BNRELU_64_fwd(Workload s) {
    return s.graph.forward(s.x, true);
  }

  /** BNRELU-64 training forward + backward. */
  @Benchmark
  public Tensor BNRELU_64_fwdbwd(Workload s) {
    Check.zeroGrads(s.params);
    s.graph.forward(s.x, true);
    return s.graph.backward(s.g);
  }
}

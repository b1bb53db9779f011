package org.autoprop.bench;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.autoprop.layer.MultiHeadAttention;
import org.autoprop.layer.Parameter;
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
 * Workload MHA-128: multi-head self-attention with PyTorch's {@code nn.MultiheadAttention} layout
 * (in_proj [384, 128] with bias, out_proj [128, 128] with bias), 4 heads, no mask, on
 * [32, 64, 128]; {@code MHA_128_fwdbwd} is a training forward plus the backward for the loss
 * {@code sum(y * g)}.
 *
 * <p>Check (trial set-up): output, input gradient and the four parameter gradients against
 * {@link AttentionRef}, a double-precision computation written with plain loops.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 3, jvmArgsAppend = "--add-modules=jdk.incubator.vector")
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
public class MhaBenchmark {
  /** The layer, its input and upstream gradient. */
  @State(Scope.Benchmark)
  public static class Workload {
    /** Engine threads of this fork: "1" or "all". */
    @Param({Engine.ONE, Engine.ALL})
    public String threads;

    MultiHeadAttention mha;
    Tensor x;
    Tensor g;
    List<Parameter> params;

    /** Builds the layer and data (fixed seeds) and checks one fwd+bwd. */
    @Setup(Level.Trial)
    public void setUp() {
      Engine.configureThreads(threads);
      mha = MultiHeadAttention.builder(128, 4).seed(1).build();
      params = mha.parameters();
      // Non-zero biases, so a kernel that ignores them fails the check.
      mha.inProjBias().value().copyFrom(Check.uniform(2, 384));
      mha.outProjBias().value().copyFrom(Check.uniform(3, 128));
      x = Check.uniform(11, 32, 64, 128);
      g = Check.uniform(13, 32, 64, 128);
      AttentionRef ref = new AttentionRef(32, 64, 128, 4, false, mha.inProjWeight().value(),
          mha.inProjBias().value(), mha.outProjWeight().value(), mha.outProjBias().value());
      checkAgainst("MHA-128", ref, mha, x, g);
      System.out.println("# MHA-128 checked against a double-precision reference; " + Engine.describe());
    }
  }

  /** One fwd+bwd of {@code mha} against {@code ref}; leaves the gradients zeroed. */
  static void checkAgainst(String what, AttentionRef ref, MultiHeadAttention mha, Tensor x, Tensor g) {
    List<Parameter> params = mha.parameters();
    Check.zeroGrads(params);
    Check.close(what + " output", ref.forward(Check.toDouble(x)), mha.forward(x, true), 1e-5, 0);
    Check.close(what + " input gradient", ref.backward(Check.toDouble(g)), mha.backward(g), 1e-4, 0);
    Check.close(what + " in_proj_weight gradient", ref.gWin, mha.inProjWeight().grad(), 1e-4, 0);
    Check.close(what + " in_proj_bias gradient", ref.gBin, mha.inProjBias().grad(), 1e-4, 0);
    Check.close(what + " out_proj.weight gradient", ref.gWo, mha.outProjWeight().grad(), 1e-4, 0);
    Check.close(what + " out_proj.bias gradient", ref.gBo, mha.outProjBias().grad(), 1e-4, 0);
    Check.zeroGrads(params);
  }

  /** MHA-128 training forward + backward. */
  @Benchmark
  public Tensor MHA_128_fwdbwd(Workload s) {
    Check.zeroGrads(s.params);
    s.mha.forward(s.x, true);
    return s.mha.backward(s.g);
  }
}

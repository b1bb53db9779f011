package org.autoprop.bench;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.autoprop.layer.Parameter;
import org.autoprop.models.Encoder;
import org.autoprop.models.PositionwiseFeedForward;
import org.autoprop.tensor.Tensor;
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
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Workloads ATTN-128 and ATTN-CAUSAL: one pre-norm transformer encoder layer ({@link Encoder}: x +
 * MHA(LN(x)), then + FFN(LN(.)), FFN 128 -> 512 -> GELU(erf) -> 128, 4 heads, no dropout; PyTorch's
 * {@code nn.TransformerEncoderLayer(128, 4, 512, dropout=0, activation="gelu", batch_first=True,
 * norm_first=True)}) on [32, 64, 128]. {@code ATTN_128_fwdbwd}: training forward and backward for
 * the loss {@code sum(y * g)}; {@code *_step}: that plus one SGD step (lr 0.01, momentum 0.9);
 * ATTN-CAUSAL with a causal mask.
 *
 * <p>Check (trial set-up): output and input gradient against {@link EncoderRef}, a double-precision
 * computation written with plain loops.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 3, jvmArgsAppend = "--add-modules=jdk.incubator.vector")
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
public class AttnBenchmark {
  /** The layer, its data and optimizer; {@link #causal} chooses the workload. */
  @State(Scope.Benchmark)
  public abstract static class Workload {
    /** Engine threads of this fork: "1" or "all". */
    @Param({Engine.ONE, Engine.ALL})
    public String threads;

    Encoder layer;
    Tensor x;
    Tensor g;
    List<Parameter> params;
    Sgd opt;

    abstract boolean causal();

    /** Builds the layer and data (fixed seeds) and checks one fwd+bwd. */
    @Setup(Level.Trial)
    public void setUp() {
      Engine.configureThreads(threads);
      String id = causal() ? "ATTN-CAUSAL" : "ATTN-128";
      layer = Encoder.builder(128, 4).dimFeedforward(512).dropout(0).normFirst(true).causal(causal())
          .activation(PositionwiseFeedForward.Activation.GELU).seed(1).build();
      params = layer.parameters();
      // Non-trivial biases and norm parameters, so a kernel that ignores them fails the check.
      for (int i = 0; i < params.size(); i++) {
        Parameter p = params.get(i);
        if (p.name().endsWith("bias") || p.name().startsWith("norm")) {
          Tensor u = Check.uniform(100 + i, p.value().shape().dims());
          if (p.name().endsWith("weight")) {
            for (int j = 0; j < u.size(); j++) {
              u.data()[j] = 1 + 0.5f * u.data()[j];
            }
          }
          p.value().copyFrom(u);
        }
      }
      x = Check.uniform(11, 32, 64, 128);
      g = Check.uniform(13, 32, 64, 128);
      EncoderRef ref = new EncoderRef(layer, 32, 64, 128, 4, 512, causal());
      Check.zeroGrads(params);
      Check.close(id + " output", ref.forward(Check.toDouble(x)), layer.forward(x, true), 1e-5, 0);
      Check.close(id + " input gradient", ref.backward(Check.toDouble(g)), layer.backward(g), 1e-4, 0);
      Check.zeroGrads(params);
      opt = Sgd.builder(params).lr(0.01).momentum(0.9).build();
      System.out.println("# " + id + " checked against a double-precision reference; " + Engine.describe());
    }
  }

  /** ATTN-128. */
  @State(Scope.Benchmark)
  public static class Plain extends Workload {
    @Override
    boolean causal() {
      return false;
    }
  }

  /** ATTN-CAUSAL. */
  @State(Scope.Benchmark)
  public static class Causal extends Workload {
    @Override
    boolean causal() {
      return true;
    }
  }

  private static Tensor fwdbwd(Workload s) {
    Check.zeroGrads(s.params);
    s.layer.forward(s.x, true);
    return s.layer.backward(s.g);
  }

  /** ATTN-128 training forward + backward. */
  @Benchmark
  public Tensor ATTN_128_fwdbwd(Plain s) {
    return fwdbwd(s);
  }

  /** ATTN-128 forward + backward + SGD step (momentum 0.9). */
  @Benchmark
  public Tensor ATTN_128_step(Plain s) {
    Tensor gx = fwdbwd(s);
    s.opt.step();
    return gx;
  }

  /** ATTN-CAUSAL forward + backward + SGD step (momentum 0.9). */
  @Benchmark
  public Tensor ATTN_CAUSAL_step(Causal s) {
    Tensor gx = fwdbwd(s);
    s.opt.step();
    return gx;
  }
}

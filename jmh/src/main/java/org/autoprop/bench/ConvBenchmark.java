package org.autoprop.bench;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.autoprop.layer.Conv2D;
import org.autoprop.layer.Padding;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Workloads CONV-64, CONV-STEM and CONV-DOWN: one {@link Conv2D} 3x3, padding 1, with bias, forward
 * ({@code *_fwd}) and forward plus full backward ({@code *_fwdbwd}: input, weight and bias
 * gradients for the loss {@code sum(y * g)} with a fixed random {@code g}; parameter gradients are
 * zeroed before each call, as PyTorch's runner sets them to None).
 *
 * <p>Rate ({@code report.py}): fwd FLOP = {@code 2 N Cout Ho Wo Cin 9}, fwd+bwd counted as 3x.
 * CONV-64 = 2.42 GFLOP per forward, CONV-STEM = 0.058, CONV-DOWN = 1.21.
 *
 * <p>Check (trial set-up, outside the timed region): output, input gradient, weight and bias
 * gradients against a twin convolution on the scalar kernels with the same weights (whole
 * tensors); the output of the first and last image against a direct double-precision convolution
 * (no im2col, no GEMM); the input gradient of the first image against a direct scatter; the bias
 * gradient against the channel sums of {@code g}.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 3, jvmArgsAppend = "--add-modules=jdk.incubator.vector")
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
public class ConvBenchmark {
  /** A convolution, its input and its upstream gradient, checked once per trial. */
  @State(Scope.Benchmark)
  public abstract static class Workload {
    /** Engine threads of this fork: "1" or "all". */
    @Param({Engine.ONE, Engine.ALL})
    public String threads;

    private final String id;
    private final int n, cin, cout, h, w, stride;
    Conv2D conv;
    Tensor x;
    Tensor g;
    List<Parameter> params;

    Workload(String id, int n, int cin, int cout, int h, int w, int stride) {
      this.id = id;
      this.n = n;
      this.cin = cin;
      this.cout = cout;
      this.h = h;
      this.w = w;
      this.stride = stride;
    }

    /** Builds the layer and data (fixed seeds). */
    @Setup(Level.Trial)
    public void setUp() {
      Engine.configureThreads(threads);
      conv = Conv2D.builder(cin, cout).kernel(3, 3).stride(stride).padding(Padding.of(1)).bias(true).seed(7).build();
      params = conv.parameters();
      x = Check.uniform(11, n, cin, h, w);
      g = Check.uniform(13, conv.outputShape(x.shape()).dims());
    }

    /**
     * Checks one fwd+bwd of the benchmarked layer (whose weights the benchmark never changes)
     * against the references, after the measurement: the reference runs a Conv2D on the scalar
     * kernels, and done before, it would let the JIT see two kernel providers at Conv2D's call
     * sites during the measurement, which a production JVM (one kernel provider) never does.
     */
    @TearDown(Level.Trial)
    public void check() {
      Ref.Conv ref = new Ref.Conv(conv.weight(), conv.bias(), stride, 1);
      Tensor y = conv.forward(x, true).copy();
      Check.close(id + " output vs scalar kernels", ref.forward(x), y, 1e-4, 0);
      for (int img : new int[] {0, n - 1}) {
        Check.close(id + " output of image " + img + " vs direct convolution",
            Ref.convImage(x, conv.weight().value(), conv.bias().value(), img, stride, 1), Ref.image(y, img), 1e-4, 0);
      }
      Check.zeroGrads(params);
      Tensor gx = conv.backward(g);
      Check.close(id + " input gradient vs scalar kernels", ref.backward(g), gx, 2e-4, 0);
      Check.close(id + " input gradient of image 0 vs direct scatter",
          Ref.convInputGradImage(g, conv.weight().value(), 0, cin, h, w, stride, 1), Ref.image(gx, 0), 2e-4, 0);
      Check.close(id + " weight gradient vs scalar kernels", ref.layer.weight().grad(), conv.weight().grad(), 2e-4, 0);
      Check.close(id + " bias gradient vs scalar kernels", ref.layer.bias().grad(), conv.bias().grad(), 2e-4, 0);
      Check.close(id + " bias gradient vs channel sums of g", Ref.channelSums(g), conv.bias().grad(), 2e-4, 0);
      Check.zeroGrads(params);
      System.out.println("# " + id + " checked against the scalar kernels and a direct convolution; "
          + Engine.describe());
    }

    Tensor forward() {
      return conv.forward(x, false);
    }

    Tensor forwardBackward() {
      Check.zeroGrads(params);
      conv.forward(x, true);
      return conv.backward(g);
    }
  }

  /** CONV-64: N=32, 64->64, 32x32, stride 1. */
  public static class Conv64 extends Workload {
    /** For JMH. */
    public Conv64() {
      super("CONV-64", 32, 64, 64, 32, 32, 1);
    }
  }

  /** CONV-STEM: N=128, 1->32, 28x28, stride 1. */
  public static class ConvStem extends Workload {
    /** For JMH. */
    public ConvStem() {
      super("CONV-STEM", 128, 1, 32, 28, 28, 1);
    }
  }

  /** CONV-DOWN: N=32, 64->128, 32x32, stride 2 (output 16x16). */
  public static class ConvDown extends Workload {
    /** For JMH. */
    public ConvDown() {
      super("CONV-DOWN", 32, 64, 128, 32, 32, 2);
    }
  }

  /** CONV-64 forward. */
  @Benchmark
  public Tensor CONV_64_fwd(Conv64 s) {
    return s.forward();
  }

  /** CONV-64 forward + backward. */
  @Benchmark
  public Tensor CONV_64_fwdbwd(Conv64 s) {
    return s.forwardBackward();
  }

  /** CONV-STEM forward. */
  @Benchmark
  public Tensor CONV_STEM_fwd(ConvStem s) {
    return s.forward();
  }

  /** CONV-STEM forward + backward. */
  @Benchmark
  public Tensor CONV_STEM_fwdbwd(ConvStem s) {
    return s.forwardBackward();
  }

  /** CONV-DOWN forward. */
  @Benchmark
  public Tensor CONV_DOWN_fwd(ConvDown s) {
    return s.forward();
  }

  /** CONV-DOWN forward + backward. */
  @Benchmark
  public Tensor CONV_DOWN_fwdbwd(ConvDown s) {
    return s.forwardBackward();
  }
}

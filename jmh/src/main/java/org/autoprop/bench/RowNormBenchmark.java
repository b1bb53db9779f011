package org.autoprop.bench;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.autoprop.layer.LayerNorm;
import org.autoprop.layer.Parameter;
import org.autoprop.layer.Softmax;
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
 * Workloads LN-512 and SOFTMAX-256 (WORKLOADS.md, second round): {@code LayerNorm(512)} (eps
 * 1e-5, affine) on [4096, 512] and {@code Softmax()} over the last axis of [64, 256, 256].
 * {@code *_fwd} is the forward; {@code *_fwdbwd} adds the backward for the loss {@code sum(y * g)}.
 *
 * <p>Rate ({@code report.py}): GB/s of x and y (fwd), x, y, g and dx (fwd+bwd); 8 MiB per
 * LN-512 tensor, 16 MiB per SOFTMAX-256 tensor.
 *
 * <p>Check (trial set-up): output, input gradient and (LN-512) the weight and bias gradients against
 * double-precision references written from the formulas here, row by row.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 3, jvmArgsAppend = "--add-modules=jdk.incubator.vector")
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
public class RowNormBenchmark {
  /** LN-512: the layer, its input and upstream gradient. */
  @State(Scope.Benchmark)
  public static class Ln {
    /** Engine threads of this fork: "1" or "all". */
    @Param({Engine.ONE, Engine.ALL})
    public String threads;

    static final int ROWS = 4096;
    static final int D = 512;
    LayerNorm layer;
    Tensor x;
    Tensor g;
    List<Parameter> params;

    /** Builds the layer and data (fixed seeds) and checks one fwd+bwd. */
    @Setup(Level.Trial)
    public void setUp() {
      Engine.configureThreads(threads);
      layer = new LayerNorm(D);
      params = layer.parameters();
      // Non-trivial affine parameters, so a kernel that ignores them fails the check.
      layer.weight().value().copyFrom(Check.uniform(3, D));
      layer.bias().value().copyFrom(Check.uniform(5, D));
      x = Check.uniform(11, ROWS, D);
      g = Check.uniform(13, ROWS, D);
      float[] xs = x.toArray();
      float[] gs = g.toArray();
      float[] w = layer.weight().value().toArray();
      float[] b = layer.bias().value().toArray();
      double[] y = new double[ROWS * D];
      double[] gx = new double[ROWS * D];
      double[] gw = new double[D];
      double[] gb = new double[D];
      for (int r = 0; r < ROWS; r++) {
        int o = r * D;
        double mean = 0;
        for (int j = 0; j < D; j++) {
          mean += xs[o + j];
        }
        mean /= D;
        double var = 0;
        for (int j = 0; j < D; j++) {
          var += (xs[o + j] - mean) * (xs[o + j] - mean);
        }
        double rstd = 1 / Math.sqrt(var / D + 1e-5);
        double sh = 0;
        double shx = 0;
        for (int j = 0; j < D; j++) {
          double xhat = (xs[o + j] - mean) * rstd;
          y[o + j] = xhat * w[j] + b[j];
          double h = gs[o + j] * w[j];
          sh += h;
          shx += h * xhat;
          gw[j] += gs[o + j] * xhat;
          gb[j] += gs[o + j];
        }
        for (int j = 0; j < D; j++) {
          double xhat = (xs[o + j] - mean) * rstd;
          gx[o + j] = rstd * (gs[o + j] * w[j] - sh / D - xhat * shx / D);
        }
      }
      Check.close("LN-512 output", y, layer.forward(x, true), 1e-5, 0);
      Check.zeroGrads(params);
      Check.close("LN-512 input gradient", gx, layer.backward(g), 1e-4, 0);
      Check.close("LN-512 weight gradient", gw, layer.weight().grad(), 1e-4, 0);
      Check.close("LN-512 bias gradient", gb, layer.bias().grad(), 1e-4, 0);
      Check.zeroGrads(params);
      System.out.println("# LN-512 checked against a double-precision reference; " + Engine.describe());
    }
  }

  /** SOFTMAX-256: the layer, its input and upstream gradient. */
  @State(Scope.Benchmark)
  public static class Sm {
    /** Engine threads of this fork: "1" or "all". */
    @Param({Engine.ONE, Engine.ALL})
    public String threads;

    static final int ROWS = 64 * 256;
    static final int LEN = 256;
    Softmax layer;
    Tensor x;
    Tensor g;

    /** Builds the layer and data (fixed seeds) and checks one fwd+bwd. */
    @Setup(Level.Trial)
    public void setUp() {
      Engine.configureThreads(threads);
      layer = new Softmax();
      // Logits in [-8, 8): a spread that exercises the max shift.
      x = Check.uniform(17, 64, 256, LEN);
      float[] xs = x.toArray();
      for (int i = 0; i < xs.length; i++) {
        xs[i] *= 8;
      }
      x = Tensor.wrap(xs, 64, 256, LEN);
      g = Check.uniform(19, 64, 256, LEN);
      float[] gs = g.toArray();
      double[] y = new double[ROWS * LEN];
      double[] gx = new double[ROWS * LEN];
      for (int r = 0; r < ROWS; r++) {
        int o = r * LEN;
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < LEN; j++) {
          max = Math.max(max, xs[o + j]);
        }
        double sum = 0;
        for (int j = 0; j < LEN; j++) {
          sum += Math.exp(xs[o + j] - max);
        }
        double dot = 0;
        for (int j = 0; j < LEN; j++) {
          y[o + j] = Math.exp(xs[o + j] - max) / sum;
          dot += y[o + j] * gs[o + j];
        }
        for (int j = 0; j < LEN; j++) {
          gx[o + j] = y[o + j] * (gs[o + j] - dot);
        }
      }
      Check.close("SOFTMAX-256 output", y, layer.forward(x, true), 1e-5, 0);
      Check.close("SOFTMAX-256 input gradient", gx, layer.backward(g), 1e-4, 0);
      System.out.println("# SOFTMAX-256 checked against a double-precision reference; " + Engine.describe());
    }
  }

  /** LN-512 forward. */
  @Benchmark
  public Tensor LN_512_fwd(Ln s) {
    return s.layer.forward(s.x, true);
  }

  /** LN-512 forward + backward. */
  @Benchmark
  public Tensor LN_512_fwdbwd(Ln s) {
    Check.zeroGrads(s.params);
    s.layer.forward(s.x, true);
    return s.layer.backward(s.g);
  }

  /** SOFTMAX-256 forward. */
  @Benchmark
  public Tensor SOFTMAX_256_fwd(Sm s) {
    return s.layer.forward(s.x, true);
  }

  /** SOFTMAX-256 forward + backward. */
  @Benchmark
  public Tensor SOFTMAX_256_fwdbwd(Sm s) {
    s.layer.forward(s.x, true);
    return s.layer.backward(s.g);
  }
}

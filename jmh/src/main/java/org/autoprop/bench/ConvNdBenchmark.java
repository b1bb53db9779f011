package org.autoprop.bench;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.autoprop.layer.Conv1D;
import org.autoprop.layer.Conv3D;
import org.autoprop.layer.Layer;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Issue 14's convolutions, forward plus full backward (input, weight and bias gradients of
 * {@code sum(y * g)}, parameter gradients zeroed before each call): CONV1D, {@link Conv1D} 64->64,
 * kernel 3, padding 1 on [32, 64, 1024]; CONV3D, {@link Conv3D} 32->32, kernel 3, padding 1 on
 * [4, 32, 16, 32, 32]. PyTorch: {@code torch_bench.py --only CONV1D,CONV3D}.
 *
 * <p>Check (after the measurement, outside the timed region): a direct double-precision
 * convolution written here (no lowering, no GEMM): the output and input gradient of the first
 * image, the bias gradient (channel sums of g) and the weight gradient of the first and last
 * output channel.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = "--add-modules=jdk.incubator.vector")
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
public class ConvNdBenchmark {
  /** A convolution viewed as 3-D (a 1-D one has depth and height 1), its input and upstream gradient. */
  @State(Scope.Benchmark)
  public abstract static class Workload {
    /** Engine threads of this fork: "1" or "all". */
    @Param({Engine.ONE, Engine.ALL})
    public String threads;

    final String id;
    final int n;
    final int c;
    final int[] size;
    final int[] kernel;
    Layer conv;
    Parameter weight;
    Parameter bias;
    Tensor x;
    Tensor g;
    List<Parameter> params;

    Workload(String id, int n, int c, int[] size, int[] kernel) {
      this.id = id;
      this.n = n;
      this.c = c;
      this.size = size;
      this.kernel = kernel;
    }

    abstract Layer build();

    abstract int[] inputDims();

    /** Builds the layer and data (fixed seeds). */
    @Setup(Level.Trial)
    public void setUp() {
      Engine.configureThreads(threads);
      conv = build();
      params = conv.parameters();
      weight = params.get(0);
      bias = params.get(1);
      x = Check.uniform(11, inputDims());
      g = Check.uniform(13, conv.outputShape(x.shape()).dims());
    }

    /** Checks one fwd+bwd against the direct convolution (see the class comment). */
    @TearDown(Level.Trial)
    public void check() {
      Check.zeroGrads(params);
      Tensor y = conv.forward(x, true).copy();
      Tensor gx = conv.backward(g);
      int d = size[0];
      int h = size[1];
      int w = size[2];
      int per = d * h * w;
      double[] xs = Check.toDouble(x);
      double[] gs = Check.toDouble(g);
      double[] ws = Check.toDouble(weight.value());
      double[] out = new double[c * per];
      double[] dx = new double[c * per];
      for (int o = 0; o < c; o++) {
        for (int i = 0; i < c; i++) {
          for (int z = 0; z < d; z++) {
            for (int r = 0; r < h; r++) {
              for (int q = 0; q < w; q++) {
                double acc = 0;
                int at = o * per + (z * h + r) * w + q;
                for (int a = 0; a < kernel[0]; a++) {
                  int zz = z + a - kernel[0] / 2;
                  for (int b = 0; b < kernel[1]; b++) {
                    int rr = r + b - kernel[1] / 2;
                    for (int e = 0; e < kernel[2]; e++) {
                      int qq = q + e - kernel[2] / 2;
                      if (zz < 0 || zz >= d || rr < 0 || rr >= h || qq < 0 || qq >= w) {
                        continue;
                      }
                      double wv = ws[(((o * c + i) * kernel[0] + a) * kernel[1] + b) * kernel[2] + e];
                      int from = i * per + (zz * h + rr) * w + qq;
                      acc += wv * xs[from];
                      dx[from] += wv * gs[at];
                    }
                  }
                }
                out[at] += acc;
              }
            }
          }
        }
      }
      for (int o = 0; o < c; o++) {
        double bv = bias.value().data()[bias.value().offset() + o];
        for (int p = 0; p < per; p++) {
          out[o * per + p] += bv;
        }
      }
      Check.close(id + " output of image 0 vs direct convolution", out, Ref.image(y, 0), 1e-4, 0);
      Check.close(id + " input gradient of image 0 vs direct scatter", dx, Ref.image(gx, 0), 2e-4, 0);
      double[] sums = new double[c];
      for (int img = 0; img < n; img++) {
        for (int o = 0; o < c; o++) {
          for (int p = 0; p < per; p++) {
            sums[o] += gs[(img * c + o) * per + p];
          }
        }
      }
      Check.close(id + " bias gradient vs channel sums of g", sums, bias.grad(), 2e-4, 0);
      int taps = kernel[0] * kernel[1] * kernel[2];
      double[] gw = Check.toDouble(weight.grad());
      for (int o : new int[] {0, c - 1}) {
        for (int i = 0; i < c; i++) {
          for (int t = 0; t < taps; t++) {
            int a = t / (kernel[1] * kernel[2]);
            int b = t / kernel[2] % kernel[1];
            int e = t % kernel[2];
            double acc = 0;
            for (int img = 0; img < n; img++) {
              for (int z = 0; z < d; z++) {
                int zz = z + a - kernel[0] / 2;
                for (int r = 0; r < h; r++) {
                  int rr = r + b - kernel[1] / 2;
                  for (int q = 0; q < w; q++) {
                    int qq = q + e - kernel[2] / 2;
                    if (zz < 0 || zz >= d || rr < 0 || rr >= h || qq < 0 || qq >= w) {
                      continue;
                    }
                    acc += gs[(img * c + o) * per + (z * h + r) * w + q]
                        * xs[(img * c + i) * per + (zz * h + rr) * w + qq];
                  }
                }
              }
            }
            double got = gw[(o * c + i) * taps + t];
            if (Math.abs(got - acc) > 2e-4 * Math.max(1, Math.abs(acc))) {
              throw new IllegalStateException(id + " weight gradient [" + o + ", " + i + ", tap " + t + "]: " + got
                  + " (expected: " + acc + " from the direct sum)");
            }
          }
        }
      }
      Check.zeroGrads(params);
      System.out.println("# " + id + " checked against a direct double-precision convolution; " + Engine.describe());
    }

    Tensor forwardBackward() {
      Check.zeroGrads(params);
      conv.forward(x, true);
      return conv.backward(g);
    }
  }

  /** CONV1D: N=32, 64->64, length 1024, kernel 3, padding 1. */
  public static class Conv1d extends Workload {
    /** For JMH. */
    public Conv1d() {
      super("CONV1D", 32, 64, new int[] {1, 1, 1024}, new int[] {1, 1, 3});
    }

    @Override
    Layer build() {
      return Conv1D.builder(64, 64).kernel(3).padding(1).seed(7).build();
    }

    @Override
    int[] inputDims() {
      return new int[] {32, 64, 1024};
    }
  }

  /** CONV3D: N=4, 32->32, 16x32x32, kernel 3, padding 1. */
  public static class Conv3d extends Workload {
    /** For JMH. */
    public Conv3d() {
      super("CONV3D", 4, 32, new int[] {16, 32, 32}, new int[] {3, 3, 3});
    }

    @Override
    Layer build() {
      return Conv3D.builder(32, 32).kernel(3).padding(1).seed(7).build();
    }

    @Override
    int[] inputDims() {
      return new int[] {4, 32, 16, 32, 32};
    }
  }

  /** CONV1D forward + backward. */
  @Benchmark
  public Tensor CONV1D_fwdbwd(Conv1d s) {
    return s.forwardBackward();
  }

  /** CONV3D forward + backward. */
  @Benchmark
  public Tensor CONV3D_fwdbwd(Conv3d s) {
    return s.forwardBackward();
  }
}

package org.autoprop.bench;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.autoprop.graph.MergeMode;
import org.autoprop.layer.merge.Merge;
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
 * Workload MERGE-3: the merge a graph node applies to three inputs of [32, 64, 32, 32], one
 * {@code mode} parameter per {@link MergeMode} (SUM, SUB, HADAMARD, AVG, MAX, MIN, CHCAT; CHCAT
 * gives [32, 192, 32, 32]), through {@code MergeMode.newMerge()}. {@code MERGE_3_fwdbwd} is the
 * forward plus the gradients of all three inputs for the loss {@code sum(y * g)}.
 *
 * <p>Rate ({@code report.py}): GB/s of 2 x (three inputs + output): inputs and output forward, g
 * and the three input gradients backward (48 MiB per call for the elementwise modes, 72 for CHCAT).
 *
 * <p>Check (trial set-up): output and the three input gradients against a double-precision
 * loop written from the mode's definition (MergeMode's Javadoc; MAX/MIN split ties equally).
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 3, jvmArgsAppend = "--add-modules=jdk.incubator.vector")
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
public class MergeBenchmark {
  private static final int N = 32, C = 64, HW = 32 * 32;

  /** A merge operator, its three inputs and its upstream gradient. */
  @State(Scope.Benchmark)
  public static class Workload {
    /** Engine threads of this fork: "1" or "all". */
    @Param({Engine.ONE, Engine.ALL})
    public String threads;

    /** The merge mode. */
    @Param({"SUM", "SUB", "HADAMARD", "AVG", "MAX", "MIN", "CHCAT"})
    public String mode;

    Merge merge;
    List<Tensor> xs;
    Tensor g;

    /** Builds the merge and data (fixed seeds) and checks one fwd+bwd. */
    @Setup(Level.Trial)
    public void setUp() {
      Engine.configureThreads(threads);
      MergeMode m = MergeMode.valueOf(mode);
      merge = m.newMerge();
      xs = List.of(Check.uniform(11, N, C, 32, 32), Check.uniform(12, N, C, 32, 32), Check.uniform(13, N, C, 32, 32));
      int cout = m == MergeMode.CHCAT ? 3 * C : C;
      g = Check.uniform(17, N, cout, 32, 32);
      String id = "MERGE-3/" + mode;
      Tensor y = merge.forward(xs);
      Check.close(id + " output", reference(m, xs, g, -1), y, 1e-5, 0);
      List<Tensor> gx = merge.backward(g);
      for (int i = 0; i < 3; i++) {
        Check.close(id + " gradient of input " + i, reference(m, xs, g, i), gx.get(i), 1e-5, 0);
      }
      System.out.println("# " + id + " checked against a double-precision reference; " + Engine.describe());
    }
  }

  /** The output ({@code which = -1}) or the gradient of input {@code which}, by definition. */
  static double[] reference(MergeMode m, List<Tensor> xs, Tensor g, int which) {
    float[] a = xs.get(0).data(), b = xs.get(1).data(), c = xs.get(2).data(), gd = g.data();
    int size = N * C * HW;
    if (m == MergeMode.CHCAT) {
      double[] r = new double[which < 0 ? 3 * size : size];
      for (int n = 0; n < N; n++) {
        for (int k = 0; k < 3; k++) {
          for (int i = 0; i < C * HW; i++) {
            int in = n * C * HW + i, out = (n * 3 + k) * C * HW + i;
            if (which < 0) {
              r[out] = xs.get(k).data()[in];
            } else if (k == which) {
              r[in] = gd[out];
            }
          }
        }
      }
      return r;
    }
    double[] r = new double[size];
    for (int i = 0; i < size; i++) {
      double[] v = {a[i], b[i], c[i]};
      double gi = gd[i];
      switch (m) {
        case SUM:
          r[i] = which < 0 ? v[0] + v[1] + v[2] : gi;
          break;
        case SUB:
          r[i] = which < 0 ? v[0] - v[1] - v[2] : which == 0 ? gi : -gi;
          break;
        case HADAMARD:
          r[i] = which < 0 ? v[0] * v[1] * v[2] : gi * v[(which + 1) % 3] * v[(which + 2) % 3];
          break;
        case AVG:
          r[i] = which < 0 ? (v[0] + v[1] + v[2]) / 3 : gi / 3;
          break;
        case MAX:
        case MIN: {
          double e = m == MergeMode.MAX ? Math.max(v[0], Math.max(v[1], v[2])) : Math.min(v[0], Math.min(v[1], v[2]));
          int ties = (v[0] == e ? 1 : 0) + (v[1] == e ? 1 : 0) + (v[2] == e ? 1 : 0);
          r[i] = which < 0 ? e : v[which] == e ? gi / ties : 0;
          break;
        }
        default:
          throw new IllegalStateException("no reference for " + m);
      }
    }
    return r;
  }

  /** MERGE-3 forward + backward of the {@code mode} parameter. */
  @Benchmark
  public List<Tensor> MERGE_3_fwdbwd(Workload s) {
    s.merge.forward(s.xs);
    return s.merge.backward(s.g);
  }
}

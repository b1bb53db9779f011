package org.autoprop.bench;

import java.util.SplittableRandom;
import org.autoprop.kernel.Gemm;
import org.autoprop.kernel.KernelProvider;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Workloads GEMM-256, GEMM-512 and GEMM-1024: {@code C = A x B}, row-major, M = N = K = size,
 * through the public facade {@link Gemm#multiply} (so nT runs the engine's tile split).
 *
 * <p>Rate: a product does M*N*K multiply-adds, counted as 2*M*N*K floating-point operations, so
 * {@code GFLOP/s = 2 * size^3 / (t_ms * 1e6)}; e.g. GEMM-1024 = 2.147 GFLOP, and a median of
 * 10 ms/op is 214.7 GFLOP/s. {@code jmh/report.py} derives it from the JSON results.
 *
 * <p>The benchmark methods live here; the subclasses only choose the fork flags:
 * {@link GemmBenchmark} (vector kernels) and {@link GemmScalarBenchmark} (scalar twin).
 */
public abstract class GemmBenchmarks {
  /** Operands of one size, filled once per trial and checked against the scalar kernel. */
  @State(Scope.Benchmark)
  public abstract static class Operands {
    /** Engine threads of this fork: "1" or "all" (every available processor). */
    @Param({Engine.ONE, Engine.ALL})
    public String threads;

    final int size;
    float[] a;
    float[] b;
    float[] c;

    Operands(int size) {
      this.size = size;
    }

    /**
     * Fills A and B (uniform in [-1, 1), fixed seed), then runs the timed operation once and
     * compares it with the serial scalar kernel, outside the timed region.
     */
    @Setup(Level.Trial)
    public void setUp() {
      Engine.configureThreads(threads);
      SplittableRandom r = new SplittableRandom(42);
      a = uniform(r, size * size);
      b = uniform(r, size * size);
      c = new float[size * size];
      run();
      float[] expected = new float[size * size];
      KernelProvider.scalar().gemm().gemm(false, false, size, size, size, a, 0, size, b, 0, size,
          expected, 0, size, false);
      float tol = 1e-5f * size;
      for (int i = 0; i < expected.length; i++) {
        if (!(Math.abs(expected[i] - c[i]) <= tol)) {
          throw new IllegalStateException("GEMM-" + size + " differs from the scalar kernel at " + i
              + ": " + c[i] + " (expected: " + expected[i] + " +- " + tol + ")");
        }
      }
      System.out.println("# GEMM-" + size + " checked against the scalar kernel; " + Engine.describe());
    }

    float[] run() {
      Gemm.multiply(false, false, size, size, size, a, 0, size, b, 0, size, c, 0, size, false);
      return c;
    }

    private static float[] uniform(SplittableRandom r, int n) {
      float[] x = new float[n];
      for (int i = 0; i < n; i++) {
        x[i] = (float) (r.nextDouble() * 2 - 1);
      }
      return x;
    }
  }

  /** GEMM-256 operands. */
  public static class Size256 extends Operands {
    /** For JMH. */
    public Size256() {
      super(256);
    }
  }

  /** GEMM-512 operands. */
  public static class Size512 extends Operands {
    /** For JMH. */
    public Size512() {
      super(512);
    }
  }

  /** GEMM-1024 operands. */
  public static class Size1024 extends Operands {
    /** For JMH. */
    public Size1024() {
      super(1024);
    }
  }

  /** GEMM-256: 33.6 MFLOP per call. */
  @Benchmark
  public float[] GEMM_256(Size256 s) {
    return s.run();
  }

  /** GEMM-512: 268 MFLOP per call. */
  @Benchmark
  public float[] GEMM_512(Size512 s) {
    return s.run();
  }

  /** GEMM-1024: 2.147 GFLOP per call. */
  @Benchmark
  public float[] GEMM_1024(Size1024 s) {
    return s.run();
  }
}

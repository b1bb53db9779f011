package org.autoprop.bench;

import org.openjdk.jmh.annotations.Benchmark;

/**
 * FMNIST-NET training step (batch 128, the recipe's SGD; {@link GraphBenchmark.FmnistNet}) on the
 * two kernel paths. The methods live here; the subclasses only choose the fork flags:
 * {@link FmnistVectorBenchmark} adds {@code --add-modules=jdk.incubator.vector},
 * {@link FmnistScalarBenchmark} does not, so it runs what a user who forgets the flag gets (the
 * scalar kernels, chosen automatically). The ratio of the two medians is the factor the warning
 * of {@link org.autoprop.kernel.KernelProvider} quotes.
 *
 * <p>Run, one thread, short:
 * {@code flock /tmp/bench.lock java -jar jmh/target/benchmarks.jar 'Fmnist(Vector|Scalar)Benchmark'
 * -p threads=1 -f 1 -wi 3 -i 5}. The trial tear-down checks the graph against its hand-written
 * reference as {@link GraphBenchmark} does and prints which kernels ran.
 */
public abstract class FmnistKernelsBenchmark {
  /** FMNIST-NET training step at batch 128: fwd + cross-entropy + bwd + SGD update. */
  @Benchmark
  public void FMNIST_NET_step(GraphBenchmark.FmnistNet s) {
    s.step();
  }
}

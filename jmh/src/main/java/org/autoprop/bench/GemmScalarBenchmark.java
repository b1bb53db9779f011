package org.autoprop.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The scalar twin of {@link GemmBenchmark}: identical but for {@code -Dautoprop.kernels=scalar},
 * the reference the vector kernels are measured against.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 3, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Dautoprop.kernels=scalar"})
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 2)
public class GemmScalarBenchmark extends GemmBenchmarks {}

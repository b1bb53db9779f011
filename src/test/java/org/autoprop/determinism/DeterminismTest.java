package org.autoprop.determinism;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A seed gives the same bits whatever the thread count and whether the kernels run interpreted or
 * compiled: the same momentum-SGD steps ({@link SeededSteps}) in child JVMs, compared parameter by
 * parameter, on both kernel paths.
 */
class DeterminismTest {
  /**
   * Two steps on a batch of 4 images 3 x 12 x 12: the 16 -> 16 convolution (1.3M multiply-adds)
   * is above Conv2D's parallel threshold, so its batch is split.
   */
  private static final String[] PARALLEL_RUN = {"4", "12", "2", "1"};

  @BeforeEach
  void onceForBothPaths() {
    // The children pick their kernels themselves: the surefire run on the scalar kernels would
    // repeat the same runs.
    assumeFalse("scalar".equals(System.getProperty("autoprop.kernels")), "runs both kernel paths in its children");
  }

  @ParameterizedTest
  @ValueSource(strings = {"vector", "scalar"})
  void oneTwoAndThreeThreadsGiveTheSameBits(String kernels) throws Exception {
    List<CompletableFuture<String>> runs = new ArrayList<>();
    for (int threads = 1; threads <= 3; threads++) {
      runs.add(child(List.of("-Dautoprop.kernels=" + kernels, "-Dautoprop.threads=" + threads), PARALLEL_RUN));
    }
    String one = runs.get(0).get();
    assertTrue(one.contains("threads 1"), one);
    for (int t = 1; t < runs.size(); t++) {
      String other = runs.get(t).get();
      assertTrue(other.contains("threads " + (t + 1)), other);
      assertSame(kernels + " kernels, 1 thread", one, kernels + " kernels, " + (t + 1) + " threads", other);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"vector", "scalar"})
  void interpretedAndCompiledKernelsGiveTheSameBits(String kernels) throws Exception {
    // Tiny sizes: the interpreter runs the Vector API hundreds of times slower. The compiled run
    // repeats the steps from scratch until C2 has compiled the kernels (synchronously, so the
    // last repeat runs the compiled code on every JVM).
    String[] tiny = {"2", "6", "2"};
    CompletableFuture<String> interpreted = child(List.of("-Xint", "-Dautoprop.kernels=" + kernels, "-Dautoprop.threads=1"),
        append(tiny, "1"));
    CompletableFuture<String> compiled = child(List.of("-Dautoprop.kernels=" + kernels, "-Dautoprop.threads=1",
        "-XX:-BackgroundCompilation", "-XX:-TieredCompilation", "-XX:CompileThreshold=100"), append(tiny, "100"));
    assertSame(kernels + " kernels, interpreted (-Xint)", interpreted.get(), kernels + " kernels, compiled (C2)", compiled.get());
  }

  private static String[] append(String[] a, String last) {
    String[] r = Arrays.copyOf(a, a.length + 1);
    r[a.length] = last;
    return r;
  }

  /** Compares the two runs line by line, naming the first parameter whose bits differ. */
  private static void assertSame(String whatA, String a, String whatB, String b) {
    List<String> la = body(a);
    List<String> lb = body(b);
    assertTrue(la.size() > 10, whatA + " printed too little: " + a);
    assertEquals(la.size(), lb.size(), whatA + " vs " + whatB + ": line counts\n" + a + "\n" + b);
    for (int i = 0; i < la.size(); i++) {
      String name = la.get(i).split(" ")[0];
      assertEquals(la.get(i), lb.get(i), name + ": " + whatB + " gave other bits than " + whatA
          + " (name, hash of the bits, first value)");
    }
  }

  /** The result lines (without the kernels/threads line and JVM warnings). */
  private static List<String> body(String out) {
    List<String> lines = new ArrayList<>();
    for (String line : out.split("\n")) {
      if (line.startsWith("loss") || line.startsWith("param") || line.startsWith("state.")) {
        lines.add(line);
      }
    }
    return lines;
  }

  /** Starts SeededSteps in a child JVM; completes with its output, or fails with it. */
  private static CompletableFuture<String> child(List<String> jvmArgs, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("--add-modules");
    cmd.add("jdk.incubator.vector");
    cmd.addAll(jvmArgs);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(SeededSteps.class.getName());
    cmd.addAll(List.of(args));
    // Output to a file, so that the timeout holds even when a hung child never closes its pipe;
    // started here, so that the children run side by side.
    Path log = Files.createTempFile("seeded-steps", ".log");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    p.getOutputStream().close();
    return CompletableFuture.supplyAsync(() -> {
      try {
        try {
          if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("child JVM timed out after 120 s: " + cmd);
          }
          String out = Files.readString(log, StandardCharsets.UTF_8);
          if (p.exitValue() != 0) {
            throw new AssertionError("child JVM exited with " + p.exitValue() + ": " + cmd + "\n" + out);
          }
          return out;
        } finally {
          Files.deleteIfExists(log);
        }
      } catch (IOException | InterruptedException e) {
        throw new AssertionError("child JVM " + cmd + ": " + e, e);
      }
    });
  }
}

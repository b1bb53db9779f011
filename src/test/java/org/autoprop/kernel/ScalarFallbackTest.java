package org.autoprop.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Without {@code --add-modules jdk.incubator.vector} the library runs on its scalar kernels and
 * says once how to enable the fast path; {@code -Dautoprop.kernels} is validated.
 */
class ScalarFallbackTest {
  record Result(int code, String out, String err) {}

  static Result java(String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
    byte[] out = p.getInputStream().readAllBytes();
    byte[] err = p.getErrorStream().readAllBytes();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child JVM timed out");
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
  }

  @Test
  void withoutTheModuleTheScalarKernelsRunAndOneWarningSaysHowToEnableTheVectorOnes() throws Exception {
    Result r = java("org.autoprop.cli.Main", "seed", "--batch", "1", "--size", "4");
    assertEquals(0, r.code(), r.out() + r.err());
    assertTrue(r.out().contains("kernels scalar"), r.out());
    assertTrue(r.err().contains("--add-modules jdk.incubator.vector"), r.err());
    int first = r.err().indexOf("--add-modules jdk.incubator.vector");
    assertEquals(-1, r.err().indexOf("--add-modules jdk.incubator.vector", first + 1), "warned once: " + r.err());
  }

  /** The warning quotes the measured factor and where the option goes for java, -jar, Maven and Gradle. */
  @Test
  void theWarningSaysTheMeasuredFactorAndTheFixForEachLauncher() throws Exception {
    Result r = java("org.autoprop.cli.Main", "seed", "--batch", "1", "--size", "4");
    assertEquals(0, r.code(), r.out() + r.err());
    String warning = KernelProvider.missingModuleWarning();
    for (String line : warning.split("\n")) {
      assertTrue(r.err().contains(line), "the child JVM's log lacks the line \"" + line + "\": " + r.err());
    }
    assertTrue(warning.contains("about " + KernelProvider.SCALAR_SLOWDOWN_FMNIST_NET + "x slower on FMNIST-NET"),
        warning);
    for (String fix : new String[] {"--add-modules jdk.incubator.vector", "JDK_JAVA_OPTIONS", "manifest cannot add",
        "maven-surefire-plugin <argLine>", "exec-maven-plugin", "MAVEN_OPTS", "Gradle: jvmArgs",
        "applicationDefaultJvmArgs", "README, \"Running without the vector module\""}) {
      assertTrue(warning.contains(fix), "the warning lacks \"" + fix + "\": " + warning);
    }
    assertTrue(warning.split("\n").length <= 6, "a few lines: " + warning);
  }

  @Test
  void aBadKernelChoiceIsNamed() throws Exception {
    Result r = java("--add-modules", "jdk.incubator.vector", "-Dautoprop.kernels=fast",
        "org.autoprop.cli.Main", "seed", "--batch", "1", "--size", "4");
    assertTrue(r.code() != 0);
    assertTrue(r.err().contains("-Dautoprop.kernels=fast (expected: auto, scalar or vector)"), r.err());
  }
}

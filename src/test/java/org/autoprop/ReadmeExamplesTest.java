package org.autoprop;

import static org.autoprop.testing.TestTensors.maxAbsDiff;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.autoprop.graph.LayerGraph;
import org.autoprop.io.Checkpoint;
import org.autoprop.io.StateDict;
import org.autoprop.models.ReferenceNets;
import org.autoprop.tensor.Tensor;
import org.autoprop.testing.Cases;
import org.autoprop.train.Sgd;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compiles and runs every {@code ```java} block of README.md as written, so the README cannot drift.
 *
 * <p>A block that declares a top-level class is a whole program, compiled as its own file. Any
 * other block is a snippet: its leading imports stay on top and the rest becomes the body of a
 * {@code main} method. A block whose first line is {@code // ...continued} is appended to the block
 * before it. Each program runs in a fresh JVM, as a user would run it (with the vector module, and
 * with the kernels this run tests), in a folder where {@code data/} is the clone's data folder.
 *
 * <p>The training program gets an argument that limits its images (see {@link #trainingImages()}):
 * on the scalar kernels a whole training would dominate the suite. {@code -Dautoprop.test.size=large}
 * trains on more.
 */
class ReadmeExamplesTest {
  static final String CONTINUED = "// ...continued";
  private static final Pattern FENCE = Pattern.compile("^\\s*```\\s*(\\S*)\\s*$");
  private static final Pattern CLASS = Pattern.compile("^(?:public\\s+)?(?:final\\s+)?class\\s+(\\w+)");
  private static final Pattern IMPORT = Pattern.compile("^import\\s+[\\w.*]+\\s*;\\s*$");

  @TempDir Path tmp;

  /** A Java program made from README blocks; {@code lines.get(i)} is the README line of source line i + 1. */
  record Program(String name, String heading, String source, List<Integer> lines) {
    int firstLine() {
      return lines.get(0);
    }
  }

  /** One fenced block: its language, the README line of its first code line, its code lines, its heading. */
  record Block(String language, int firstLine, List<String> code, String heading) {}

  static List<Block> blocks(List<String> markdown) {
    List<Block> out = new ArrayList<>();
    String heading = "";
    for (int i = 0; i < markdown.size(); i++) {
      String line = markdown.get(i);
      if (line.startsWith("#")) {
        heading = line.replaceFirst("^#+\\s*", "");
      }
      Matcher open = FENCE.matcher(line);
      if (!open.matches()) {
        continue;
      }
      int start = i + 1;
      List<String> code = new ArrayList<>();
      i++;
      while (i < markdown.size() && !FENCE.matcher(markdown.get(i)).matches()) {
        code.add(markdown.get(i));
        i++;
      }
      if (i == markdown.size()) {
        throw new IllegalArgumentException("README line " + start + ": code block not closed");
      }
      out.add(new Block(open.group(1).toLowerCase(Locale.ROOT), start + 1, code, heading));
    }
    return out;
  }

  /** The programs of the {@code java} blocks, continuations joined to the block before them. */
  static List<Program> programs(List<String> markdown) {
    List<List<Block>> groups = new ArrayList<>();
    for (Block b : blocks(markdown)) {
      if (!b.language().equals("java")) {
        continue;
      }
      boolean continued = !b.code().isEmpty() && b.code().get(0).trim().equals(CONTINUED);
      if (continued) {
        if (groups.isEmpty()) {
          throw new IllegalArgumentException("README line " + b.firstLine() + ": '" + CONTINUED
              + "' but no Java block before it");
        }
        groups.get(groups.size() - 1).add(b);
      } else {
        groups.add(new ArrayList<>(List.of(b)));
      }
    }
    List<Program> out = new ArrayList<>();
    for (List<Block> group : groups) {
      out.add(program(group));
    }
    return out;
  }

  private static Program program(List<Block> group) {
    List<String> code = new ArrayList<>();
    List<Integer> lines = new ArrayList<>();
    for (Block b : group) {
      for (int k = 0; k < b.code().size(); k++) {
        code.add(b.code().get(k));
        lines.add(b.firstLine() + k);
      }
    }
    Block first = group.get(0);
    for (String line : code) {
      Matcher m = CLASS.matcher(line);
      if (m.find()) {
        return new Program(m.group(1), first.heading(), String.join("\n", code) + "\n", lines);
      }
    }
    // A snippet: the class header goes on the first line after the imports, so line numbers match.
    String name = "ReadmeLine" + first.firstLine();
    int body = 0;
    while (body < code.size() && (code.get(body).isBlank() || IMPORT.matcher(code.get(body)).matches())) {
      body++;
    }
    if (body == code.size()) {
      code.add("");
      lines.add(lines.get(lines.size() - 1));
    }
    code.set(body, "public class " + name + " { public static void main(String[] args) throws Exception { "
        + code.get(body));
    code.set(code.size() - 1, code.get(code.size() - 1) + " } }");
    return new Program(name, first.heading(), String.join("\n", code) + "\n", lines);
  }

  /** Compiles a program into {@code out}; a compile error names the README line. */
  static void compile(Program p, Path out) throws IOException {
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    Path src = out.resolve("src").resolve(p.name() + ".java");
    Files.createDirectories(src.getParent());
    Files.writeString(src, p.source());
    Path classes = Files.createDirectories(out.resolve("classes"));
    DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
    StringWriter log = new StringWriter();
    try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, Locale.ROOT, StandardCharsets.UTF_8)) {
      List<String> options = List.of("-proc:none", "-encoding", "UTF-8", "-d", classes.toString(), "-cp", testClassPath());
      boolean ok = javac.getTask(log, files, diagnostics, options, null, files.getJavaFileObjects(src)).call();
      if (!ok) {
        StringBuilder sb = new StringBuilder("README block '" + p.heading() + "' (line " + p.firstLine()
            + ") does not compile:");
        for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
          if (d.getKind() == Diagnostic.Kind.ERROR) {
            long line = d.getLineNumber();
            String where = line >= 1 && line <= p.lines().size() ? "README line " + p.lines().get((int) line - 1) : "?";
            sb.append("\n  ").append(where).append(": ").append(d.getMessage(Locale.ROOT));
          }
        }
        fail(sb.append(log).toString());
      }
    }
  }

  /** The test class path (surefire passes it in a property when it starts the JVM from a manifest-only jar). */
  static String testClassPath() {
    return System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
  }

  /** Runs a compiled program in a fresh JVM in {@code dir}; returns its output (stdout and stderr). */
  static String run(Program p, Path dir, List<String> args) throws Exception {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC"));
    String kernels = System.getProperty("autoprop.kernels");
    if (kernels != null) {
      command.add("-Dautoprop.kernels=" + kernels);
    }
    command.addAll(List.of("-cp", dir.resolve("classes") + File.pathSeparator + testClassPath(), p.name()));
    command.addAll(args);
    Path output = dir.resolve("output.txt");
    Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(output.toFile()).start();
    long minutes = Cases.large() ? 30 : 5;
    if (!process.waitFor(minutes, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      fail("README block '" + p.heading() + "' (line " + p.firstLine() + ") still running after " + minutes
          + " minutes:\n" + Files.readString(output));
    }
    String text = Files.readString(output);
    assertEquals(0, process.exitValue(), () -> "README block '" + p.heading() + "' (line " + p.firstLine()
        + ") exited with " + process.exitValue() + ":\n" + text);
    return text;
  }

  private static String accuracyLine(String out) {
    return out.lines().filter(l -> l.startsWith("test accuracy ")).findFirst().orElse("no accuracy line in:\n" + out);
  }

  /** The images the training program trains and tests on: a few on the scalar kernels, where it is slowest. */
  static int trainingImages() {
    return Cases.size(Cases.scalarKernels() ? 8 : 64, 512);
  }

  /**
   * {@code file} holds FMNIST-NET's state dict (loaded strictly: every name and shape, finite
   * values; a mismatch throws) and every weight moved from the seed-1 initialization the program
   * started from.
   */
  static void assertTrainedWeights(Path file) throws IOException {
    LayerGraph model = ReferenceNets.fashionNet(1);
    StateDict.load(model, file);
    Map<String, Tensor> initial = StateDict.of(ReferenceNets.fashionNet(1));
    List<String> unmoved = new ArrayList<>();
    StateDict.of(model).forEach((name, t) -> {
      if (name.endsWith(".weight") && maxAbsDiff(t, initial.get(name)) == 0) {
        unmoved.add(name);
      }
    });
    assertEquals(List.of(), unmoved, "weights that training left at their initial values");
  }

  @TestFactory
  Stream<DynamicTest> everyJavaBlockCompilesAndRuns() throws IOException {
    List<Program> programs = programs(Files.readAllLines(Path.of("README.md")));
    assertTrue(programs.size() >= 2, () -> "Java blocks found in README.md: " + programs.size());
    Path data = Path.of("data").toAbsolutePath();
    return programs.stream().map(p -> DynamicTest.dynamicTest(
        "line " + p.firstLine() + ": " + p.heading() + " (" + p.name() + ")", () -> {
          Path dir = Files.createDirectories(tmp.resolve(p.name()));
          compile(p, dir);
          Path link = Files.createSymbolicLink(dir.resolve("data"), data);
          try {
            if (p.name().equals("TrainFashion")) {
              String out = run(p, dir, List.of(Integer.toString(trainingImages())));
              Path weights = dir.resolve("fmnist.safetensors");
              assertTrue(Files.isRegularFile(weights), () -> "no fmnist.safetensors written; output:\n" + out);
              assertTrainedWeights(weights);
            } else if (p.name().equals("Evaluate")) {
              // The weights TrainFashion would have left in its folder, and a CLI-style checkpoint.
              LayerGraph trained = ReferenceNets.fashionNet(5);
              StateDict.save(trained, dir.resolve("fmnist.safetensors"));
              String out = run(p, dir, List.of());
              assertTrue(out.contains("test accuracy ") && out.contains("% on 1000 images"), () -> out);
              Checkpoint.save(dir.resolve("checkpoint.safetensors"), trained, new Sgd(trained.parameters(), 0.1), 1, 5,
                  Map.of());
              String fromCheckpoint = run(p, dir, List.of("checkpoint.safetensors"));
              assertEquals(accuracyLine(out), accuracyLine(fromCheckpoint),
                  "a checkpoint loads the same weights as the state dict");
            } else {
              String out = run(p, dir, List.of());
              if (p.heading().equals("A transformer from LayerNodes")) {
                double accuracy = out.lines().filter(l -> l.startsWith("test accuracy "))
                    .mapToDouble(l -> Double.parseDouble(l.substring("test accuracy ".length()))).findFirst()
                    .orElseThrow(() -> new AssertionError("no test accuracy printed:\n" + out));
                assertTrue(accuracy >= 0.95, () -> "the transformer did not learn the task:\n" + out);
              }
              if (p.heading().equals("Quick start")) {
                assertTrue(out.contains("BatchNorm2D"), () -> "the summary is not printed:\n" + out);
                assertTrue(out.lines().anyMatch(l -> l.startsWith("PASS")), () -> "the gradient check fails:\n" + out);
              }
            }
          } finally {
            Files.delete(link); // the link only: JUnit's clean-up warns about links leaving the temp folder
          }
        }));
  }

  @Test
  void snippetsAreWrappedProgramsKeptAndContinuationsJoined() {
    List<String> md = List.of(
        "# Title",                                     // 1
        "```java",                                     // 2
        "import java.util.List;",                      // 3
        "",                                            // 4
        "List<Integer> xs = List.of(1, 2);",           // 5
        "```",                                         // 6
        "text",                                        // 7
        "```sh",                                       // 8
        "ls",                                          // 9
        "```",                                         // 10
        "## Next",                                     // 11
        "```java",                                     // 12
        CONTINUED,                                     // 13
        "System.out.println(xs);",                     // 14
        "```",                                         // 15
        "```java",                                     // 16
        "public class Hello {",                        // 17
        "  public static void main(String[] a) {}",    // 18
        "}",                                           // 19
        "```");
    List<Program> ps = programs(md);
    assertEquals(2, ps.size());
    Program snippet = ps.get(0);
    assertEquals("ReadmeLine3", snippet.name());
    assertEquals("Title", snippet.heading());
    assertEquals(List.of(3, 4, 5, 13, 14), snippet.lines());
    assertEquals("import java.util.List;\n\npublic class ReadmeLine3 { public static void main(String[] args) "
        + "throws Exception { List<Integer> xs = List.of(1, 2);\n" + CONTINUED + "\nSystem.out.println(xs); } }\n",
        snippet.source());
    Program hello = ps.get(1);
    assertEquals("Hello", hello.name());
    assertEquals(List.of(17, 18, 19), hello.lines());
    assertEquals("public class Hello {\n  public static void main(String[] a) {}\n}\n", hello.source());
  }

  @Test
  void untrainedOrForeignWeightsAreNotTakenForTheTrainingsOutput() throws IOException {
    Path untrained = tmp.resolve("untrained.safetensors");
    StateDict.save(ReferenceNets.fashionNet(1), untrained);
    AssertionError e = assertThrows(AssertionError.class, () -> assertTrainedWeights(untrained));
    assertTrue(e.getMessage().startsWith("weights that training left at their initial values"), e.getMessage());
    Path other = tmp.resolve("other.safetensors");
    StateDict.save(new org.autoprop.layer.Dense(3, 2), other);
    assertThrows(org.autoprop.io.StateMismatchException.class, () -> assertTrainedWeights(other));
  }

  @Test
  void aBlockThatDoesNotCompileIsReportedAtItsReadmeLine() {
    List<String> md = List.of("## Training", "```java", "import java.nio.file.Path;", "Path p = Path.of(\"x\");",
        "fit(train, test);", "```");
    Program p = programs(md).get(0);
    AssertionError e = assertThrows(AssertionError.class, () -> compile(p, tmp));
    assertTrue(e.getMessage().startsWith("README block 'Training' (line 3) does not compile:\n  README line 5: "),
        e.getMessage());
  }

  @Test
  void aContinuationWithNothingBeforeItIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> programs(List.of("```java", CONTINUED, "```")));
    assertEquals("README line 2: '" + CONTINUED + "' but no Java block before it", e.getMessage());
  }
}

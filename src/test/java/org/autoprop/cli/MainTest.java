package org.autoprop.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.autoprop.train.EpochResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command-line job end to end, in-process. */
class MainTest {
  record Run(int code, String out, String err) {}

  static Run run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void seedBuildsTheThreeReadmeGraphsAndChecksTheirGradients() {
    Run r = run("seed", "--batch", "2", "--size", "6");
    assertEquals(0, r.code(), r.out() + r.err());
    for (String graph : List.of("'linear'", "'shortcut'", "'chcat'")) {
      assertTrue(r.out().contains("== seed graph " + graph), graph);
    }
    assertTrue(r.out().contains("[2, 36, 6, 6]"), "CHCAT output shape");
    assertTrue(r.out().contains("all seed graphs: gradient check PASS"), r.out());
    assertEquals(3, r.out().split("\nPASS: \\|numeric - analytic\\| <= atol \\+ 1.0e-02", -1).length - 1, r.out());
  }

  @Test
  void trainsOnTheEmbeddedSubsetAndWritesItsOutputs(@TempDir Path dir) throws Exception {
    Run r = run("train", "--data", "data/fashion-mnist-subset", "--limit", "256", "--epochs", "1", "--batch", "64",
        "--out", dir.toString());
    assertEquals(0, r.code(), r.out() + r.err());
    assertTrue(r.out().contains("data: Fashion-MNIST from data/fashion-mnist-subset: 5000 training and 1000 test images"
        + " (training on the first 256)"), r.out());
    assertTrue(r.out().contains("test accuracy: "), r.out());
    assertTrue(r.out().contains("9 Ankle boot"), "confusion matrix rows are named");
    assertTrue(Files.size(dir.resolve("checkpoint.safetensors")) > 100_000);
    assertTrue(Files.readString(dir.resolve("curves.svg")).contains("<svg"));

    Path checkpoint = dir.resolve("checkpoint.safetensors");
    byte[] first = Files.readAllBytes(checkpoint);

    Run again = run("train", "--data", "data/fashion-mnist-subset", "--limit", "256", "--epochs", "1", "--batch", "64",
        "--out", dir.toString());
    assertEquals(1, again.code(), again.out() + again.err());
    assertTrue(again.err().contains("--out " + dir + " already holds a checkpoint of another run"), again.err());
    assertTrue(again.err().contains("pass --overwrite"), again.err());

    Run nothing = run("train", "--data", "data/fashion-mnist-subset", "--limit", "256", "--batch", "64",
        "--resume", checkpoint.toString());
    assertEquals(0, nothing.code(), nothing.out() + nothing.err());
    assertTrue(nothing.out().contains("nothing to train: the checkpoint has 1 epochs and the run plans 1 (pass --epochs N "
        + "to train more); nothing was written"), nothing.out());
    assertTrue(java.util.Arrays.equals(first, Files.readAllBytes(checkpoint)), "the checkpoint is untouched");

    Run resumed = run("train", "--data", "data/fashion-mnist-subset", "--limit", "256", "--epochs", "2", "--batch", "32",
        "--resume", checkpoint.toString());
    assertEquals(0, resumed.code(), resumed.out() + resumed.err());
    assertTrue(resumed.out().contains("resumed from " + checkpoint + " after epoch 1"), resumed.out());
    assertTrue(resumed.out().contains("warning: resuming a run trained with batch '64'; this run uses '32'"),
        resumed.out());
    assertTrue(resumed.out().contains("warning: the schedule was planned for 1 epochs and is re-planned for 2: at step 4"),
        resumed.out());
    assertTrue(resumed.out().contains("epoch 2/2"), resumed.out());
    assertTrue(resumed.out().contains("test loss"), "the held-out set is the test set and is called so");
    assertTrue(resumed.out().contains("output: " + dir.toAbsolutePath()), "a resumed run writes beside its checkpoint");
  }

  @Test
  void trainsTheVisionTransformerWithItsRecipe(@TempDir Path dir) throws Exception {
    Run r = run("train", "--model", "vit", "--data", "data/fashion-mnist-subset", "--limit", "256", "--epochs", "1",
        "--batch", "64", "--out", dir.toString());
    assertEquals(0, r.code(), r.out() + r.err());
    assertTrue(r.out().contains("training: vit, recipe vit, 1 epochs, batch 64, lr 0.00100"), r.out());
    assertTrue(r.out().contains("layers.3"), "the summary shows the four encoder layers:\n" + r.out());
    assertTrue(Files.isRegularFile(dir.resolve("checkpoint.safetensors")));
    Run wrongRecipe = run("train", "--model", "vit", "--recipe", "fast");
    assertEquals(2, wrongRecipe.code());
    assertEquals("error: option --recipe = 'fast' with --model vit (expected: none, or reference: VIT-FMNIST has one"
        + " recipe)", wrongRecipe.err().strip());
    Run unknown = run("train", "--model", "resnet");
    assertEquals(2, unknown.code());
    assertEquals("error: option --model = 'resnet' (expected: fmnist-net, vit or resnet18)", unknown.err().strip());
  }

  @Test
  void trainsResNet18WithItsRecipe(@TempDir Path dir) throws Exception {
    Run r = run("train", "--model", "resnet18", "--data", "data/fashion-mnist-subset", "--limit", "64", "--epochs", "1",
        "--batch", "32", "--out", dir.toString());
    assertEquals(0, r.code(), r.out() + r.err());
    assertTrue(r.out().contains("training: resnet18, recipe resnet18, 1 epochs, batch 32, lr 0.0500"), r.out());
    assertTrue(r.out().contains("layer4"), "the summary shows the four stages:\n" + r.out());
    assertTrue(r.out().contains("test accuracy"), r.out());
    assertTrue(Files.isRegularFile(dir.resolve("checkpoint.safetensors")));
    Run wrongRecipe = run("train", "--model", "resnet18", "--recipe", "fast");
    assertEquals(2, wrongRecipe.code());
    assertEquals("error: option --recipe = 'fast' with --model resnet18 (expected: none, or reference: RESNET18-FMNIST"
        + " has one recipe)", wrongRecipe.err().strip());
  }

  @Test
  void lmTrainsOnTextAndSamples(@TempDir Path dir) throws Exception {
    // Our own text in the fortune files' places: the test needs no package.
    String line = "The quick brown fox jumps over the lazy dog, and the dog sleeps on in the sun.\n";
    for (String name : LmCommand.FILES) {
      Files.writeString(dir.resolve(name), line.repeat(300));
    }
    Run r = run("lm", "--dir", dir.toString(), "--epochs", "2", "--steps", "15", "--batch", "8", "--sample", "20");
    assertEquals(0, r.code(), r.out() + r.err());
    List<Double> losses = r.out().lines().filter(l -> l.startsWith("epoch "))
        .map(l -> Double.parseDouble(l.replaceAll(".*validation loss ([0-9.]+).*", "$1"))).toList();
    assertEquals(2, losses.size(), r.out());
    assertTrue(losses.get(1) < 0.6 * Math.log(256), () -> "the validation loss did not fall:\n" + r.out());
    assertTrue(r.out().lines().filter(l -> l.startsWith("  sample: The ")).count() == 2, r.out());
    Run missing = run("lm", "--dir", dir.resolve("nothing").toString());
    assertEquals(1, missing.code());
    assertTrue(missing.err().startsWith("error: --dir " + dir.resolve("nothing") + ": no fortune file 'fortunes'"),
        missing.err());
  }

  @Test
  void runsGetNumberedFolders(@TempDir Path dir) throws Exception {
    Path base = dir.resolve("fmnist");
    assertEquals(base.resolve("1"), TrainCommand.nextRunFolder(base));
    assertTrue(Files.isDirectory(base.resolve("1")), "the folder is claimed by creating it");
    assertEquals(base.resolve("2"), TrainCommand.nextRunFolder(base), "a second run at once gets the next one");
    Files.createDirectories(base.resolve("7"));
    Files.createDirectories(base.resolve("notes"));
    assertEquals(base.resolve("8"), TrainCommand.nextRunFolder(base));
  }

  @Test
  void helpAndVersionAreAnsweredAnywhere() {
    for (String[] args : new String[][] {{"--help"}, {"train", "--help"}, {"-h"}, {"help"}}) {
      Run r = run(args);
      assertEquals(0, r.code(), String.join(" ", args));
      assertTrue(r.out().startsWith("usage: autoprop"), r.out());
    }
    Run v = run("--version");
    assertEquals(0, v.code());
    assertTrue(v.out().startsWith("AutoProp for Java 0.1.0-SNAPSHOT (JDK " + Runtime.version()), v.out());
  }

  @Test
  void outputAndResumeProblemsAreNamedBeforeAnyTraining(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("a-file"), "x");
    Run notWritable = run("train", "--data", "data/fashion-mnist-subset", "--out", file.resolve("run").toString());
    assertEquals(1, notWritable.code());
    assertTrue(notWritable.err().contains("--out " + file.resolve("run") + " is not a writable folder"), notWritable.err());
    assertTrue(!notWritable.out().contains("training:"), "nothing was trained");

    Run missing = run("train", "--resume", dir.resolve("nope.safetensors").toString());
    assertEquals(1, missing.code());
    assertTrue(missing.err().contains("--resume " + dir.resolve("nope.safetensors") + ": no such file"), missing.err());
    Run folder = run("train", "--resume", dir.toString());
    assertEquals(1, folder.code());
    assertTrue(folder.err().contains("--resume " + dir + ": is a directory"), folder.err());

    Run threads = run("train", "--threads", "4096", "--resume", dir.resolve("nope").toString());
    assertTrue(threads.out().contains("warning: --threads 4096 is more than the "
        + Runtime.getRuntime().availableProcessors() + " available processors"), threads.out());

    Run lr = run("train", "--data", "data/fashion-mnist-subset", "--lr", "1e39", "--out", dir.resolve("lr").toString());
    assertEquals(2, lr.code());
    assertTrue(lr.err().contains("SGD: learning rate 1.0E39 (expected: >= 0 and finite as a float"), lr.err());
  }

  /** A run that diverges stops with exit 1 and leaves the last good checkpoint as it was. */
  @Test
  void divergenceKeepsTheLastGoodCheckpoint(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("run");
    Run first = run("train", "--data", "data/fashion-mnist-subset", "--limit", "512", "--epochs", "1",
        "--out", out.toString());
    assertEquals(0, first.code(), first.err());
    Path checkpoint = out.resolve("checkpoint.safetensors");
    byte[] good = Files.readAllBytes(checkpoint);
    Run diverged = run("train", "--data", "data/fashion-mnist-subset", "--limit", "512", "--epochs", "2",
        "--lr", "1e6", "--resume", checkpoint.toString());
    assertEquals(1, diverged.code(), diverged.out());
    assertTrue(diverged.err().contains("error: training diverged: ") && diverged.err().contains("epoch 2"), diverged.err());
    assertTrue(diverged.err().contains("the last checkpoint written (if any) is the last good one"), diverged.err());
    assertArrayEquals(good, Files.readAllBytes(checkpoint), "the good checkpoint is untouched");
  }

  /** A heap too small for the batch gives one line that says how to give more, not a stack trace. */
  @Test
  void outOfMemoryGivesOneLineWithTheFix(@TempDir Path dir) throws Exception {
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--add-modules", "jdk.incubator.vector", "-Xmx96m", "-cp", System.getProperty("java.class.path"),
        Main.class.getName(), "train", "--data", "data/fashion-mnist-subset", "--batch", "512", "--limit", "512",
        "--epochs", "1", "--out", dir.resolve("run").toString()).redirectErrorStream(false).start();
    p.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(1, p.waitFor(), err);
    List<String> lines = err.lines().filter(l -> !l.startsWith("WARNING: Using incubator modules")).toList();
    assertEquals(1, lines.size(), err);
    assertTrue(lines.get(0).startsWith("error: out of memory: the heap holds at most "), err);
    assertTrue(lines.get(0).contains("AUTOPROP_JAVA_OPTS=-Xmx"), err);
  }

  @Test
  void badEngineSystemPropertiesGiveOneLine() throws Exception {
    for (String[] prop : new String[][] {{"-Dautoprop.threads=many", "error: -Dautoprop.threads=many (expected: an integer >= 1)"},
        {"-Dautoprop.kernels=gpu", "error: -Dautoprop.kernels=gpu (expected: auto, scalar or vector)"}}) {
      Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "--add-modules", "jdk.incubator.vector", prop[0], "-cp", System.getProperty("java.class.path"),
          Main.class.getName(), "seed", "--batch", "1", "--size", "4").redirectErrorStream(false).start();
      String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
      p.getInputStream().readAllBytes();
      assertEquals(2, p.waitFor(), err);
      List<String> lines = err.lines().filter(l -> !l.startsWith("WARNING: Using incubator modules")).toList();
      assertEquals(List.of(prop[1]), lines);
    }
  }

  @Test
  void historyRoundTripsThroughCheckpointMetadata() {
    List<EpochResult> h = List.of(new EpochResult(0, 1.5, 0.5, 1.25, 0.6, 0.1, 12.5, 480),
        new EpochResult(1, 0.75, 0.7, Double.NaN, Double.NaN, 0.05, 11, 500));
    assertEquals(h, TrainCommand.parseHistory(TrainCommand.formatHistory(h)));
  }

  @Test
  void badOptionsAreNamed() {
    Run unknown = run("train", "--epoch", "3");
    assertEquals(2, unknown.code());
    assertTrue(unknown.err().contains("unknown option '--epoch'"), unknown.err());
    Run negative = run("train", "--batch", "-4");
    assertEquals(2, negative.code());
    assertTrue(negative.err().contains("option --batch = '-4' (expected: a positive integer)"), negative.err());
    Run recipe = run("train", "--recipe", "slow");
    assertEquals(2, recipe.code());
    assertTrue(recipe.err().contains("option --recipe = 'slow' (expected: fast or reference)"), recipe.err());
    Run missing = run("train", "--data", "/nonexistent");
    assertEquals(1, missing.code());
    assertTrue(missing.err().contains("--data /nonexistent: expected the four Fashion-MNIST IDX files"), missing.err());
    Run command = run("fly");
    assertEquals(2, command.code());
    assertTrue(command.err().contains("Unknown command 'fly'"), command.err());
  }
}

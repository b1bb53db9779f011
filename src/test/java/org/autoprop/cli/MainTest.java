package org.autoprop.cli;

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
    assertTrue(r.out().contains("all seed graphs: worst relative gradient error"), r.out());
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

    Run resumed = run("train", "--data", "data/fashion-mnist-subset", "--limit", "256", "--epochs", "2", "--batch", "64",
        "--out", dir.toString(), "--resume", dir.resolve("checkpoint.safetensors").toString());
    assertEquals(0, resumed.code(), resumed.out() + resumed.err());
    assertTrue(resumed.out().contains("resumed from " + dir.resolve("checkpoint.safetensors") + " after epoch 1"), resumed.out());
    assertTrue(resumed.out().contains("epoch 2/2"), resumed.out());
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

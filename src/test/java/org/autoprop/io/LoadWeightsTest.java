package org.autoprop.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.autoprop.layer.Layer;
import org.autoprop.tensor.Tensor;
import org.autoprop.train.Adam;
import org.autoprop.train.DenseFixture;
import org.autoprop.train.Sgd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One call loads the weights of a state dict or a checkpoint; a prefix mismatch says how to load. */
class LoadWeightsTest {
  @TempDir Path dir;

  private static void assertSameWeights(Layer expected, Layer actual) {
    StateDict.of(expected).forEach((k, v) -> assertArrayEquals(v.toArray(), StateDict.of(actual).get(k).toArray(), k));
  }

  private Path checkpoint(DenseFixture trained) throws IOException {
    Path f = dir.resolve("checkpoint.safetensors");
    Checkpoint.save(f, trained, new Sgd(trained.parameters(), 0.1, 0.9), 4, 11, Map.of("note", "x"));
    return f;
  }

  @Test
  void loadWeightsReadsACheckpoint() throws IOException {
    DenseFixture trained = new DenseFixture("fc", 4, 3, 1);
    Path f = checkpoint(trained);
    DenseFixture model = new DenseFixture("fc", 4, 3, 2);
    StateDict.loadWeights(model, f);
    assertSameWeights(trained, model);
  }

  @Test
  void loadWeightsReadsAStateDict() throws IOException {
    DenseFixture trained = new DenseFixture("fc", 4, 3, 1);
    Path f = dir.resolve("w.safetensors");
    StateDict.save(trained, f);
    DenseFixture model = new DenseFixture("fc", 4, 3, 2);
    StateDict.loadWeights(model, f);
    assertSameWeights(trained, model);
  }

  @Test
  void loadWeightsIsStrict() throws IOException {
    Path f = checkpoint(new DenseFixture("fc", 4, 3, 1));
    DenseFixture other = new DenseFixture("fc", 5, 3, 2);
    StateMismatchException e = assertThrows(StateMismatchException.class, () -> StateDict.loadWeights(other, f));
    assertEquals(List.of("fc.weight [3, 4] (expected: [3, 5])"), e.mismatched());
  }

  @Test
  void strictLoadOfACheckpointSaysHowToLoadIt() throws IOException {
    Path f = checkpoint(new DenseFixture("fc", 4, 3, 1));
    DenseFixture model = new DenseFixture("fc", 4, 3, 2);
    StateMismatchException e = assertThrows(StateMismatchException.class, () -> StateDict.load(model, f));
    String hint = "the names in the file start with 'model.' and the model's do not: a checkpoint? load its weights "
        + "with StateDict.loadWeights(model, file)";
    assertEquals(hint, e.hint());
    assertTrue(e.getMessage().startsWith(f + ": 3 missing [fc.weight, fc.bias, fc.running_mean], 5 unexpected"),
        e.getMessage());
    assertTrue(e.getMessage().endsWith("; " + hint), e.getMessage());
  }

  @Test
  void anotherCommonPrefixIsNamedAndTheAdviceWorks() throws IOException {
    DenseFixture trained = new DenseFixture("fc", 4, 3, 1);
    Map<String, Tensor> wrapped = new LinkedHashMap<>();
    StateDict.of(trained).forEach((k, v) -> wrapped.put("module." + k, v)); // PyTorch's DataParallel
    Path f = dir.resolve("wrapped.safetensors");
    SafeTensors.write(f, wrapped, Map.of());
    DenseFixture model = new DenseFixture("fc", 4, 3, 2);
    StateMismatchException e = assertThrows(StateMismatchException.class, () -> StateDict.loadWeights(model, f));
    assertEquals("the names in the file start with 'module.' and the model's do not: load them with "
        + "StateDict.load(model, SafeTensors.read(file), \"module.\", name)", e.hint());
    StateDict.load(model, SafeTensors.read(f), "module.", f.toString());
    assertSameWeights(trained, model);
  }

  @Test
  void aModelWithAnExtraPrefixIsNamed() throws IOException {
    DenseFixture part = new DenseFixture("", 4, 3, 1);
    Path f = dir.resolve("part.safetensors");
    StateDict.save(part, f);
    DenseFixture model = new DenseFixture("fc", 4, 3, 2);
    StateMismatchException e = assertThrows(StateMismatchException.class, () -> StateDict.load(model, f));
    assertEquals("the model's names start with 'fc.' and the names in the file do not: the file holds the weights "
        + "of that part of the model; load it into that sub-layer", e.hint());
  }

  @Test
  void unrelatedNamesGiveNoHint() throws IOException {
    Path f = dir.resolve("w.safetensors");
    StateDict.save(new DenseFixture("fc", 4, 3, 1), f);
    StateMismatchException e = assertThrows(StateMismatchException.class,
        () -> StateDict.load(new DenseFixture("head", 4, 3, 2), f));
    assertEquals("", e.hint());
    assertTrue(e.getMessage().endsWith("0 shape mismatches []"), e.getMessage());
  }

  @Test
  void checkpointLoadWithoutAnOptimizerLoadsTheWeights() throws IOException {
    DenseFixture trained = new DenseFixture("fc", 4, 3, 1);
    Path f = dir.resolve("adam.safetensors");
    Adam adam = new Adam(trained.parameters(), 0.02);
    Checkpoint.save(f, trained, adam, 4, 11, Map.of("note", "x"));
    DenseFixture model = new DenseFixture("fc", 4, 3, 2);
    Checkpoint.Info info = Checkpoint.load(f, model, null);
    assertEquals(new Checkpoint.Info(4, 11, 0, 0.02, Map.of("note", "x")), info);
    assertSameWeights(trained, model);
  }

  @Test
  void checkpointLoadOfAStateDictSaysWhatToUse() throws IOException {
    Path f = dir.resolve("w.safetensors");
    StateDict.save(new DenseFixture("fc", 4, 3, 1), f);
    IOException e = assertThrows(IOException.class, () -> Checkpoint.load(f, new DenseFixture("fc", 4, 3, 2), null));
    assertEquals(f + ": format 'null' (expected: autoprop-checkpoint-1); a weights file? load it with "
        + "StateDict.loadWeights(model, file)", e.getMessage());
  }
}

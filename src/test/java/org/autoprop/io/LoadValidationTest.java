package org.autoprop.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.autoprop.layer.BatchNorm2D;
import org.autoprop.layer.Layer;
import org.autoprop.tensor.Tensor;
import org.autoprop.train.DenseFixture;
import org.autoprop.train.Sgd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Loading refuses values no trained model has (non-finite weights, negative running variances)
 * and checkpoint metadata out of range, naming the tensor and index or the key, and changes
 * nothing.
 */
class LoadValidationTest {
  @TempDir Path dir;

  /** A copy of every tensor of the model, to check nothing changed. */
  private static Map<String, float[]> snapshot(Layer model) {
    Map<String, float[]> out = new LinkedHashMap<>();
    StateDict.of(model).forEach((k, v) -> out.put(k, v.toArray()));
    return out;
  }

  private static void assertUnchanged(Map<String, float[]> before, Layer model) {
    StateDict.of(model).forEach((k, v) -> assertArrayEquals(before.get(k), v.toArray(), k));
  }

  @ParameterizedTest(name = "{0}[{1}] = {2}")
  @CsvSource(delimiter = '|', value = {
    "fc.weight| 5| NaN| tensor 'fc.weight' has NaN at index 5 [1, 1] (expected: finite values)",
    "fc.weight| 11| -Infinity| tensor 'fc.weight' has -Infinity at index 11 [2, 3] (expected: finite values)",
    "fc.bias| 2| Infinity| tensor 'fc.bias' has Infinity at index 2 (expected: finite values)",
    "fc.running_mean| 0| NaN| tensor 'fc.running_mean' has NaN at index 0 (expected: finite values)",
  })
  void nonFiniteWeightsAreRefused(String name, int index, float value, String expected) throws IOException {
    DenseFixture saved = new DenseFixture("fc", 4, 3, 1);
    StateDict.of(saved).get(name).data()[index] = value;
    Path f = dir.resolve("w.safetensors");
    StateDict.save(saved, f);
    DenseFixture model = new DenseFixture("fc", 4, 3, 2);
    Map<String, float[]> before = snapshot(model);
    IOException e = assertThrows(IOException.class, () -> StateDict.load(model, f));
    assertEquals(f + ": " + expected, e.getMessage());
    e = assertThrows(IOException.class, () -> StateDict.loadWeights(model, f));
    assertEquals(f + ": " + expected, e.getMessage());
    IllegalArgumentException i = assertThrows(IllegalArgumentException.class,
        () -> StateDict.load(model, SafeTensors.read(f), "", "weights"));
    assertEquals("weights: " + expected, i.getMessage());
    assertUnchanged(before, model);
  }

  @ParameterizedTest(name = "running_var[1] = {0}")
  @CsvSource({
    "-0.5, tensor 'running_var' has -0.5 at index 1 (expected: a running variance >= 0)",
    "NaN, tensor 'running_var' has NaN at index 1 (expected: finite values)",
  })
  void aNegativeOrNonFiniteRunningVarianceIsRefused(float value, String expected) throws IOException {
    BatchNorm2D saved = new BatchNorm2D(3);
    saved.runningVar().data()[1] = value;
    Path f = dir.resolve("bn.safetensors");
    StateDict.save(saved, f);
    BatchNorm2D model = new BatchNorm2D(3);
    IOException e = assertThrows(IOException.class, () -> StateDict.load(model, f));
    assertEquals(f + ": " + expected, e.getMessage());
    assertArrayEquals(new float[] {1, 1, 1}, model.runningVar().toArray());
    saved.runningVar().data()[1] = 0; // zero is a variance (a constant channel)
    StateDict.save(saved, f);
    StateDict.load(model, f);
    assertArrayEquals(new float[] {1, 0, 1}, model.runningVar().toArray());
  }

  @Test
  void aCheckpointWithNonFiniteWeightsOrStateIsRefused() throws IOException {
    DenseFixture saved = new DenseFixture("fc", 4, 3, 1);
    Sgd sgd = new Sgd(saved.parameters(), 0.1, 0.9);
    Path f = dir.resolve("ckpt.safetensors");
    saved.parameters().get(0).value().data()[7] = Float.NaN;
    Checkpoint.save(f, saved, sgd, 1, 2, Map.of());
    DenseFixture model = new DenseFixture("fc", 4, 3, 2);
    Sgd opt = new Sgd(model.parameters(), 0.1, 0.9);
    Map<String, float[]> before = snapshot(model);
    IOException e = assertThrows(IOException.class, () -> Checkpoint.load(f, model, opt));
    assertEquals(f + ": tensor 'model.fc.weight' has NaN at index 7 [1, 3] (expected: finite values)", e.getMessage());
    e = assertThrows(IOException.class, () -> Checkpoint.load(f, model, null));
    assertEquals(f + ": tensor 'model.fc.weight' has NaN at index 7 [1, 3] (expected: finite values)", e.getMessage());
    assertUnchanged(before, model);
    assertEquals(0, opt.stepCount());

    saved.parameters().get(0).value().data()[7] = 0;
    String buffer = sgd.state().keySet().iterator().next();
    sgd.state().get(buffer).data()[0] = Float.POSITIVE_INFINITY;
    Checkpoint.save(f, saved, sgd, 1, 2, Map.of());
    e = assertThrows(IOException.class, () -> Checkpoint.load(f, model, opt));
    assertEquals(f + ": tensor 'optimizer." + buffer + "' has Infinity at index 0 [0, 0] (expected: finite values)",
        e.getMessage());
    assertUnchanged(before, model);
  }

  /** A copy of a valid checkpoint with one metadata value replaced. */
  private Path withMetadata(String key, String value) throws IOException {
    DenseFixture m = new DenseFixture("fc", 4, 3, 1);
    Path good = dir.resolve("good.safetensors");
    Checkpoint.save(good, m, new Sgd(m.parameters(), 0.1, 0.9), 3, 7, Map.of());
    SafeTensors st = SafeTensors.read(good);
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    for (String n : st.names()) {
      tensors.put(n, st.tensor(n));
    }
    Map<String, String> meta = new LinkedHashMap<>(st.metadata());
    meta.put(key, value);
    Path f = dir.resolve("edited.safetensors");
    SafeTensors.write(f, tensors, meta);
    return f;
  }

  @ParameterizedTest(name = "{0} = {1}")
  @CsvSource({
    "epoch, 5000000000, metadata epoch 5000000000 (expected: an integer 0 <= epoch <= 2147483647)",
    "epoch, -3, metadata epoch -3 (expected: an integer 0 <= epoch <= 2147483647)",
    "epoch, 5e9, metadata epoch '5e9' (expected: an integer 0 <= epoch <= 2147483647)",
    "optimizer.step, -1, metadata optimizer.step -1 (expected: an integer 0 <= optimizer.step <= 9223372036854775807)",
    "seed, 1.5, metadata seed '1.5' (expected: an integer)",
    "optimizer.lr, NaN, metadata optimizer.lr 'NaN' (expected: a finite number >= 0)",
  })
  void checkpointMetadataOutOfRangeIsRefused(String key, String value, String expected) throws IOException {
    Path f = withMetadata(key, value);
    DenseFixture model = new DenseFixture("fc", 4, 3, 2);
    Sgd opt = new Sgd(model.parameters(), 0.1, 0.9);
    Map<String, float[]> before = snapshot(model);
    IOException e = assertThrows(IOException.class, () -> Checkpoint.load(f, model, opt));
    assertEquals(f + ": " + expected, e.getMessage());
    assertUnchanged(before, model);
    assertEquals(3, Checkpoint.load(withMetadata("note", "x"), model, opt).epoch());
  }

  @Test
  void saveRefusesAnEpochThatLoadWouldRefuse() {
    DenseFixture m = new DenseFixture("fc", 2, 2, 1);
    Sgd sgd = new Sgd(m.parameters(), 0.1);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Checkpoint.save(dir.resolve("c"), m, sgd, -3, 0, Map.of()));
    assertEquals("Checkpoint.save: epoch -3 (expected: 0 <= epoch <= 2147483647)", e.getMessage());
  }
}

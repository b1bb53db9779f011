package org.autoprop.io;

import static org.autoprop.testing.TestTensors.maxAbsDiff;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.autoprop.layer.Layer;
import org.autoprop.layer.Parameter;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.train.CrossEntropyLoss;
import org.autoprop.train.DenseFixture;
import org.autoprop.train.Adam;
import org.autoprop.train.Optimizer;
import org.autoprop.train.Sgd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateDictTest {
  @TempDir Path dir;

  @Test
  void writerRoundTripsThroughTheReader() throws IOException {
    Map<String, Tensor> t = new LinkedHashMap<>();
    t.put("a.weight", Tensor.uniform(Shape.of(3, 5), -1f, 1f, 1));
    t.put("scalar", Tensor.wrap(new float[] {7f}, Shape.of()));
    t.put("view", Tensor.uniform(Shape.of(4, 3), -1f, 1f, 2).transpose(0, 1));
    t.put("big", Tensor.uniform(Shape.of(40000), -1f, 1f, 3));
    Path f = dir.resolve("t.safetensors");
    SafeTensors.write(f, t, Map.of("note", "quote \" and\nnewline"));
    SafeTensors back = SafeTensors.read(f);
    assertEquals(List.copyOf(t.keySet()), List.copyOf(back.names()));
    for (Map.Entry<String, Tensor> e : t.entrySet()) {
      assertEquals(e.getValue().shape(), back.shape(e.getKey()));
      assertEquals(0.0, maxAbsDiff(e.getValue(), back.tensor(e.getKey())), e.getKey());
    }
    assertEquals("quote \" and\nnewline", back.metadata().get("note"));
    long headerLength = java.nio.ByteBuffer.wrap(Files.readAllBytes(f)).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
    assertEquals(0, headerLength % 8, "data section aligned to 8 bytes");
    try (Stream<Path> s = Files.list(dir)) {
      assertEquals(1, s.count(), "no temporary file left");
    }
    assertEquals("rw-r--r--", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(f)),
        "a new file gets ordinary permissions, not the temporary file's owner-only ones");
    Files.setPosixFilePermissions(f, java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw----"));
    SafeTensors.write(f, t, Map.of());
    assertEquals("rw-rw----", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(f)),
        "a replaced file keeps its permissions");
  }

  @Test
  void saveAndStrictLoad() throws IOException {
    DenseFixture a = new DenseFixture("fc", 4, 3, 1);
    a.forward(Tensor.uniform(Shape.of(2, 4), -1f, 1f, 5), true); // moves the buffer
    Path f = dir.resolve("w.safetensors");
    StateDict.save(a, f);
    assertEquals(List.of("fc.weight", "fc.bias", "fc.running_mean"), List.copyOf(SafeTensors.read(f).names()));
    DenseFixture b = new DenseFixture("fc", 4, 3, 2);
    StateDict.load(b, f);
    StateDict.of(a).forEach((k, v) -> assertEquals(0.0, maxAbsDiff(v, StateDict.of(b).get(k)), k));
  }

  @Test
  void strictLoadReportsEverythingAndChangesNothing() throws IOException {
    Map<String, Tensor> saved = new LinkedHashMap<>();
    saved.put("fc.weight", Tensor.zeros(4, 3)); // transposed shape
    saved.put("fc.extra", Tensor.zeros(2));
    saved.put("other.bias", Tensor.zeros(2));
    Path f = dir.resolve("bad.safetensors");
    SafeTensors.write(f, saved, Map.of());
    DenseFixture b = new DenseFixture("fc", 4, 3, 2);
    Tensor before = b.parameters().get(0).value().copy();
    StateMismatchException e = assertThrows(StateMismatchException.class, () -> StateDict.load(b, f));
    assertEquals(List.of("fc.bias", "fc.running_mean"), e.missing());
    assertEquals(List.of("fc.extra", "other.bias"), e.unexpected());
    assertEquals(List.of("fc.weight [4, 3] (expected: [3, 4])"), e.mismatched());
    assertEquals(f + ": 2 missing [fc.bias, fc.running_mean], 2 unexpected [fc.extra, other.bias], "
        + "1 shape mismatches [fc.weight [4, 3] (expected: [3, 4])]", e.getMessage());
    assertEquals(0.0, maxAbsDiff(before, b.parameters().get(0).value()), "nothing changed");
  }

  @Test
  void truncatedAndCorruptFilesGiveClearErrors() throws IOException {
    DenseFixture a = new DenseFixture("fc", 8, 5, 1);
    Path f = dir.resolve("w.safetensors");
    StateDict.save(a, f);
    byte[] raw = Files.readAllBytes(f);
    Path cut = dir.resolve("cut.safetensors");
    Files.write(cut, Arrays.copyOf(raw, raw.length - 10));
    IOException e = assertThrows(IOException.class, () -> StateDict.load(a, cut));
    assertTrue(e.getMessage().startsWith(cut + ": not a valid safetensors file: tensor 'fc.running_mean' has bytes"),
        e.getMessage());
    assertTrue(e.getMessage().contains("file truncated?"), e.getMessage());
    Files.write(cut, Arrays.copyOf(raw, 30));
    e = assertThrows(IOException.class, () -> StateDict.load(a, cut));
    assertTrue(e.getMessage().startsWith(cut + ": not a valid safetensors file: header length"), e.getMessage());
    byte[] garbled = raw.clone();
    garbled[9] = '#';
    Files.write(cut, garbled);
    e = assertThrows(IOException.class, () -> StateDict.load(a, cut));
    assertTrue(e.getMessage().startsWith(cut + ": not a valid safetensors file: Bad JSON"), e.getMessage());
  }

  @Test
  void aWriterThatFailsMidwayLeavesThePreviousFileIntact() throws IOException {
    Path f = dir.resolve("w.safetensors");
    DenseFixture a = new DenseFixture("fc", 4, 3, 1);
    StateDict.save(a, f);
    byte[] previous = Files.readAllBytes(f);
    IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(f, out -> {
      out.write(new byte[100_000]); // more than the buffer, so bytes reach the temporary file
      throw new IOException("disk full (simulated)");
    }));
    assertEquals("disk full (simulated)", e.getMessage());
    assertArrayEquals(previous, Files.readAllBytes(f));
    try (Stream<Path> s = Files.list(dir)) {
      assertEquals(List.of(f), s.toList(), "temporary file removed");
    }
  }

  @Test
  void aModelThatFailsWhileSavingLeavesThePreviousFileIntact() throws IOException {
    Path f = dir.resolve("w.safetensors");
    DenseFixture a = new DenseFixture("fc", 4, 3, 1);
    StateDict.save(a, f);
    byte[] previous = Files.readAllBytes(f);
    Layer broken = new Layer() {
      @Override public Shape outputShape(Shape input) { return input; }
      @Override public Tensor forward(Tensor x, boolean training) { return x; }
      @Override public Tensor backward(Tensor g) { return g; }
      @Override public List<Parameter> parameters() { return a.parameters(); }
      @Override public Map<String, Tensor> buffers() { throw new UncheckedIOException(new IOException("device lost")); }
    };
    assertThrows(UncheckedIOException.class, () -> StateDict.save(broken, f));
    assertArrayEquals(previous, Files.readAllBytes(f));
  }

  @Test
  void aFailedRenameLeavesNoTemporaryFile() throws IOException {
    Path target = dir.resolve("occupied");
    Files.createDirectories(target.resolve("child")); // a non-empty folder cannot be replaced
    assertThrows(IOException.class, () -> StateDict.save(new DenseFixture("fc", 2, 2, 1), target));
    try (Stream<Path> s = Files.list(dir)) {
      assertEquals(List.of(target), s.toList());
    }
  }

  private static void train(DenseFixture model, Optimizer opt, int steps, int from) {
    CrossEntropyLoss loss = new CrossEntropyLoss();
    for (int s = from; s < from + steps; s++) {
      Tensor x = Tensor.uniform(Shape.of(6, 4), -1f, 1f, 100 + s);
      int[] labels = {s % 3, (s + 1) % 3, 2, 0, 1, s % 3};
      opt.zeroGrad();
      loss.forward(model.forward(x, true), labels);
      model.backward(loss.backward());
      opt.step();
    }
  }

  @Test
  void checkpointResumesExactly() throws IOException {
    DenseFixture a = new DenseFixture("fc", 4, 3, 1);
    Adam optA = new Adam(a.parameters(), 0.05, 0.8, 0.99, 1e-8, 0.01);
    train(a, optA, 3, 0);
    Path f = dir.resolve("ckpt.safetensors");
    optA.setLearningRate(0.03);
    Checkpoint.save(f, a, optA, 3, 1234, Map.of("note", "three steps"));
    train(a, optA, 3, 3);

    DenseFixture b = new DenseFixture("fc", 4, 3, 99);
    Adam optB = new Adam(b.parameters(), 0.05, 0.8, 0.99, 1e-8, 0.01);
    Checkpoint.Info info = Checkpoint.load(f, b, optB);
    assertEquals(new Checkpoint.Info(3, 1234, 3, 0.03, Map.of("note", "three steps")), info);
    assertEquals(3, optB.stepCount());
    assertEquals(0.03, optB.learningRate());
    train(b, optB, 3, 3);
    StateDict.of(a).forEach((k, v) -> assertArrayEquals(v.toArray(), StateDict.of(b).get(k).toArray(), k));
    optA.state().forEach((k, v) -> assertArrayEquals(v.toArray(), optB.state().get(k).toArray(), k));
  }

  @Test
  void checkpointLoadChecksEverythingFirst() throws IOException {
    DenseFixture a = new DenseFixture("fc", 4, 3, 1);
    Sgd sgd = new Sgd(a.parameters(), 0.1, 0.9);
    Path f = dir.resolve("ckpt.safetensors");
    Checkpoint.save(f, a, sgd, 1, 2, Map.of());
    IOException e = assertThrows(IOException.class, () -> Checkpoint.load(f, a, new Adam(a.parameters(), 0.1)));
    assertEquals(f + ": saved with optimizer SGD (expected: Adam)", e.getMessage());

    DenseFixture wider = new DenseFixture("fc", 5, 3, 1);
    Sgd other = new Sgd(wider.parameters(), 0.1, 0.9);
    Tensor before = wider.parameters().get(1).value().copy();
    StateMismatchException m = assertThrows(StateMismatchException.class, () -> Checkpoint.load(f, wider, other));
    assertEquals(List.of("model.fc.weight [3, 4] (expected: [3, 5])",
        "optimizer.fc.weight.momentum_buffer [3, 4] (expected: [3, 5])"), m.mismatched());
    assertEquals(0, other.stepCount());
    assertEquals(0.0, maxAbsDiff(before, wider.parameters().get(1).value()));

    IllegalArgumentException r = assertThrows(IllegalArgumentException.class,
        () -> Checkpoint.save(f, a, sgd, 1, 2, Map.of("epoch", "x")));
    assertTrue(r.getMessage().startsWith("Checkpoint: metadata key 'epoch' is reserved"), r.getMessage());
    Path weightsOnly = dir.resolve("w.safetensors");
    StateDict.save(a, weightsOnly);
    e = assertThrows(IOException.class, () -> Checkpoint.load(weightsOnly, a, sgd));
    assertEquals(weightsOnly + ": format 'null' (expected: autoprop-checkpoint-1); a weights file? load it with "
        + "StateDict.loadWeights(model, file)", e.getMessage());
  }
}

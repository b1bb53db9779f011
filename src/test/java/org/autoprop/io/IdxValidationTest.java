package org.autoprop.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import org.autoprop.train.Dataset;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Labels and normalisation are checked when a data set is loaded, not epochs later. */
class IdxValidationTest {
  @TempDir Path dir;
  Path images;
  Path labels;

  @BeforeEach
  void files() throws IOException {
    images = dir.resolve("im.idx");
    labels = dir.resolve("lb.idx");
    Idx.writeImages(images, new Idx.Images(4, 2, 2, new byte[16]), false);
  }

  @ParameterizedTest(name = "gzip={0}")
  @ValueSource(booleans = {false, true})
  void aLabelBeyondTheClassesNamesTheFileAndTheSample(boolean gzip) throws IOException {
    Idx.writeLabels(labels, new byte[] {0, 9, (byte) 200, 3}, gzip);
    IOException e = assertThrows(IOException.class, () -> Idx.load(images, labels, 0.5, 0.25));
    assertEquals(labels + ": label 200 at sample 2 (expected: 0 <= label < 10)", e.getMessage());
    e = assertThrows(IOException.class, () -> Idx.load(images, labels, 100, 0.5, 0.25));
    assertEquals(labels + ": label 200 at sample 2 (expected: 0 <= label < 100)", e.getMessage());
    e = assertThrows(IOException.class, () -> Idx.readLabels(labels, 5));
    assertEquals(labels + ": label 9 at sample 1 (expected: 0 <= label < 5)", e.getMessage());
  }

  @Test
  void theClassCountOverloadAcceptsLabelsBelowIt() throws IOException {
    Idx.writeLabels(labels, new byte[] {0, 9, (byte) 200, (byte) 255}, false);
    Dataset d = Idx.load(images, labels, 256, 0, 1);
    assertArrayEquals(new int[] {0, 9, 200, 255}, d.labels());
    Idx.writeLabels(labels, new byte[] {0, 9, 9, 1}, false);
    assertArrayEquals(new int[] {0, 9, 9, 1}, Idx.load(images, labels, 0, 1).labels());
  }

  @ParameterizedTest(name = "classes={0}")
  @ValueSource(ints = {0, -1, 257})
  void badClassCounts(int classes) throws IOException {
    Idx.writeLabels(labels, new byte[] {0, 1, 2, 3}, false);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Idx.load(images, labels, classes, 0, 1));
    assertEquals("Idx.load: classes " + classes + " (expected: 1 <= classes <= 256)", e.getMessage());
  }

  @ParameterizedTest(name = "mean={0} std={1}")
  @CsvSource({
    "NaN, 1, mean NaN (expected: a finite number)",
    "Infinity, 1, mean Infinity (expected: a finite number)",
    "-Infinity, 1, mean -Infinity (expected: a finite number)",
    "0, NaN, std NaN (expected: finite and > 0)",
    "0, Infinity, std Infinity (expected: finite and > 0)",
    "0, 0, std 0.0 (expected: finite and > 0)",
    "0, -0.5, std -0.5 (expected: finite and > 0)",
  })
  void badNormalisationIsRejectedNamingTheValue(double mean, double std, String expected) throws IOException {
    Idx.writeLabels(labels, new byte[] {0, 1, 2, 3}, false);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Idx.load(images, labels, mean, std));
    assertEquals("Idx.load: " + expected, e.getMessage());
    assertTrue(Double.isFinite(Idx.load(images, labels, 0, 1).inputs().getFlat(0)));
  }
}

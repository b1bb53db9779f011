package org.autoprop.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.autoprop.io.SafeTensors;
import org.autoprop.tensor.Tensor;

/**
 * Access to the PyTorch-generated reference vectors (copied into {@code src/test/resources/conformance})
 * and the comparison rule of their README: match to 1e-4 relative to the largest magnitude of each
 * expected tensor.
 */
public final class Conformance {
  /** The default tolerance, relative to the largest magnitude of the expected tensor. */
  public static final double TOLERANCE = 1e-4;

  private Conformance() {}

  /** The folder of the reference files. */
  public static Path dir() {
    String d = System.getProperty("autoprop.conformance.dir");
    Path p = d != null ? Paths.get(d) : Paths.get("src/test/resources/conformance");
    if (!Files.isDirectory(p)) {
      throw new IllegalStateException("Conformance folder not found: " + p.toAbsolutePath());
    }
    return p;
  }

  /** Loads {@code name} (with or without the {@code .safetensors} suffix). */
  public static SafeTensors load(String name) {
    String file = name.endsWith(".safetensors") ? name : name + ".safetensors";
    try {
      return SafeTensors.read(dir().resolve(file));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Whether a buffer is a BatchNorm's {@code num_batches_tracked}: the reference files leave it out
   * (the scripts save float tensors), so tests check it against the number of training forwards.
   */
  public static boolean isBatchCounter(String name) {
    return name.equals("num_batches_tracked") || name.endsWith(".num_batches_tracked");
  }

  /** Asserts that a {@code num_batches_tracked} buffer counted {@code forwards} training forwards. */
  public static void assertBatchCounter(String what, Tensor counter, int forwards) {
    assertEquals(org.autoprop.tensor.Shape.of(), counter.shape(), what + ": a rank-0 count, as PyTorch's");
    assertEquals(forwards, counter.getFlat(0), what + ": training forwards counted");
  }

  /** Asserts equal shapes and values within {@link #TOLERANCE} of the expected tensor's scale. */
  public static void assertClose(String what, Tensor expected, Tensor actual) {
    assertClose(what, expected, actual, TOLERANCE);
  }

  /** Asserts equal shapes and values within {@code tolerance} times the expected tensor's scale. */
  public static void assertClose(String what, Tensor expected, Tensor actual, double tolerance) {
    assertEquals(expected.shape(), actual.shape(), what + ": shape");
    double scale = Math.max(expected.maxAbs(), 1e-6);
    double diff = TestTensors.maxAbsDiff(expected, actual);
    assertTrue(diff <= tolerance * scale,
        () -> what + ": max abs diff " + diff + " exceeds " + tolerance + " x scale " + scale);
  }
}

package org.autoprop.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Hostile safetensors files: every violation of the format's rules is a one-line
 * {@link IOException} naming the file and the tensor, never a crash, a wrong tensor or a
 * silently accepted file.
 */
class SafeTensorsHostileTest {
  @TempDir Path dir;

  private Path write(String header, int dataBytes) throws IOException {
    Path f = dir.resolve("hostile.safetensors");
    Files.write(f, SafeTensorsTest.file(header, dataBytes));
    return f;
  }

  private IOException readFails(Path f) {
    IOException e = assertThrows(IOException.class, () -> SafeTensors.read(f));
    assertTrue(e.getMessage().startsWith(f + ": "), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
    return e;
  }

  @Test
  void deeplyNestedHeaderIsAnErrorNotAStackOverflow() throws IOException {
    IOException e = readFails(write("[".repeat(3000), 0));
    assertTrue(e.getMessage().contains("nested deeper than 64"), e.getMessage());
    e = readFails(write("[".repeat(200_000), 0)); // deep enough to overflow an unbounded recursive parser
    assertTrue(e.getMessage().contains("nested deeper than 64"), e.getMessage());
    Path f = write("{\"a\":".repeat(3000) + "1" + "}".repeat(3000), 0);
    e = readFails(f);
    assertTrue(e.getMessage().contains("nested deeper than 64"), e.getMessage());
  }

  @Test
  void nestingUpToTheLimitParses() {
    String deep = "[".repeat(64) + "]".repeat(64);
    assertEquals(1, ((List<?>) Json.parse(deep)).size());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Json.parse("[" + deep + "]"));
    assertTrue(e.getMessage().contains("nested deeper than 64"), e.getMessage());
  }

  @Test
  void headerLargerThanTheLimitIsRejectedBeforeParsing() throws IOException {
    Path f = dir.resolve("huge.safetensors");
    ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(200_000_000L).putLong(0);
    Files.write(f, b.array());
    IOException e = readFails(f);
    assertTrue(e.getMessage().contains("header of 200000000 bytes (expected: at most 100000000)"), e.getMessage());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
    // Not an object where a tensor entry belongs.
    "{\"a\": 5}|0|tensor 'a' is a JSON number (expected: an object with dtype, shape and data_offsets)",
    "{\"a\": [1]}|0|tensor 'a' is a JSON array (expected: an object",
    "{\"a\": {\"dtype\": 5, \"shape\": [1], \"data_offsets\": [0, 4]}}|4|tensor 'a': dtype is a JSON number (expected: a string)",
    "{\"a\": {\"dtype\": \"F32\", \"shape\": 1, \"data_offsets\": [0, 4]}}|4|tensor 'a': shape is a JSON number (expected: an array)",
    "{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": \"0\"}}|4|tensor 'a': data_offsets is a JSON string (expected: an array of 2 integers)",
    "{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0]}}|4|tensor 'a': data_offsets has 1 values (expected: 2)",
    "{\"a\": {\"dtype\": \"F32\", \"shape\": [1]}}|4|tensor 'a' lacks data_offsets",
    "{\"__metadata__\": 5}|0|__metadata__ is a JSON number (expected: an object of strings)",
    "{\"__metadata__\": {\"k\": 5}}|0|__metadata__ 'k' is a JSON number (expected: a string)",
    // Integers only: fractions are not truncated, exponents are not integers in the format.
    "{\"a\": {\"dtype\": \"F32\", \"shape\": [2.5], \"data_offsets\": [0, 8]}}|8|tensor 'a': shape[0] is 2.5 (expected: an integer)",
    "{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8.0]}}|8|tensor 'a': data_offsets[1] is 8.0 (expected: an integer)",
    "{\"a\": {\"dtype\": \"F32\", \"shape\": [250], \"data_offsets\": [0, 1e3]}}|1000|tensor 'a': data_offsets[1] is 1000.0 (expected: an integer)",
    "{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0.5, 4]}}|4|tensor 'a': data_offsets[0] is 0.5 (expected: an integer)",
    // Ranges.
    "{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [8, 4]}}|8|tensor 'a' has data_offsets [8, 4] (expected: 0 <= begin <= end)",
    "{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [-4, 0]}}|4|tensor 'a' has data_offsets [-4, 0]",
    // A byte count that wraps around 2^64 (65536^4 x 4 = 2^66 = 0 mod 2^64).
    "{\"a\": {\"dtype\": \"F32\", \"shape\": [65536, 65536, 65536, 65536], \"data_offsets\": [0, 0]}}|0|tensor 'a' of shape [65536, 65536, 65536, 65536] and dtype F32: byte count overflows",
    // No bytes, but strides that do not fit an int.
    "{\"a\": {\"dtype\": \"F32\", \"shape\": [0, 65536, 65536, 65536], \"data_offsets\": [0, 0]}}|0|tensor 'a': Shape [0, 65536, 65536, 65536] has more than",
    "{\"a\": {\"dtype\": \"X9\", \"shape\": [1], \"data_offsets\": [0, 4]}}|4|tensor 'a' has unsupported dtype X9",
    // Layout: contiguous, non-overlapping, covering the data section exactly.
    "{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}, \"b\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [4, 12]}}|12|tensor 'b' has data_offsets [4, 12], overlapping tensor 'a' [0, 8)",
    "{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}, \"b\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [8, 12]}}|12|bytes [4, 8) of the data section belong to no tensor (before tensor 'b')",
    "{\"b\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 8]}}|8|bytes [0, 4) of the data section belong to no tensor (before tensor 'b')",
    "{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}}|8|4 trailing bytes after the last tensor 'a' (data section of 8 bytes)",
    "{}|4|4 trailing bytes and no tensor (data section of 4 bytes)",
    // JSON itself.
    "{\"a\\uZZZZ\": 1}|0|Bad JSON at character 5: bad \\u escape 'ZZZZ'",
    "{\"a\": 01}|0|bad number '01'",
    "{\"a\": +1}|0|bad number '+1'",
  })
  void violationsNameTheFileAndTheTensor(String header, int dataBytes, String expected) throws IOException {
    IOException e = readFails(write(header, dataBytes));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
    assertFalse(e.getMessage().contains("Exception"), e.getMessage());
  }

  @Test
  void contiguousTensorsInAnyHeaderOrderAreRead() throws IOException {
    // The format orders tensors by offset in the data, not by their order in the header.
    ByteBuffer data = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
    data.putFloat(1f).putFloat(2f).putFloat(3f);
    String header = "{\"b\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [8, 12]}, "
        + "\"e\": {\"dtype\": \"F32\", \"shape\": [0], \"data_offsets\": [8, 8]}, "
        + "\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}}";
    byte[] file = SafeTensorsTest.file(header, 12);
    System.arraycopy(data.array(), 0, file, file.length - 12, 12);
    Path f = dir.resolve("ok.safetensors");
    Files.write(f, file);
    SafeTensors st = SafeTensors.read(f);
    assertEquals(List.of("b", "e", "a"), List.copyOf(st.names()));
    assertEquals(3f, st.tensor("b").getFlat(0));
    assertEquals(2f, st.tensor("a").getFlat(1));
    assertEquals(0, st.tensor("e").size());
  }
}

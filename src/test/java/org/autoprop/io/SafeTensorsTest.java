package org.autoprop.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Malformed headers are reported as malformed files, never as a crash or a silently wrong shape. */
class SafeTensorsTest {
  static byte[] file(String header, int dataBytes) {
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(h.length).put(h);
    return b.array();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
    "{\"a\": 5}|0|tensor 'a' is a JSON number",
    "{\"a\": {\"dtype\": \"F32\", \"shape\": [4294967297], \"data_offsets\": [0, 4]}}|4|extent 4294967297 at axis 0",
    "{\"a\": {\"dtype\": \"F32\", \"shape\": [-1, 0], \"data_offsets\": [0, 0]}}|0|extent -1 at axis 0",
    "{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}}|4|outside the data section",
    "{\"a\": {\"dtype\": \"F16\", \"shape\": [2], \"data_offsets\": [0, 4]}}|4|unsupported dtype F16",
    "{\"a\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [0, 8]}}|8|needs 12 bytes, has 8",
  })
  void malformedHeadersGiveAClearError(String header, int dataBytes, String expected) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SafeTensors.parse(file(header, dataBytes)));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {"{\"a\": {\"dtype\": \"F32\", \"shape\": [2, 0], \"data_offsets\": [0, 0]}}"})
  void emptyTensorsAreFine(String header) {
    assertEquals(0, SafeTensors.parse(file(header, 0)).tensor("a").size());
  }
}

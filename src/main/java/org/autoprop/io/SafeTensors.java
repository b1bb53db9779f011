package org.autoprop.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * The contents of a safetensors file: an 8-byte little-endian header length, a JSON header
 * mapping each tensor name to its dtype, shape and byte range, then the raw little-endian data.
 *
 * <p>Float tensors (F32, F64, F16 is not supported) are read as {@link Tensor}; integer tensors
 * (I64, I32) through {@link #longs(String)}.
 */
public final class SafeTensors {
  private final Map<String, String> metadata;
  private final Map<String, Entry> entries;
  private final ByteBuffer data;

  private record Entry(String dtype, int[] shape, int begin, int end) {}

  private SafeTensors(Map<String, String> metadata, Map<String, Entry> entries, ByteBuffer data) {
    this.metadata = metadata;
    this.entries = entries;
    this.data = data;
  }

  /**
   * Reads a whole file.
   *
   * @throws IOException on a read error, or with a message naming the file on a truncated or
   *     malformed file
   */
  public static SafeTensors read(Path file) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    try {
      return parse(bytes);
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": not a valid safetensors file: " + e.getMessage(), e);
    }
  }

  @SuppressWarnings("unchecked")
  static SafeTensors parse(byte[] bytes) {
    if (bytes.length < 8) {
      throw new IllegalArgumentException("file has " + bytes.length + " bytes (expected: at least 8)");
    }
    ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    long headerLength = buf.getLong(0);
    if (headerLength < 2 || headerLength > bytes.length - 8) {
      throw new IllegalArgumentException(
          "header length " + headerLength + " (expected: 2.." + (bytes.length - 8) + ")");
    }
    String header = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);
    Object parsed = Json.parse(header.trim());
    if (!(parsed instanceof Map)) {
      throw new IllegalArgumentException("header is not a JSON object");
    }
    Map<String, String> metadata = new LinkedHashMap<>();
    Map<String, Entry> entries = new LinkedHashMap<>();
    int dataStart = 8 + (int) headerLength;
    int dataLength = bytes.length - dataStart;
    for (Map.Entry<String, Object> e : ((Map<String, Object>) parsed).entrySet()) {
      if (e.getKey().equals("__metadata__")) {
        for (Map.Entry<String, Object> m : ((Map<String, Object>) e.getValue()).entrySet()) {
          metadata.put(m.getKey(), String.valueOf(m.getValue()));
        }
        continue;
      }
      Map<String, Object> info = (Map<String, Object>) e.getValue();
      String dtype = (String) info.get("dtype");
      List<Object> shapeList = (List<Object>) info.get("shape");
      List<Object> offsets = (List<Object>) info.get("data_offsets");
      if (dtype == null || shapeList == null || offsets == null || offsets.size() != 2) {
        throw new IllegalArgumentException("tensor '" + e.getKey() + "' lacks dtype, shape or data_offsets");
      }
      int[] shape = new int[shapeList.size()];
      long count = 1;
      for (int i = 0; i < shape.length; i++) {
        shape[i] = ((Number) shapeList.get(i)).intValue();
        count *= shape[i];
      }
      long begin = ((Number) offsets.get(0)).longValue();
      long end = ((Number) offsets.get(1)).longValue();
      if (begin < 0 || end < begin || end > dataLength) {
        throw new IllegalArgumentException("tensor '" + e.getKey() + "' has bytes [" + begin + ", " + end
            + ") outside the data section of " + dataLength + " bytes (file truncated?)");
      }
      if (count * elementSize(dtype, e.getKey()) != end - begin) {
        throw new IllegalArgumentException("tensor '" + e.getKey() + "' of shape " + java.util.Arrays.toString(shape)
            + " and dtype " + dtype + " needs " + count * elementSize(dtype, e.getKey()) + " bytes, has " + (end - begin));
      }
      entries.put(e.getKey(), new Entry(dtype, shape, (int) begin, (int) end));
    }
    ByteBuffer data = ByteBuffer.wrap(bytes, dataStart, dataLength).slice().order(ByteOrder.LITTLE_ENDIAN);
    return new SafeTensors(Collections.unmodifiableMap(metadata), Collections.unmodifiableMap(entries), data);
  }

  private static int elementSize(String dtype, String name) {
    switch (dtype) {
      case "F64":
      case "I64":
        return 8;
      case "F32":
      case "I32":
        return 4;
      default:
        throw new IllegalArgumentException("tensor '" + name + "' has unsupported dtype " + dtype
            + " (expected: F32, F64, I32 or I64)");
    }
  }

  /** The {@code __metadata__} strings of the header. */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** Tensor names in header order. */
  public Set<String> names() {
    return entries.keySet();
  }

  /** True if the file holds a tensor of that name. */
  public boolean contains(String name) {
    return entries.containsKey(name);
  }

  /** The shape of a tensor. */
  public Shape shape(String name) {
    return Shape.of(entry(name).shape());
  }

  /** A float tensor (F32, or F64 rounded to float) as a new {@link Tensor}. */
  public Tensor tensor(String name) {
    Entry e = entry(name);
    Shape shape = Shape.of(e.shape());
    float[] out = new float[shape.size()];
    switch (e.dtype()) {
      case "F32":
        for (int i = 0; i < out.length; i++) {
          out[i] = data.getFloat(e.begin() + 4 * i);
        }
        break;
      case "F64":
        for (int i = 0; i < out.length; i++) {
          out[i] = (float) data.getDouble(e.begin() + 8 * i);
        }
        break;
      default:
        throw new IllegalArgumentException("tensor '" + name + "' has dtype " + e.dtype() + " (expected: F32 or F64)");
    }
    return Tensor.wrap(out, shape);
  }

  /** An integer tensor (I64 or I32) as a flat array. */
  public long[] longs(String name) {
    Entry e = entry(name);
    long[] out = new long[Shape.of(e.shape()).size()];
    switch (e.dtype()) {
      case "I64":
        for (int i = 0; i < out.length; i++) {
          out[i] = data.getLong(e.begin() + 8 * i);
        }
        break;
      case "I32":
        for (int i = 0; i < out.length; i++) {
          out[i] = data.getInt(e.begin() + 4 * i);
        }
        break;
      default:
        throw new IllegalArgumentException("tensor '" + name + "' has dtype " + e.dtype() + " (expected: I64 or I32)");
    }
    return out;
  }

  private Entry entry(String name) {
    Entry e = entries.get(name);
    if (e == null) {
      throw new IllegalArgumentException("No tensor '" + name + "' (present: " + entries.keySet() + ")");
    }
    return e;
  }
}

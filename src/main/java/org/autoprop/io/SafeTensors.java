package org.autoprop.io;

import java.io.IOException;
import java.io.OutputStream;
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
 * (I64, I32) through {@link #longs(String)}. {@link #write} writes F32 tensors, atomically.
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

  /** The dtype of a tensor ({@code F32}, {@code F64}, {@code I64}, {@code I32}). */
  public String dtype(String name) {
    return entry(name).dtype();
  }

  /** True if the tensor is F32 or F64 (readable by {@link #tensor(String)}). */
  public boolean isFloat(String name) {
    String d = entry(name).dtype();
    return d.equals("F32") || d.equals("F64");
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

  /**
   * Writes float tensors as F32, in the map's order, with {@code metadata} as the header's
   * {@code __metadata__}. The file is written to a temporary file in the same folder and renamed
   * over {@code file} only when complete, so a failed write leaves the previous file intact.
   *
   * @throws IllegalArgumentException on an empty or reserved tensor name (nothing is written)
   */
  public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
    StringBuilder header = new StringBuilder("{");
    if (metadata != null && !metadata.isEmpty()) {
      header.append("\"__metadata__\":{");
      boolean first = true;
      for (Map.Entry<String, String> m : metadata.entrySet()) {
        header.append(first ? "" : ",").append(Json.quote(m.getKey())).append(':').append(Json.quote(m.getValue()));
        first = false;
      }
      header.append('}');
    }
    long offset = 0;
    for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
      String name = e.getKey();
      if (name == null || name.isEmpty() || name.equals("__metadata__")) {
        throw new IllegalArgumentException("safetensors: bad tensor name '" + name + "'");
      }
      Tensor t = e.getValue();
      long bytes = 4L * t.size();
      header.append(header.length() > 1 ? "," : "").append(Json.quote(name))
          .append(":{\"dtype\":\"F32\",\"shape\":").append(t.shape())
          .append(",\"data_offsets\":[").append(offset).append(',').append(offset + bytes).append("]}");
      offset += bytes;
    }
    header.append('}');
    byte[] h = header.toString().getBytes(StandardCharsets.UTF_8);
    int padded = (h.length + 7) / 8 * 8; // the format aligns the data section to 8 bytes with spaces
    AtomicFiles.write(file, out -> {
      ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
      buf.putLong(padded);
      out.write(buf.array(), 0, 8);
      out.write(h);
      for (int i = h.length; i < padded; i++) {
        out.write(' ');
      }
      buf.clear();
      for (Tensor t : tensors.values()) {
        writeFloats(out, buf, t);
      }
    });
  }

  private static void writeFloats(OutputStream out, ByteBuffer buf, Tensor t) throws IOException {
    Tensor c = t.contiguous();
    float[] d = c.data();
    for (int i = c.offset(), end = c.offset() + c.size(); i < end; i++) {
      if (buf.remaining() < 4) {
        out.write(buf.array(), 0, buf.position());
        buf.clear();
      }
      buf.putFloat(d[i]);
    }
    out.write(buf.array(), 0, buf.position());
    buf.clear();
  }

  private Entry entry(String name) {
    Entry e = entries.get(name);
    if (e == null) {
      throw new IllegalArgumentException("No tensor '" + name + "' (present: " + entries.keySet() + ")");
    }
    return e;
  }
}

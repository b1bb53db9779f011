package org.autoprop.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
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

  /** The largest header accepted, in bytes: the limit of the format's reference implementation. */
  public static final long MAX_HEADER_BYTES = 100_000_000;

  /**
   * Reads a whole file, checking it against the format's rules: a header of at most
   * {@link #MAX_HEADER_BYTES} bytes of JSON, each tensor an object with a known dtype, an integer
   * shape and integer {@code data_offsets}, and the tensors' byte ranges contiguous,
   * non-overlapping and covering the data section exactly.
   *
   * @throws IOException on a read error, or with a one-line message naming the file (and the
   *     tensor, if one is at fault) on a missing, truncated or malformed file
   */
  public static SafeTensors read(Path file) throws IOException {
    byte[] bytes = FileChecks.readAllBytes(file);
    try {
      return parse(bytes);
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": not a valid safetensors file: " + e.getMessage(), e);
    }
  }

  /** Parses a whole file's bytes; throws {@link IllegalArgumentException} naming the tensor at fault. */
  static SafeTensors parse(byte[] bytes) {
    if (bytes.length < 8) {
      throw new IllegalArgumentException("file has " + bytes.length + " bytes (expected: at least 8)");
    }
    ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    long headerLength = buf.getLong(0);
    if (headerLength > MAX_HEADER_BYTES || headerLength < 0) {
      throw new IllegalArgumentException("header of " + Long.toUnsignedString(headerLength)
          + " bytes (expected: at most " + MAX_HEADER_BYTES + ")");
    }
    if (headerLength < 2 || headerLength > bytes.length - 8) {
      throw new IllegalArgumentException(
          "header length " + headerLength + " (expected: 2.." + (bytes.length - 8) + ")");
    }
    String header;
    try {
      header = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes, 8, (int) headerLength)).toString();
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("header is not valid UTF-8");
    }
    Object parsed = Json.parse(header.trim());
    if (!(parsed instanceof Map)) {
      throw new IllegalArgumentException("header is " + jsonType(parsed) + " (expected: an object)");
    }
    Map<String, String> metadata = new LinkedHashMap<>();
    Map<String, Entry> entries = new LinkedHashMap<>();
    int dataStart = 8 + (int) headerLength;
    int dataLength = bytes.length - dataStart;
    for (Map.Entry<?, ?> e : ((Map<?, ?>) parsed).entrySet()) {
      String name = (String) e.getKey();
      if (name.equals("__metadata__")) {
        if (!(e.getValue() instanceof Map)) {
          throw new IllegalArgumentException("__metadata__ is " + jsonType(e.getValue())
              + " (expected: an object of strings)");
        }
        for (Map.Entry<?, ?> m : ((Map<?, ?>) e.getValue()).entrySet()) {
          if (!(m.getValue() instanceof String)) {
            throw new IllegalArgumentException("__metadata__ '" + m.getKey() + "' is " + jsonType(m.getValue())
                + " (expected: a string)");
          }
          metadata.put((String) m.getKey(), (String) m.getValue());
        }
        continue;
      }
      entries.put(name, entry(name, e.getValue(), dataLength));
    }
    checkLayout(entries, dataLength);
    ByteBuffer data = ByteBuffer.wrap(bytes, dataStart, dataLength).slice().order(ByteOrder.LITTLE_ENDIAN);
    return new SafeTensors(Collections.unmodifiableMap(metadata), Collections.unmodifiableMap(entries), data);
  }

  /** One tensor's header entry, checked on its own. */
  private static Entry entry(String name, Object value, int dataLength) {
    if (!(value instanceof Map)) {
      throw new IllegalArgumentException("tensor '" + name + "' is " + jsonType(value)
          + " (expected: an object with dtype, shape and data_offsets)");
    }
    Map<?, ?> info = (Map<?, ?>) value;
    for (String key : new String[] {"dtype", "shape", "data_offsets"}) {
      if (!info.containsKey(key)) {
        throw new IllegalArgumentException("tensor '" + name + "' lacks " + key);
      }
    }
    if (!(info.get("dtype") instanceof String)) {
      throw new IllegalArgumentException("tensor '" + name + "': dtype is " + jsonType(info.get("dtype"))
          + " (expected: a string)");
    }
    String dtype = (String) info.get("dtype");
    int size = elementSize(dtype, name);
    if (!(info.get("shape") instanceof List)) {
      throw new IllegalArgumentException("tensor '" + name + "': shape is " + jsonType(info.get("shape"))
          + " (expected: an array)");
    }
    List<?> shapeList = (List<?>) info.get("shape");
    if (!(info.get("data_offsets") instanceof List)) {
      throw new IllegalArgumentException("tensor '" + name + "': data_offsets is "
          + jsonType(info.get("data_offsets")) + " (expected: an array of 2 integers)");
    }
    List<?> offsets = (List<?>) info.get("data_offsets");
    if (offsets.size() != 2) {
      throw new IllegalArgumentException("tensor '" + name + "': data_offsets has " + offsets.size()
          + " values (expected: 2)");
    }
    int[] shape = new int[shapeList.size()];
    for (int i = 0; i < shape.length; i++) {
      long extent = integer(name, "shape[" + i + "]", shapeList.get(i));
      if (extent < 0 || extent > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("tensor '" + name + "' has extent " + extent
            + " at axis " + i + " (expected: 0 <= extent <= " + Integer.MAX_VALUE + ")");
      }
      shape[i] = (int) extent;
    }
    long begin = integer(name, "data_offsets[0]", offsets.get(0));
    long end = integer(name, "data_offsets[1]", offsets.get(1));
    if (begin < 0 || end < begin) {
      throw new IllegalArgumentException("tensor '" + name + "' has data_offsets [" + begin + ", " + end
          + "] (expected: 0 <= begin <= end)");
    }
    if (end > dataLength) {
      throw new IllegalArgumentException("tensor '" + name + "' has bytes [" + begin + ", " + end
          + ") outside the data section of " + dataLength + " bytes (file truncated?)");
    }
    long bytes;
    try {
      bytes = size;
      for (int extent : shape) {
        bytes = Math.multiplyExact(bytes, extent);
      }
    } catch (ArithmeticException overflow) {
      throw new IllegalArgumentException("tensor '" + name + "' of shape " + java.util.Arrays.toString(shape)
          + " and dtype " + dtype + ": byte count overflows (data section: " + dataLength + " bytes)");
    }
    if (bytes != end - begin) {
      throw new IllegalArgumentException("tensor '" + name + "' of shape " + java.util.Arrays.toString(shape)
          + " and dtype " + dtype + " needs " + bytes + " bytes, has " + (end - begin));
    }
    try {
      Shape.of(shape); // an empty shape can still be too large for int strides
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("tensor '" + name + "': " + e.getMessage(), e);
    }
    return new Entry(dtype, shape, (int) begin, (int) end);
  }

  /** An integer of the header; the format has no fractions or exponents (they are not truncated). */
  private static long integer(String name, String what, Object v) {
    if (v instanceof Long) {
      return (Long) v;
    }
    throw new IllegalArgumentException("tensor '" + name + "': " + what + " is "
        + (v instanceof Double ? v : jsonType(v)) + " (expected: an integer)");
  }

  /**
   * The format's layout rule: sorted by offset, the tensors' byte ranges follow one another with
   * no overlap and no hole, from byte 0 to the end of the data section.
   */
  private static void checkLayout(Map<String, Entry> entries, int dataLength) {
    List<Map.Entry<String, Entry>> sorted = new java.util.ArrayList<>(entries.entrySet());
    sorted.sort(java.util.Comparator.comparingInt((Map.Entry<String, Entry> e) -> e.getValue().begin())
        .thenComparingInt(e -> e.getValue().end()));
    int expected = 0;
    String previous = null;
    for (Map.Entry<String, Entry> e : sorted) {
      Entry t = e.getValue();
      if (t.begin() < expected) {
        throw new IllegalArgumentException("tensor '" + e.getKey() + "' has data_offsets [" + t.begin() + ", "
            + t.end() + "], overlapping tensor '" + previous + "' [" + entries.get(previous).begin() + ", "
            + expected + ")");
      }
      if (t.begin() > expected) {
        throw new IllegalArgumentException("bytes [" + expected + ", " + t.begin()
            + ") of the data section belong to no tensor (before tensor '" + e.getKey() + "')");
      }
      expected = t.end();
      previous = e.getKey();
    }
    if (expected != dataLength) {
      throw new IllegalArgumentException((dataLength - expected) + " trailing bytes "
          + (previous == null ? "and no tensor" : "after the last tensor '" + previous + "'")
          + " (data section of " + dataLength + " bytes)");
    }
  }

  private static String jsonType(Object v) {
    if (v == null) {
      return "JSON null";
    }
    if (v instanceof Map) {
      return "a JSON object";
    }
    if (v instanceof List) {
      return "a JSON array";
    }
    if (v instanceof String) {
      return "a JSON string";
    }
    if (v instanceof Boolean) {
      return "a JSON boolean";
    }
    return "a JSON number";
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

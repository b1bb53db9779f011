package org.autoprop.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * numpy's {@code .npy} files: the magic {@code \x93NUMPY}, a version (1.0, 2.0 or 3.0), the length
 * of a header (2 bytes little-endian in 1.0, 4 bytes in 2.0 and 3.0), the header (a Python dict
 * literal {@code {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }}, Latin-1 in 1.0 and
 * 2.0, UTF-8 in 3.0), then the raw elements.
 *
 * <p>Read: the dtypes of {@link DType} in either byte order ({@code <}, {@code >}, {@code |} for
 * single bytes, {@code =} as little-endian), C or Fortran order (a Fortran array is transposed
 * into row-major order, so {@code a[i, j]} is the same element either way), any rank including 0-d
 * arrays. Object arrays, structured dtypes and other dtypes are refused with a message naming the
 * file and the dtype. The header's shape is checked against the file's length before anything is
 * allocated. Write: version 1.0 (2.0 if the header needs it, as numpy does), little-endian,
 * C order, the header padded so the data starts at a multiple of 64 bytes, atomically.
 *
 * <p>Conversions into the engine's types are exact or an error, never a silent change:
 * {@link NpyArray#tensor()} gives float32 values as they are, other dtypes only if every element
 * converts to float32 exactly, except that float64 may be rounded when asked for
 * ({@link NpyArray#tensorRounded()}); {@link NpyArray#labels()} gives int class indices from
 * integer arrays, or float arrays holding whole numbers, each checked to be in
 * {@code [0, Integer.MAX_VALUE]}.
 */
public final class Npy {
  /** The first six bytes of every {@code .npy} file. */
  static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  /** The largest header accepted, in bytes (numpy's own limit is 10000 unless told otherwise). */
  public static final int MAX_HEADER_BYTES = 1 << 20;

  private Npy() {}

  /** The element types read and written, with numpy's type codes. */
  public enum DType {
    /** {@code float32}, code {@code f4}. */
    FLOAT32("f4", 4),
    /** {@code float64}, code {@code f8}. */
    FLOAT64("f8", 8),
    /** {@code int64}, code {@code i8}. */
    INT64("i8", 8),
    /** {@code int32}, code {@code i4}. */
    INT32("i4", 4),
    /** {@code uint8}, code {@code u1}. */
    UINT8("u1", 1);

    private final String code;
    private final int bytes;

    DType(String code, int bytes) {
      this.code = code;
      this.bytes = bytes;
    }

    /** numpy's type code without the byte order, e.g. {@code f4}. */
    public String code() {
      return code;
    }

    /** The size of one element in bytes. */
    public int bytes() {
      return bytes;
    }

    /** The little-endian {@code descr} numpy writes for it ({@code <f4}, {@code |u1}). */
    public String descr() {
      return (bytes == 1 ? "|" : "<") + code;
    }

    static DType ofCode(String code) {
      for (DType t : values()) {
        if (t.code.equals(code)) {
          return t;
        }
      }
      return null;
    }
  }

  /**
   * Reads a {@code .npy} file.
   *
   * @throws IOException with a one-line message naming the file on a missing, truncated or
   *     malformed file, an unsupported dtype, or data of the wrong length
   */
  public static NpyArray read(Path file) throws IOException {
    byte[] bytes = FileChecks.readAllBytes(file);
    try {
      return parse(bytes, 0, bytes.length);
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
  }

  /** The header of an array: its dtype, byte order, order and shape, and where the data starts. */
  record Header(DType dtype, ByteOrder order, boolean fortran, int[] shape, int dataStart) {
    long size() {
      long n = 1;
      for (int d : shape) {
        n *= d; // extents are checked to multiply to at most Shape.MAX_SIZE
      }
      return n;
    }
  }

  /**
   * Parses a whole array from {@code bytes[from, to)}; throws {@link IllegalArgumentException}
   * with the reason (without the file name).
   */
  static NpyArray parse(byte[] bytes, int from, int to) {
    Header h = header(bytes, from, to);
    long need = h.size() * h.dtype().bytes();
    long have = to - from - h.dataStart();
    if (have != need) {
      throw new IllegalArgumentException(have + " bytes of data for shape " + shapeString(h.shape()) + " and dtype "
          + h.dtype().descr().substring(1) + " (expected: " + need + ")"
          + (have < need ? ", file truncated" : ", trailing bytes"));
    }
    ByteBuffer b = ByteBuffer.wrap(bytes, from + h.dataStart(), (int) need).slice().order(h.order());
    return NpyArray.decode(h, b);
  }

  /**
   * Parses the magic, version and header dict at {@code bytes[from, to)}, checking the shape but
   * not the data's length.
   */
  static Header header(byte[] bytes, int from, int to) {
    int length = to - from;
    if (length < 10) {
      throw new IllegalArgumentException(length + " bytes (expected: at least 10 for a .npy header)");
    }
    for (int i = 0; i < MAGIC.length; i++) {
      if (bytes[from + i] != MAGIC[i]) {
        throw new IllegalArgumentException("not a .npy file: the first bytes are "
            + hex(bytes, from, Math.min(6, length)) + " (expected: 93 4e 55 4d 50 59, \\x93NUMPY)");
      }
    }
    int major = bytes[from + 6] & 0xff;
    int minor = bytes[from + 7] & 0xff;
    if (major < 1 || major > 3 || minor != 0) {
      throw new IllegalArgumentException(".npy format version " + major + "." + minor
          + " (expected: 1.0, 2.0 or 3.0)");
    }
    ByteBuffer b = ByteBuffer.wrap(bytes, from, length).order(ByteOrder.LITTLE_ENDIAN);
    int prefix = major == 1 ? 10 : 12;
    if (length < prefix) {
      throw new IllegalArgumentException(length + " bytes (expected: at least " + prefix + " for a version "
          + major + ".0 header)");
    }
    long headerLength = major == 1 ? b.getShort(from + 8) & 0xffff : b.getInt(from + 8) & 0xffffffffL;
    if (headerLength > MAX_HEADER_BYTES) {
      throw new IllegalArgumentException("header of " + headerLength + " bytes (expected: at most "
          + MAX_HEADER_BYTES + ")");
    }
    if (headerLength > length - prefix) {
      throw new IllegalArgumentException("header of " + headerLength + " bytes but only " + (length - prefix)
          + " bytes follow the version, file truncated");
    }
    String text = new String(bytes, from + prefix, (int) headerLength,
        major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
    Map<String, Object> dict = new HeaderParser(text).dict();
    for (String key : new String[] {"descr", "fortran_order", "shape"}) {
      if (!dict.containsKey(key)) {
        throw new IllegalArgumentException("header lacks '" + key + "': " + clip(text));
      }
    }
    if (dict.size() != 3) {
      dict.keySet().removeAll(java.util.List.of("descr", "fortran_order", "shape"));
      throw new IllegalArgumentException("header has unexpected keys " + dict.keySet()
          + " (expected: descr, fortran_order and shape)");
    }
    Object descr = dict.get("descr");
    if (!(descr instanceof String)) {
      throw new IllegalArgumentException("descr is " + literal(descr) + " (expected: a dtype string such as '<f4')");
    }
    String d = (String) descr;
    if (d.length() < 2 || "<>|=".indexOf(d.charAt(0)) < 0) {
      throw new IllegalArgumentException("dtype '" + d + "' (expected: one of " + supported() + ")");
    }
    DType type = DType.ofCode(d.substring(1));
    if (type == null) {
      throw new IllegalArgumentException("unsupported dtype '" + d + "'" + (d.equals("|O") ? " (object array)" : "")
          + " (expected: one of " + supported() + ")");
    }
    if (d.charAt(0) == '|' && type.bytes() > 1) {
      throw new IllegalArgumentException("dtype '" + d + "' has no byte order (expected: < or > for "
          + type.bytes() + "-byte elements)");
    }
    ByteOrder order = d.charAt(0) == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
    Object fortran = dict.get("fortran_order");
    if (!(fortran instanceof Boolean)) {
      throw new IllegalArgumentException("fortran_order is " + literal(fortran) + " (expected: True or False)");
    }
    Object shapeValue = dict.get("shape");
    if (!(shapeValue instanceof long[])) {
      throw new IllegalArgumentException("shape is " + literal(shapeValue) + " (expected: a tuple of integers)");
    }
    long[] extents = (long[]) shapeValue;
    int[] shape = new int[extents.length];
    for (int i = 0; i < shape.length; i++) {
      if (extents[i] < 0 || extents[i] > Shape.MAX_SIZE) {
        throw new IllegalArgumentException("shape " + Arrays.toString(extents) + " has extent " + extents[i]
            + " at axis " + i + " (expected: 0 <= extent <= " + Shape.MAX_SIZE + ")");
      }
      shape[i] = (int) extents[i];
    }
    try {
      Shape.of(shape);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    return new Header(type, order, (Boolean) fortran, shape, prefix + (int) headerLength);
  }

  /** A header value as Python writes it. */
  private static String literal(Object v) {
    if (v instanceof long[]) {
      long[] t = (long[]) v;
      StringBuilder sb = new StringBuilder("(");
      for (int i = 0; i < t.length; i++) {
        sb.append(i == 0 ? "" : ", ").append(t[i]);
      }
      return sb.append(t.length == 1 ? ",)" : ")").toString();
    }
    if (v instanceof Boolean) {
      return (Boolean) v ? "True" : "False";
    }
    return "'" + v + "'";
  }

  /** The header text for a message: trimmed, at most 200 characters. */
  static String clip(String header) {
    String t = header.strip();
    return t.length() <= 200 ? t : t.substring(0, 200) + "...";
  }

  private static String supported() {
    StringBuilder sb = new StringBuilder();
    for (DType t : DType.values()) {
      sb.append(sb.length() == 0 ? "" : ", ").append(t.code());
    }
    return sb.toString();
  }

  static String shapeString(int[] shape) {
    StringBuilder sb = new StringBuilder("(");
    for (int i = 0; i < shape.length; i++) {
      sb.append(i == 0 ? "" : ", ").append(shape[i]);
    }
    return sb.append(shape.length == 1 ? ",)" : ")").toString();
  }

  private static String hex(byte[] b, int from, int n) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < n; i++) {
      sb.append(i == 0 ? "" : " ").append(String.format(Locale.ROOT, "%02x", b[from + i] & 0xff));
    }
    return sb.toString();
  }

  /**
   * Writes an array as a version 1.0 {@code .npy} file (2.0 if its header is longer than 65535
   * bytes), little-endian, C order. The file is written to a temporary file and renamed over
   * {@code file} only when complete, so a failed write leaves the previous file intact.
   */
  public static void write(Path file, NpyArray array) throws IOException {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(array, "array");
    AtomicFiles.write(file, out -> writeTo(out, array));
  }

  /** Writes a tensor as a float32 {@code .npy} file (see {@link #write(Path, NpyArray)}). */
  public static void write(Path file, Tensor tensor) throws IOException {
    write(file, NpyArray.of(tensor));
  }

  /** Writes the whole {@code .npy} encoding of an array to {@code out}. */
  static void writeTo(OutputStream out, NpyArray array) throws IOException {
    String dict = "{'descr': '" + array.dtype().descr() + "', 'fortran_order': False, 'shape': "
        + shapeString(array.shape()) + ", }";
    byte[] text = dict.getBytes(StandardCharsets.ISO_8859_1);
    int major = text.length + 1 + 10 > 65535 ? 2 : 1;
    int prefix = major == 1 ? 10 : 12;
    int total = (prefix + text.length + 1 + 63) / 64 * 64;
    int headerLength = total - prefix;
    ByteBuffer h = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
    h.put(MAGIC).put((byte) major).put((byte) 0);
    if (major == 1) {
      h.putShort((short) headerLength);
    } else {
      h.putInt(headerLength);
    }
    h.put(text);
    while (h.position() < total - 1) {
      h.put((byte) ' ');
    }
    h.put((byte) '\n');
    out.write(h.array());
    array.writeData(out);
  }

  /**
   * A strict parser of the header dict: string keys; values that are strings, {@code True},
   * {@code False} or tuples of non-negative integers. Anything else (another literal, nesting,
   * an expression) is refused, so a header is never evaluated.
   */
  private static final class HeaderParser {
    private final String s;
    private int i;

    HeaderParser(String s) {
      this.s = s;
    }

    Map<String, Object> dict() {
      skip();
      expect('{');
      Map<String, Object> out = new LinkedHashMap<>();
      skip();
      while (peek() != '}') {
        int at = i;
        String key = string();
        if (out.containsKey(key)) {
          i = at;
          throw bad("key '" + key + "' appears twice");
        }
        skip();
        expect(':');
        skip();
        out.put(key, value());
        skip();
        if (peek() == ',') {
          i++;
          skip();
        } else if (peek() != '}') {
          throw bad("expected ',' or '}'");
        }
      }
      i++;
      skip();
      if (i != s.length()) {
        throw bad("text after the dict");
      }
      return out;
    }

    private Object value() {
      char c = peek();
      if (c == '\'' || c == '"') {
        return string();
      }
      if (c == '(') {
        return tuple();
      }
      if (c == '[') {
        throw new IllegalArgumentException("structured dtype in header " + clip(s)
            + " (not supported; expected: one of " + supported() + ")");
      }
      if (s.startsWith("True", i)) {
        i += 4;
        return Boolean.TRUE;
      }
      if (s.startsWith("False", i)) {
        i += 5;
        return Boolean.FALSE;
      }
      throw bad("expected a string, True, False or a tuple");
    }

    private long[] tuple() {
      expect('(');
      long[] values = new long[4];
      int n = 0;
      skip();
      while (peek() != ')') {
        int start = i;
        while (i < s.length() && Character.isDigit(s.charAt(i)) && i - start < 19) {
          i++;
        }
        if (i == start || (i < s.length() && Character.isDigit(s.charAt(i)))) {
          throw bad("expected a non-negative integer of at most 18 digits");
        }
        if (n == 64) {
          throw bad("more than 64 axes");
        }
        if (n == values.length) {
          values = Arrays.copyOf(values, 2 * n);
        }
        values[n++] = Long.parseLong(s.substring(start, i));
        if (i < s.length() && s.charAt(i) == 'L') {
          i++; // Python 2's long suffix, written by old numpy versions
        }
        skip();
        if (peek() == ',') {
          i++;
          skip();
        } else if (peek() != ')') {
          throw bad("expected ',' or ')'");
        }
      }
      i++;
      return Arrays.copyOf(values, n);
    }

    private String string() {
      char q = peek();
      if (q != '\'' && q != '"') {
        throw bad("expected a quoted string");
      }
      int end = s.indexOf(q, i + 1);
      if (end < 0) {
        throw bad("unterminated string");
      }
      String v = s.substring(i + 1, end);
      i = end + 1;
      return v;
    }

    private void skip() {
      while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
        i++;
      }
    }

    private char peek() {
      if (i >= s.length()) {
        throw bad("unexpected end");
      }
      return s.charAt(i);
    }

    private void expect(char c) {
      if (peek() != c) {
        throw bad("expected '" + c + "'");
      }
      i++;
    }

    private IllegalArgumentException bad(String what) {
      return new IllegalArgumentException("malformed header at character " + i + ": " + what + " in "
          + clip(s));
    }
  }
}

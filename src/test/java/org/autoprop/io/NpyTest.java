package org.autoprop.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code .npy} and {@code .npz} files written by numpy (tools/numpy_files.py) read as numpy reads
 * them, round trips, and every refused file with its message.
 */
class NpyTest {
  @TempDir Path dir;

  static Path resource(String name) {
    try {
      return Path.of(NpyTest.class.getResource("/npy/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> manifest() throws IOException {
    return (Map<String, Object>) Json.parse(Files.readString(resource("manifest.json")));
  }

  static Stream<String> numpyFiles() throws IOException {
    List<String> names = new ArrayList<>(manifest().keySet());
    names.remove("npz");
    assertTrue(names.size() >= 20, names.toString());
    return names.stream();
  }

  /** Checks an array against numpy's description of it: dtype, shape and C-order elements. */
  @SuppressWarnings("unchecked")
  static void assertMatches(String name, Map<String, Object> expected, NpyArray a) {
    assertEquals(expected.get("dtype"), a.dtype().code(), name);
    List<Object> shape = (List<Object>) expected.get("shape");
    int[] dims = new int[shape.size()];
    for (int i = 0; i < dims.length; i++) {
      dims[i] = ((Long) shape.get(i)).intValue();
    }
    assertArrayEquals(dims, a.shape(), name);
    List<Object> values = (List<Object>) expected.get("values");
    assertEquals(values.size(), a.size(), name);
    for (int i = 0; i < values.size(); i++) {
      Object v = values.get(i);
      String at = name + " element " + i;
      switch (a.dtype()) {
        case FLOAT32:
          assertEquals(Float.floatToIntBits((float) number(v)), Float.floatToIntBits(a.floats()[i]), at);
          break;
        case FLOAT64:
          assertEquals(Double.doubleToLongBits(number(v)), Double.doubleToLongBits(a.doubles()[i]), at);
          break;
        case UINT8:
          assertEquals((long) (Long) v, a.bytes()[i] & 0xff, at);
          break;
        default:
          assertEquals((long) (Long) v, a.longs()[i], at);
      }
    }
  }

  private static double number(Object v) {
    if (v instanceof String) {
      switch ((String) v) {
        case "nan":
          return Double.NaN;
        case "inf":
          return Double.POSITIVE_INFINITY;
        case "-inf":
          return Double.NEGATIVE_INFINITY;
        default:
          throw new IllegalArgumentException((String) v);
      }
    }
    return ((Number) v).doubleValue();
  }

  @SuppressWarnings("unchecked")
  @ParameterizedTest(name = "{0}")
  @MethodSource("numpyFiles")
  void readsEveryNumpyWrittenFileAsNumpyDoes(String name) throws IOException {
    NpyArray a = Npy.read(resource(name + ".npy"));
    assertMatches(name, (Map<String, Object>) manifest().get(name), a);
    Path copy = dir.resolve(name + ".npy");
    Npy.write(copy, a);
    assertEquals(a, Npy.read(copy), "our copy of " + name);
  }

  @Test
  void fortranOrderIsTransposedIntoRowMajor() throws IOException {
    // numpy wrote np.asfortranarray(np.arange(6).reshape(2, 3)): a[i, j] = 3 i + j in either order.
    NpyArray a = Npy.read(resource("i64_fortran.npy"));
    assertArrayEquals(new long[] {0, 1, 2, 3, 4, 5}, a.longs());
    byte[] raw = Files.readAllBytes(resource("i64_fortran.npy"));
    assertEquals(0, raw.length % 8); // the file itself holds 0 3 1 4 2 5
    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(raw, raw.length - 48, 48).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    long[] fileOrder = new long[6];
    for (int i = 0; i < 6; i++) {
      fileOrder[i] = b.getLong();
    }
    assertArrayEquals(new long[] {0, 3, 1, 4, 2, 5}, fileOrder);
    NpyArray u = Npy.read(resource("u8_fortran.npy"));
    for (int i = 0; i < 24; i++) {
      assertEquals(i, u.bytes()[i]);
    }
    Tensor t = Npy.read(resource("f32_fortran.npy")).tensor();
    assertEquals(Shape.of(2, 3, 4), t.shape());
  }

  @SuppressWarnings("unchecked")
  @ParameterizedTest(name = "{0}")
  @CsvSource({"stored.npz", "deflated.npz"})
  void readsNumpyArchivesStoredAndDeflated(String file) throws IOException {
    Map<String, NpyArray> arrays = Npz.read(resource(file));
    Map<String, Object> expected = (Map<String, Object>) manifest().get("npz");
    assertEquals(List.of("x", "y", "z"), new ArrayList<>(arrays.keySet()));
    for (String k : expected.keySet()) {
      assertMatches(file + " " + k, (Map<String, Object>) expected.get(k), arrays.get(k));
    }
    assertTrue((Boolean) ((Map<String, Object>) expected.get("z")).get("fortran"));
  }

  @Test
  void zeroDimensionalAndEmptyArrays() throws IOException {
    Tensor scalar = Npy.read(resource("f64_0d.npy")).tensor();
    assertEquals(0, scalar.rank());
    assertEquals(2.5f, scalar.getFlat(0));
    Tensor empty = Npy.read(resource("f32_empty.npy")).tensor();
    assertEquals(Shape.of(0, 3), empty.shape());
  }

  /** A random array of a random dtype and rank 0 to 4 (extents 0 to 4). */
  static NpyArray randomArray(SplittableRandom r) {
    int rank = r.nextInt(5);
    int[] shape = new int[rank];
    int n = 1;
    for (int i = 0; i < rank; i++) {
      shape[i] = r.nextInt(5);
      n *= shape[i];
    }
    switch (r.nextInt(5)) {
      case 0: {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
          v[i] = Float.intBitsToFloat(r.nextInt()); // every bit pattern, NaNs included
        }
        return NpyArray.ofFloats(v, shape);
      }
      case 1: {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
          v[i] = Double.longBitsToDouble(r.nextLong());
        }
        return NpyArray.ofDoubles(v, shape);
      }
      case 2: {
        long[] v = new long[n];
        for (int i = 0; i < n; i++) {
          v[i] = r.nextLong();
        }
        return NpyArray.ofLongs(v, shape);
      }
      case 3: {
        int[] v = new int[n];
        for (int i = 0; i < n; i++) {
          v[i] = r.nextInt();
        }
        return NpyArray.ofInts(v, shape);
      }
      default: {
        byte[] v = new byte[n];
        r.nextBytes(v);
        return NpyArray.ofBytes(v, shape);
      }
    }
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#seeds")
  void roundTripsEveryDtypeAndRank(long seed) throws IOException {
    SplittableRandom r = new SplittableRandom(seed);
    NpyArray a = randomArray(r);
    Path f = dir.resolve("a.npy");
    Npy.write(f, a);
    assertEquals(a, Npy.read(f));
    assertEquals(0, (Files.size(f) - (long) a.size() * a.dtype().bytes()) % 64, "data aligned to 64 bytes");
    Map<String, NpyArray> arrays = new LinkedHashMap<>();
    for (int i = 0, k = 1 + r.nextInt(3); i < k; i++) {
      arrays.put("arr_" + i, randomArray(r));
    }
    boolean compressed = r.nextBoolean();
    Path z = dir.resolve("a.npz");
    Npz.write(z, arrays, compressed);
    assertEquals(arrays, Npz.read(z));
  }

  @Test
  void aTensorIsWrittenAsFloat32InItsLogicalOrder() throws IOException {
    Tensor t = Tensor.wrap(new float[] {1, 2, 3, 4, 5, 6}, 2, 3).transpose(0, 1); // a strided view
    Path f = dir.resolve("t.npy");
    Npy.write(f, t);
    NpyArray a = Npy.read(f);
    assertArrayEquals(new int[] {3, 2}, a.shape());
    assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, a.floats());
    assertArrayEquals(t.toArray(), a.tensor().toArray());
  }

  @Test
  void conversionsAreExactOrAnError() throws IOException {
    NpyArray f64 = Npy.read(resource("f64_c.npy"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, f64::tensor);
    double first = f64.doubles()[0];
    assertEquals("NpyArray.tensor: float64 element 0 is " + first + ", not exactly a float32 value (nearest: "
        + (float) first + "; use tensorRounded() to round)", e.getMessage());
    float[] rounded = f64.tensorRounded().toArray();
    for (int i = 0; i < rounded.length; i++) {
      assertEquals((float) f64.doubles()[i], rounded[i]);
    }
    e = assertThrows(IllegalArgumentException.class, NpyArray.ofDoubles(new double[] {1, 1e300}, 2)::tensorRounded);
    assertEquals("NpyArray.tensorRounded: float64 element 1 is 1.0E300, beyond float32's range", e.getMessage());
    // Whole numbers and special values in a float64 array convert exactly.
    assertArrayEquals(new float[] {0, 3, 1, 2}, Npy.read(resource("f64_labels.npy")).tensor().toArray());
    e = assertThrows(IllegalArgumentException.class, () -> Npy.read(resource("i64_big.npy")).tensor());
    assertEquals("NpyArray.tensor: int64 element 1 is -1099511627777, not exactly a float32 value (nearest: "
        + "-1.099511627776E12)", e.getMessage()); // element 0, 2^62, is a float32 value
    NpyArray big = NpyArray.ofLongs(new long[] {16_777_216, 16_777_217}, 2);
    e = assertThrows(IllegalArgumentException.class, big::tensor);
    assertEquals("NpyArray.tensor: int64 element 1 is 16777217, not exactly a float32 value (nearest: 1.6777216E7)",
        e.getMessage());
    assertArrayEquals(new float[] {0, 255, 128}, NpyArray.ofBytes(new byte[] {0, -1, -128}, 3).tensor().toArray());
  }

  @Test
  void labelsAreWholeNumbersInRange() throws IOException {
    NpyArray i64 = Npy.read(resource("i64_labels.npy"));
    int[] labels = i64.labels();
    for (int i = 0; i < labels.length; i++) {
      assertEquals(i64.longs()[i], labels[i]);
    }
    assertArrayEquals(new int[] {0, 3, 1, 2}, Npy.read(resource("f64_labels.npy")).labels());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Npy.read(resource("f64_fraction.npy")).labels());
    assertEquals("NpyArray.labels: element 1 is 0.1 (expected: a whole number, 0 <= label <= 2147483647)",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Npy.read(resource("i64_big.npy")).labels());
    assertEquals("NpyArray.labels: element 0 is 4611686018427387904 (expected: a whole number, 0 <= label <= "
        + "2147483647)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, NpyArray.ofInts(new int[] {2, -1}, 2)::labels);
    assertEquals("NpyArray.labels: element 1 is -1 (expected: a whole number, 0 <= label <= 2147483647)",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, NpyArray.ofFloats(new float[] {Float.NaN}, 1)::labels);
    assertEquals("NpyArray.labels: element 0 is NaN (expected: a whole number, 0 <= label <= 2147483647)",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Npy.read(resource("i32.npy")).labels());
    assertEquals("NpyArray.labels: shape (2, 2, 2) (expected: 1-d, one label per sample)", e.getMessage());
    assertArrayEquals(new int[] {7, 0}, Npz.read(writeLabels(new int[] {7, 0})).get("y").labels());
  }

  private Path writeLabels(int[] labels) throws IOException {
    Path z = dir.resolve("labels.npz");
    Npz.write(z, Map.of("y", NpyArray.ofLabels(labels)), true);
    return z;
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '#', value = {
    "bad_object.npy#unsupported dtype '|O' (object array) (expected: one of f4, f8, i8, i4, u1)",
    "bad_f16.npy#unsupported dtype '<f2' (expected: one of f4, f8, i8, i4, u1)",
    "bad_bool.npy#unsupported dtype '|b1' (expected: one of f4, f8, i8, i4, u1)",
    "bad_complex.npy#unsupported dtype '<c8' (expected: one of f4, f8, i8, i4, u1)",
    "bad_structured.npy#structured dtype in header {'descr': [('x', '<f4'), ('y', '<i8')], 'fortran_order': False, "
        + "'shape': (2,), } (not supported; expected: one of f4, f8, i8, i4, u1)",
  })
  void numpyFilesOfOtherDtypesAreRefusedByName(String file, String expected) {
    Path f = resource(file);
    IOException e = assertThrows(IOException.class, () -> Npy.read(f));
    assertEquals(f + ": " + expected, e.getMessage());
  }

  /** A version 1.0 file with the given header dict and data bytes. */
  static byte[] npy(String dict, int dataBytes) {
    byte[] h = dict.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(10 + h.length + dataBytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    b.put(Npy.MAGIC).put((byte) 1).put((byte) 0).putShort((short) h.length).put(h);
    return b.array();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '#', value = {
    // header dict | data bytes | message after the file name
    "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }#20#20 bytes of data for shape (2, 3) and dtype f4 "
        + "(expected: 24), file truncated",
    "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }#28#28 bytes of data for shape (2, 3) and dtype f4 "
        + "(expected: 24), trailing bytes",
    "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000,), }#8#8 bytes of data for shape (1000000000,) and "
        + "dtype f8 (expected: 8000000000), file truncated",
    "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296,), }#0#shape [4294967296] has extent 4294967296 at "
        + "axis 0 (expected: 0 <= extent <= 2147483639)",
    "{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000, 100000), }#0#Shape [100000, 100000, 100000] "
        + "has more than 2147483639 elements (1000000000000000; expected: <= 2^31 - 9, the largest Java array)",
    "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }#0#malformed header at character 51: expected a "
        + "non-negative integer of at most 18 digits in {'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }",
    "{'descr': '<f4', 'fortran_order': False, }#0#header lacks 'shape': {'descr': '<f4', 'fortran_order': False, }",
    "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': True}#4#header has unexpected keys [x] (expected: "
        + "descr, fortran_order and shape)",
    "{'descr': '<f4', 'fortran_order': 'no', 'shape': (1,), }#4#fortran_order is 'no' (expected: True or False)",
    "{'descr': '<f4', 'fortran_order': False, 'shape': True, }#4#shape is True (expected: a tuple of integers)",
    "{'descr': (4,), 'fortran_order': False, 'shape': (1,), }#4#descr is (4,) (expected: a dtype string such as '<f4')",
    "{'descr': 'f4', 'fortran_order': False, 'shape': (1,), }#4#dtype 'f4' (expected: one of f4, f8, i8, i4, u1)",
    "{'descr': '|f4', 'fortran_order': False, 'shape': (1,), }#4#dtype '|f4' has no byte order (expected: < or > for "
        + "4-byte elements)",
    "{'descr': '<f4', 'descr': '<f4', 'shape': (1,), }#4#malformed header at character 17: key 'descr' appears twice "
        + "in {'descr': '<f4', 'descr': '<f4', 'shape': (1,), }",
    "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), } x#4#malformed header at character 58: text after the "
        + "dict in {'descr': '<f4', 'fortran_order': False, 'shape': (1,), } x",
    "{'descr': '<f4', 'fortran_order': __import__('os'), 'shape': (1,), }#4#malformed header at character 34: expected "
        + "a string, True, False or a tuple in {'descr': '<f4', 'fortran_order': __import__('os'), 'shape': (1,), }",
    "{'descr': '<f4#4#malformed header at character 10: unterminated string in {'descr': '<f4",
  })
  void malformedFilesAreRefusedWithTheReason(String dict, int dataBytes, String expected) throws IOException {
    Path f = dir.resolve("bad.npy");
    Files.write(f, npy(dict, dataBytes));
    IOException e = assertThrows(IOException.class, () -> Npy.read(f));
    assertEquals(f + ": " + expected, e.getMessage());
  }

  @Test
  void badPrefixes() throws IOException {
    Path f = dir.resolve("bad.npy");
    byte[] good = Files.readAllBytes(resource("f32_c.npy"));
    Files.write(f, java.util.Arrays.copyOf(good, 7));
    assertEquals(f + ": 7 bytes (expected: at least 10 for a .npy header)",
        assertThrows(IOException.class, () -> Npy.read(f)).getMessage());
    Files.write(f, "PK\u0003\u0004 not numpy".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    assertEquals(f + ": not a .npy file: the first bytes are 50 4b 03 04 20 6e (expected: 93 4e 55 4d 50 59, "
        + "\\x93NUMPY)", assertThrows(IOException.class, () -> Npy.read(f)).getMessage());
    byte[] v4 = good.clone();
    v4[6] = 4;
    Files.write(f, v4);
    assertEquals(f + ": .npy format version 4.0 (expected: 1.0, 2.0 or 3.0)",
        assertThrows(IOException.class, () -> Npy.read(f)).getMessage());
    Files.write(f, java.util.Arrays.copyOf(good, 60));
    assertEquals(f + ": header of 118 bytes but only 50 bytes follow the version, file truncated",
        assertThrows(IOException.class, () -> Npy.read(f)).getMessage());
    byte[] huge = java.util.Arrays.copyOf(good, 12);
    huge[6] = 2;
    huge[8] = 0;
    huge[9] = 0;
    huge[10] = 0;
    huge[11] = 0x40; // 2^30 bytes of header claimed
    Files.write(f, huge);
    assertEquals(f + ": header of 1073741824 bytes (expected: at most 1048576)",
        assertThrows(IOException.class, () -> Npy.read(f)).getMessage());
    Path folder = dir.resolve("folder.npy");
    Files.createDirectory(folder);
    assertEquals(folder + ": is a folder (expected: a file)",
        assertThrows(IOException.class, () -> Npy.read(folder)).getMessage());
  }

  @Test
  void hostileArchives() throws IOException {
    Path z = dir.resolve("bad.npz");
    Files.write(z, Files.readAllBytes(resource("f32_c.npy")));
    assertEquals(z + ": not a zip archive (expected: an .npz file, a zip of .npy files)",
        assertThrows(IOException.class, () -> Npz.read(z)).getMessage());
    writeZip(z, "x.txt", new byte[] {1}, true);
    assertEquals(z + ": entry 'x.txt' is not a .npy file (expected: names ending in .npy)",
        assertThrows(IOException.class, () -> Npz.read(z)).getMessage());
    writeZip(z, "x.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 4), true);
    assertEquals(z + ": entry 'x.npy': 4 bytes of data for shape (2,) and dtype f4 (expected: 8), file truncated",
        assertThrows(IOException.class, () -> Npz.read(z)).getMessage());
    writeZip(z, "x.npy", new byte[] {1, 2, 3}, false);
    assertEquals(z + ": entry 'x.npy': 3 bytes (expected: at least 10 for a .npy header)",
        assertThrows(IOException.class, () -> Npz.read(z)).getMessage());
    // A zip bomb: a header declaring 2 floats, then 32 MB of zeros that deflate to ~32 KB. Reading
    // stops one byte past the declared end instead of inflating it all.
    byte[] header = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 8);
    try (java.util.zip.ZipOutputStream out = new java.util.zip.ZipOutputStream(Files.newOutputStream(z))) {
      out.putNextEntry(new java.util.zip.ZipEntry("bomb.npy"));
      out.write(header);
      byte[] zeros = new byte[1 << 20];
      for (int i = 0; i < 32; i++) {
        out.write(zeros);
      }
      out.closeEntry();
    }
    assertTrue(Files.size(z) < 100_000, "size " + Files.size(z));
    assertEquals(z + ": entry 'bomb.npy' holds more than the " + header.length
        + " bytes its header declares (trailing bytes)",
        assertThrows(IOException.class, () -> Npz.read(z)).getMessage());
    byte[] corrupt = Files.readAllBytes(resource("deflated.npz"));
    corrupt[60] ^= 0x55; // inside x.npy's deflated data
    Files.write(z, corrupt);
    IOException e = assertThrows(IOException.class, () -> Npz.read(z));
    assertTrue(e.getMessage().startsWith(z + ": "), e.getMessage());
  }

  private static void writeZip(Path z, String name, byte[] content, boolean deflate) throws IOException {
    try (java.util.zip.ZipOutputStream out = new java.util.zip.ZipOutputStream(Files.newOutputStream(z))) {
      java.util.zip.ZipEntry e = new java.util.zip.ZipEntry(name);
      if (!deflate) {
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(content);
        e.setMethod(java.util.zip.ZipEntry.STORED);
        e.setSize(content.length);
        e.setCompressedSize(content.length);
        e.setCrc(crc.getValue());
      }
      out.putNextEntry(e);
      out.write(content);
      out.closeEntry();
    }
  }

  @Test
  void aRefusedWriteLeavesThePreviousFileIntact() throws IOException {
    Path z = dir.resolve("keep.npz");
    Map<String, NpyArray> good = Map.of("a", NpyArray.ofFloats(new float[] {1, 2}, 2));
    Npz.write(z, good, false);
    Map<String, NpyArray> bad = new LinkedHashMap<>();
    bad.put("ok", NpyArray.ofFloats(new float[] {3}, 1));
    bad.put("a/b", NpyArray.ofFloats(new float[] {3}, 1));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Npz.write(z, bad, true));
    assertEquals("Npz.write: bad array name 'a/b' (expected: non-empty, without / or \\)", e.getMessage());
    assertEquals(good, Npz.read(z));
  }

  @Test
  void arraysCheckTheirLength() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> NpyArray.ofFloats(new float[5], 2, 3));
    assertEquals("NpyArray: 5 elements for shape [2, 3] (expected: 6)", e.getMessage());
    IllegalStateException s = assertThrows(IllegalStateException.class,
        () -> NpyArray.ofBytes(new byte[1], 1).floats());
    assertEquals("NpyArray: dtype u1 (expected: f4)", s.getMessage());
  }

  @Test
  void aDatasetFromAnArchive() throws IOException {
    Map<String, NpyArray> arrays = Npz.read(resource("deflated.npz"));
    org.autoprop.train.Dataset d = Npz.dataset(resource("deflated.npz"), "x", "y");
    assertArrayEquals(arrays.get("x").floats(), d.inputs().toArray());
    assertArrayEquals(arrays.get("y").labels(), d.labels());
    Path z = dir.resolve("d.npz");
    Map<String, NpyArray> bad = new LinkedHashMap<>();
    bad.put("x", NpyArray.ofDoubles(new double[] {0.1, 0.2, 0.3, 0.4}, 2, 2));
    bad.put("y", NpyArray.ofLabels(new int[] {1, 0, 1}));
    bad.put("s", NpyArray.ofFloats(new float[] {1}));
    bad.put("f", NpyArray.ofDoubles(new double[] {0.5, 1}, 2));
    bad.put("y2", NpyArray.ofLabels(new int[] {1, 0}));
    Npz.write(z, bad, false);
    assertEquals(z + ": no array 'labels' (present: [x, y, s, f, y2])",
        assertThrows(IOException.class, () -> Npz.dataset(z, "x", "labels")).getMessage());
    assertEquals(z + ": 3 labels in 'y' for 2 samples in 'x' (expected: as many)",
        assertThrows(IOException.class, () -> Npz.dataset(z, "x", "y")).getMessage());
    assertEquals(z + ": array 's' is 0-d (expected: [n, ...], one row per sample)",
        assertThrows(IOException.class, () -> Npz.dataset(z, "s", "y")).getMessage());
    assertEquals(z + ": NpyArray.labels: element 0 is 0.5 (expected: a whole number, 0 <= label <= 2147483647)",
        assertThrows(IOException.class, () -> Npz.dataset(z, "f", "f")).getMessage());
    org.autoprop.train.Dataset rounded = Npz.dataset(z, "x", "y2");
    assertArrayEquals(new float[] {0.1f, 0.2f, 0.3f, 0.4f}, rounded.inputs().toArray(), "float64 rounded");
    assertArrayEquals(new int[] {1, 0}, rounded.labels());
  }
}

package org.autoprop.io;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * numpy's {@code .npz} archives ({@code np.savez}, {@code np.savez_compressed}): a zip file of
 * {@code .npy} files, one per array, named {@code <name>.npy}. Entries may be stored or deflated.
 *
 * <p>Reading checks each entry as {@link Npy#read} does a file, and names the archive and the
 * entry on failure. An entry is decompressed at most up to the size its header declares plus one
 * byte, so an entry that decompresses to more than it claims (a zip bomb) is refused after that
 * many bytes, and the memory used grows with the data actually present.
 */
public final class Npz {
  private Npz() {}

  /**
   * Reads every array of an archive, in the archive's order, keyed by entry name without the
   * {@code .npy} suffix (as {@code np.load(f).files}).
   *
   * @throws IOException with a one-line message naming the file (and the entry) on a missing or
   *     corrupt archive, an entry that is not a {@code .npy} file, a duplicate name, or any
   *     {@link Npy#read} failure
   */
  public static Map<String, NpyArray> read(Path file) throws IOException {
    byte[] bytes = FileChecks.readAllBytes(file);
    Map<String, NpyArray> out = new LinkedHashMap<>();
    try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(bytes))) {
      for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
        String entry = e.getName();
        if (e.isDirectory()) {
          continue;
        }
        if (!entry.endsWith(".npy")) {
          throw new IOException(file + ": entry '" + entry + "' is not a .npy file (expected: names ending in .npy)");
        }
        String name = entry.substring(0, entry.length() - 4);
        if (out.containsKey(name)) {
          throw new IOException(file + ": entry '" + entry + "' appears twice");
        }
        byte[] content = entryBytes(file, entry, zip, bytes.length);
        try {
          out.put(name, Npy.parse(content, 0, content.length));
        } catch (IllegalArgumentException ex) {
          throw new IOException(file + ": entry '" + entry + "': " + ex.getMessage(), ex);
        }
      }
    } catch (ZipException | EOFException e) {
      throw new IOException(file + ": corrupt zip archive: " + e.getMessage(), e);
    }
    if (out.isEmpty() && !looksLikeZip(bytes)) {
      throw new IOException(file + ": not a zip archive (expected: an .npz file, a zip of .npy files)");
    }
    return Collections.unmodifiableMap(out);
  }

  /**
   * A data set from two arrays of an archive, as saved by {@code np.savez(f, x=inputs, y=labels)}:
   * the inputs {@code [n, ...]} as floats ({@link NpyArray#tensor()}: exact, except float64 which
   * is rounded to float32 as {@link NpyArray#tensorRounded()}; uint8 stays 0 to 255, not scaled)
   * and the labels as class ids ({@link NpyArray#labels()}).
   *
   * @throws IOException naming the file and the array: missing, of rank 0, a label not a whole
   *     number in range, or a different number of inputs and labels; or as {@link #read}
   */
  public static org.autoprop.train.Dataset dataset(Path file, String inputs, String labels) throws IOException {
    Map<String, NpyArray> arrays = read(file);
    for (String name : new String[] {inputs, labels}) {
      if (!arrays.containsKey(name)) {
        throw new IOException(file + ": no array '" + name + "' (present: " + arrays.keySet() + ")");
      }
    }
    NpyArray x = arrays.get(inputs);
    NpyArray y = arrays.get(labels);
    if (x.shape().length == 0) {
      throw new IOException(file + ": array '" + inputs + "' is 0-d (expected: [n, ...], one row per sample)");
    }
    try {
      org.autoprop.tensor.Tensor t = x.dtype() == Npy.DType.FLOAT64 ? x.tensorRounded() : x.tensor();
      int[] ids = y.labels();
      if (ids.length != t.dim(0)) {
        throw new IOException(file + ": " + ids.length + " labels in '" + labels + "' for " + t.dim(0)
            + " samples in '" + inputs + "' (expected: as many)");
      }
      return new org.autoprop.train.Dataset(t, ids);
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
  }

  private static boolean looksLikeZip(byte[] b) {
    return b.length >= 4 && b[0] == 'P' && b[1] == 'K' && (b[2] == 5 || b[2] == 3) && (b[3] == 6 || b[3] == 4);
  }

  /**
   * The decompressed bytes of one entry: the header first, then at most the data it declares and
   * one byte more, so a lying entry never makes a large allocation.
   */
  private static byte[] entryBytes(Path file, String entry, InputStream in, long fileLength) throws IOException {
    byte[] buf = new byte[(int) Math.min(Npy.MAX_HEADER_BYTES + 12L, 1 << 16)];
    int n = readUpTo(in, buf, 0, 12);
    long limit;
    try {
      if (n < 12) {
        Npy.header(buf, 0, n); // names what is wrong with a short entry
      }
      int prefix = buf[6] == 1 ? 10 : 12;
      long headerLength = prefix == 10 ? (buf[8] & 0xff) | (buf[9] & 0xff) << 8
          : (buf[8] & 0xffL) | (buf[9] & 0xffL) << 8 | (buf[10] & 0xffL) << 16 | (buf[11] & 0xffL) << 24;
      if (buf[6] >= 1 && buf[6] <= 3 && headerLength <= Npy.MAX_HEADER_BYTES) {
        if (prefix + headerLength > buf.length) {
          buf = Arrays.copyOf(buf, (int) (prefix + headerLength));
        }
        n += readUpTo(in, buf, n, (int) (prefix + headerLength) - n);
      }
      Npy.Header h = Npy.header(buf, 0, n);
      limit = h.dataStart() + h.size() * h.dtype().bytes();
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": entry '" + entry + "': " + e.getMessage(), e);
    }
    // Grow with the data present; read one byte past the declared end to detect trailing bytes.
    while (n <= limit) {
      if (n == buf.length) {
        long grown = Math.min(limit + 1, Math.max(2L * buf.length, 1 << 16));
        if (grown > FileChecks.MAX_FILE_BYTES) {
          throw new IOException(file + ": entry '" + entry + "' holds more than " + FileChecks.MAX_FILE_BYTES
              + " bytes (expected: at most that)");
        }
        buf = Arrays.copyOf(buf, (int) grown);
      }
      int r = in.read(buf, n, (int) Math.min(buf.length, limit + 1) - n);
      if (r < 0) {
        break;
      }
      n += r;
    }
    if (n > limit) {
      throw new IOException(file + ": entry '" + entry + "' holds more than the " + limit
          + " bytes its header declares (trailing bytes)");
    }
    return Arrays.copyOf(buf, n);
  }

  private static int readUpTo(InputStream in, byte[] buf, int at, int count) throws IOException {
    int n = 0;
    while (n < count) {
      int r = in.read(buf, at + n, count - n);
      if (r < 0) {
        break;
      }
      n += r;
    }
    return n;
  }

  /**
   * Writes arrays as an archive, each as {@code <name>.npy}, in the map's order: deflated if
   * {@code compressed} ({@code np.savez_compressed}), else stored ({@code np.savez}). The file is
   * written to a temporary file and renamed over {@code file} only when complete.
   *
   * @throws IllegalArgumentException on an empty name or one containing {@code /} (nothing is
   *     written)
   */
  public static void write(Path file, Map<String, NpyArray> arrays, boolean compressed) throws IOException {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(arrays, "arrays");
    for (String name : arrays.keySet()) {
      if (name == null || name.isEmpty() || name.contains("/") || name.contains("\\")) {
        throw new IllegalArgumentException("Npz.write: bad array name '" + name
            + "' (expected: non-empty, without / or \\)");
      }
    }
    AtomicFiles.write(file, out -> {
      ZipOutputStream zip = new ZipOutputStream(out);
      for (Map.Entry<String, NpyArray> e : arrays.entrySet()) {
        ZipEntry z = new ZipEntry(e.getKey() + ".npy");
        if (compressed) {
          z.setMethod(ZipEntry.DEFLATED);
          zip.putNextEntry(z);
          Npy.writeTo(zip, e.getValue());
        } else {
          // A stored entry needs its size and CRC before its data.
          java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
          Npy.writeTo(b, e.getValue());
          byte[] content = b.toByteArray();
          CRC32 crc = new CRC32();
          crc.update(content);
          z.setMethod(ZipEntry.STORED);
          z.setSize(content.length);
          z.setCompressedSize(content.length);
          z.setCrc(crc.getValue());
          zip.putNextEntry(z);
          zip.write(content);
        }
        zip.closeEntry();
      }
      zip.finish();
    });
  }
}

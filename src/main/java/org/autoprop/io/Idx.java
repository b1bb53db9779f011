package org.autoprop.io;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Objects;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.autoprop.train.Dataset;

/**
 * IDX files, the format of MNIST and Fashion-MNIST: a big-endian magic number
 * ({@code 0x00000803} for unsigned-byte images {@code [n, rows, cols]}, {@code 0x00000801} for
 * unsigned-byte labels {@code [n]}), the extents as big-endian ints, then the bytes. Files may be
 * gzip-compressed (detected by the magic bytes {@code 1f 8b}).
 */
public final class Idx {
  /** The magic number of unsigned-byte images with 3 axes. */
  public static final int IMAGES_MAGIC = 0x00000803;
  /** The magic number of unsigned-byte labels with 1 axis. */
  public static final int LABELS_MAGIC = 0x00000801;

  /** Fashion-MNIST's training-set pixel mean and standard deviation (of p / 255). */
  public static final double FASHION_MNIST_MEAN = 0.2860;
  /** See {@link #FASHION_MNIST_MEAN}. */
  public static final double FASHION_MNIST_STD = 0.3530;
  /** MNIST's training-set pixel mean (of p / 255). */
  public static final double MNIST_MEAN = 0.1307;
  /** See {@link #MNIST_MEAN}. */
  public static final double MNIST_STD = 0.3081;

  private Idx() {}

  /** Images as unsigned bytes, row-major {@code [count, rows, cols]}. */
  public record Images(int count, int rows, int cols, byte[] pixels) {
    /** Checks that {@code pixels} holds count x rows x cols bytes. */
    public Images {
      if (count < 0 || rows < 0 || cols < 0 || pixels.length != (long) count * rows * cols) {
        throw new IllegalArgumentException("IDX images: " + pixels.length + " pixels (expected: " + count + " x "
            + rows + " x " + cols + ")");
      }
    }
  }

  /** Reads an image file (plain or gzip). */
  public static Images readImages(Path file) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(contents(file));
    checkMagic(file, b, IMAGES_MAGIC, "images");
    if (b.remaining() < 12) {
      throw new IOException(file + ": truncated IDX header (" + (b.capacity()) + " bytes, expected: at least 16)");
    }
    int n = b.getInt();
    int rows = b.getInt();
    int cols = b.getInt();
    if (n < 0 || rows <= 0 || cols <= 0) {
      throw new IOException(file + ": bad IDX extents [" + n + ", " + rows + ", " + cols + "]");
    }
    long need = (long) n * rows * cols;
    if (b.remaining() != need) {
      throw new IOException(file + ": " + b.remaining() + " bytes of pixel data (expected: " + n + " x " + rows + " x "
          + cols + " = " + need + ")" + (b.remaining() < need ? ", file truncated" : ", trailing bytes"));
    }
    byte[] pixels = new byte[(int) need];
    b.get(pixels);
    return new Images(n, rows, cols, pixels);
  }

  /** Reads a label file (plain or gzip). */
  public static byte[] readLabels(Path file) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(contents(file));
    checkMagic(file, b, LABELS_MAGIC, "labels");
    if (b.remaining() < 4) {
      throw new IOException(file + ": truncated IDX header (" + b.capacity() + " bytes, expected: at least 8)");
    }
    int n = b.getInt();
    if (n < 0) {
      throw new IOException(file + ": bad IDX label count " + n);
    }
    if (b.remaining() != n) {
      throw new IOException(file + ": " + b.remaining() + " bytes of label data (expected: " + n + ")"
          + (b.remaining() < n ? ", file truncated" : ", trailing bytes"));
    }
    byte[] labels = new byte[n];
    b.get(labels);
    return labels;
  }

  /**
   * Reads a label file and checks every label against the number of classes.
   *
   * @param classes the number of classes, 1 to 256; labels must be below it
   * @throws IOException naming the file and the first sample whose label is {@code >= classes}
   */
  public static byte[] readLabels(Path file, int classes) throws IOException {
    checkClasses("Idx.readLabels", classes);
    byte[] labels = readLabels(file);
    for (int i = 0; i < labels.length; i++) {
      if ((labels[i] & 0xff) >= classes) {
        throw new IOException(file + ": label " + (labels[i] & 0xff) + " at sample " + i
            + " (expected: 0 <= label < " + classes + ")");
      }
    }
    return labels;
  }

  /**
   * Reads an image file and its label file of 10 classes (MNIST, Fashion-MNIST) into a
   * {@link Dataset}; see {@link #load(Path, Path, int, double, double)}.
   */
  public static Dataset load(Path images, Path labels, double mean, double std) throws IOException {
    return load(images, labels, 10, mean, std);
  }

  /**
   * Reads an image file and its label file into a {@link Dataset} of {@code [n, 1, rows, cols]}
   * images scaled to [0, 1] then normalised with {@code (x - mean) / std}.
   *
   * @param classes the number of classes, 1 to 256: every label is checked to be below it here,
   *     so a corrupt label is reported with its file and sample rather than epochs later
   * @param mean the mean subtracted, finite
   * @param std the standard deviation divided by, finite and positive
   * @throws IOException naming the file on a malformed file, a label out of range, or image and
   *     label counts that differ
   * @throws IllegalArgumentException naming the value on a bad class count, mean or std
   */
  public static Dataset load(Path images, Path labels, int classes, double mean, double std) throws IOException {
    Objects.requireNonNull(images, "images");
    Objects.requireNonNull(labels, "labels");
    checkClasses("Idx.load", classes);
    if (!Double.isFinite(mean)) {
      throw new IllegalArgumentException("Idx.load: mean " + mean + " (expected: a finite number)");
    }
    if (!(std > 0 && Double.isFinite(std))) {
      throw new IllegalArgumentException("Idx.load: std " + std + " (expected: finite and > 0)");
    }
    Images im = readImages(images);
    byte[] lb = readLabels(labels, classes);
    if (im.count() != lb.length) {
      throw new IOException("IDX count mismatch: " + images + " has " + im.count() + " images but " + labels
          + " has " + lb.length + " labels");
    }
    int[] ls = new int[lb.length];
    for (int i = 0; i < ls.length; i++) {
      ls[i] = lb[i] & 0xff;
    }
    return Dataset.fromBytes(im.pixels(), im.count(), im.rows(), im.cols(), ls, mean, std);
  }

  private static void checkClasses(String method, int classes) {
    if (classes < 1 || classes > 256) {
      throw new IllegalArgumentException(method + ": classes " + classes + " (expected: 1 <= classes <= 256)");
    }
  }

  /** Writes an image file, gzip-compressed if {@code gzip}, atomically. */
  public static void writeImages(Path file, Images images, boolean gzip) throws IOException {
    ByteBuffer header = ByteBuffer.allocate(16);
    header.putInt(IMAGES_MAGIC).putInt(images.count()).putInt(images.rows()).putInt(images.cols());
    write(file, header.array(), images.pixels(), gzip);
  }

  /** Writes a label file, gzip-compressed if {@code gzip}, atomically. */
  public static void writeLabels(Path file, byte[] labels, boolean gzip) throws IOException {
    ByteBuffer header = ByteBuffer.allocate(8);
    header.putInt(LABELS_MAGIC).putInt(labels.length);
    write(file, header.array(), labels, gzip);
  }

  private static void write(Path file, byte[] header, byte[] body, boolean gzip) throws IOException {
    AtomicFiles.write(file, out -> {
      OutputStream o = gzip ? new GZIPOutputStream(out, 1 << 16) : out;
      o.write(header);
      o.write(body);
      if (gzip) {
        ((GZIPOutputStream) o).finish();
      }
    });
  }

  private static void checkMagic(Path file, ByteBuffer b, int expected, String what) throws IOException {
    if (b.remaining() < 4) {
      throw new IOException(file + ": " + b.remaining() + " bytes, too short for an IDX " + what + " file");
    }
    int magic = b.getInt();
    if (magic != expected) {
      throw new IOException(String.format("%s: magic number 0x%08x (expected: 0x%08x for IDX %s)",
          file, magic, expected, what));
    }
  }

  private static byte[] contents(Path file) throws IOException {
    byte[] raw = FileChecks.readAllBytes(file);
    if (raw.length < 2 || (raw[0] & 0xff) != 0x1f || (raw[1] & 0xff) != 0x8b) {
      return raw;
    }
    try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(raw), 1 << 16)) {
      ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(FileChecks.MAX_FILE_BYTES / 2, raw.length * 4L));
      byte[] chunk = new byte[1 << 16];
      for (int n; (n = in.read(chunk)) > 0; ) {
        if (out.size() > FileChecks.MAX_FILE_BYTES - n) {
          // A gzip bomb (or a real file over 2 GB) must not end in an OutOfMemoryError.
          throw new IOException(file + ": decompresses to more than " + FileChecks.MAX_FILE_BYTES
              + " bytes (expected: at most that)");
        }
        out.write(chunk, 0, n);
      }
      return out.toByteArray();
    } catch (EOFException e) {
      throw new IOException(file + ": truncated gzip stream", e);
    } catch (java.util.zip.ZipException e) {
      throw new IOException(file + ": corrupt gzip stream: " + e.getMessage(), e);
    }
  }
}

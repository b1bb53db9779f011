package org.autoprop.io;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.train.Dataset;

/**
 * An image classification data set laid out as torchvision's {@code ImageFolder}:
 * {@code root/<class name>/**&#47;<image>}, one folder per class. Classes are the folders sorted
 * by name, class {@code i} the i-th; images are found in each class folder and its subfolders,
 * sorted by path, and read with {@code javax.imageio} (PNG, JPEG, BMP, GIF; files with other
 * extensions are skipped, as torchvision does).
 *
 * <p>Each image becomes a {@code [C, H, W]} sample of floats {@code p / 255} in [0, 1], as
 * torchvision's {@code ToTensor}: {@code C = 3} gives RGB (a grey image repeated in the three
 * channels), {@code C = 1} grey (colour converted with PIL's {@code L} rule,
 * {@code (19595 R + 38470 G + 7471 B + 2^15) >> 16}); alpha is dropped. All images must have the
 * size of the first; augment or normalise with {@link Dataset#withTransform} and
 * {@link org.autoprop.train.Transforms}.
 */
public final class ImageFolder {
  private static final List<String> EXTENSIONS = List.of(".png", ".jpg", ".jpeg", ".bmp", ".gif");

  private final List<String> classes;
  private final List<Path> files;
  private final Dataset dataset;

  private ImageFolder(List<String> classes, List<Path> files, Dataset dataset) {
    this.classes = classes;
    this.files = files;
    this.dataset = dataset;
  }

  /**
   * Reads every image under {@code root}.
   *
   * @param channels 1 (grey) or 3 (RGB)
   * @throws IOException naming the path: {@code root} missing or not a folder, no class folder, a
   *     class folder without images, an unreadable image, or an image whose size differs from the
   *     first one's
   * @throws IllegalArgumentException on a channel count other than 1 or 3
   */
  public static ImageFolder read(Path root, int channels) throws IOException {
    Objects.requireNonNull(root, "root");
    if (channels != 1 && channels != 3) {
      throw new IllegalArgumentException("ImageFolder.read: channels " + channels + " (expected: 1 or 3)");
    }
    if (!Files.isDirectory(root)) {
      throw new IOException(root + ": " + (Files.exists(root) ? "is a file (expected: a folder of class folders)"
          : "no such folder"));
    }
    List<Path> classDirs = new ArrayList<>();
    try (Stream<Path> s = Files.list(root)) {
      s.filter(Files::isDirectory).forEach(classDirs::add);
    }
    classDirs.sort((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()));
    if (classDirs.isEmpty()) {
      throw new IOException(root + ": no class folders (expected: root/<class name>/<images>)");
    }
    List<String> classes = new ArrayList<>();
    List<Path> files = new ArrayList<>();
    List<Integer> labels = new ArrayList<>();
    for (Path dir : classDirs) {
      List<Path> images;
      try (Stream<Path> s = Files.walk(dir)) {
        images = s.filter(p -> Files.isRegularFile(p) && isImage(p)).sorted().collect(java.util.stream.Collectors.toList());
      }
      if (images.isEmpty()) {
        throw new IOException(dir + ": no image in class folder '" + dir.getFileName() + "' (expected: files ending in "
            + String.join(", ", EXTENSIONS) + ")");
      }
      for (Path p : images) {
        files.add(p);
        labels.add(classes.size());
      }
      classes.add(dir.getFileName().toString());
    }
    int n = files.size();
    int[] size = dimensions(files.get(0));
    int h = size[0];
    int w = size[1];
    Shape shape;
    try {
      shape = Shape.of(n, channels, h, w);
    } catch (IllegalArgumentException e) {
      throw new IOException(root + ": " + n + " images of " + w + "x" + h + " are too many values: " + e.getMessage(), e);
    }
    float[] data = new float[shape.size()];
    int plane = h * w;
    for (int i = 0; i < n; i++) {
      Path f = files.get(i);
      int[] d = i == 0 ? size : dimensions(f);
      if (d[0] != h || d[1] != w) {
        throw new IOException(f + ": image of " + d[1] + "x" + d[0] + " pixels (expected: " + w + "x" + h
            + ", the size of " + files.get(0) + ")");
      }
      BufferedImage img;
      try {
        img = ImageIO.read(f.toFile());
      } catch (IOException e) {
        throw new IOException(f + ": unreadable image: " + e.getMessage(), e);
      }
      if (img == null) {
        throw new IOException(f + ": not an image javax.imageio can read");
      }
      int base = i * channels * plane;
      // A grey image's own levels: getRGB would pass them through a linear-to-sRGB conversion.
      boolean grey = img.getType() == BufferedImage.TYPE_BYTE_GRAY;
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          int r;
          int g;
          int b;
          if (grey) {
            r = img.getRaster().getSample(x, y, 0);
            g = r;
            b = r;
          } else {
            int rgb = img.getRGB(x, y);
            r = rgb >>> 16 & 0xff;
            g = rgb >>> 8 & 0xff;
            b = rgb & 0xff;
          }
          int at = base + y * w + x;
          if (channels == 3) {
            data[at] = r / 255f;
            data[at + plane] = g / 255f;
            data[at + 2 * plane] = b / 255f;
          } else {
            data[at] = (grey ? r : (19595 * r + 38470 * g + 7471 * b + 0x8000) >> 16) / 255f;
          }
        }
      }
    }
    int[] ls = new int[n];
    for (int i = 0; i < n; i++) {
      ls[i] = labels.get(i);
    }
    return new ImageFolder(Collections.unmodifiableList(classes), Collections.unmodifiableList(files),
        new Dataset(Tensor.wrap(data, shape), ls));
  }

  private static boolean isImage(Path p) {
    String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
    for (String e : EXTENSIONS) {
      if (name.endsWith(e)) {
        return true;
      }
    }
    return false;
  }

  /** The {height, width} of an image, read from its header before any pixel is decoded. */
  private static int[] dimensions(Path f) throws IOException {
    try (ImageInputStream in = ImageIO.createImageInputStream(f.toFile())) {
      Iterator<ImageReader> readers = in == null ? Collections.emptyIterator() : ImageIO.getImageReaders(in);
      if (!readers.hasNext()) {
        throw new IOException(f + ": not an image javax.imageio can read");
      }
      ImageReader reader = readers.next();
      try {
        reader.setInput(in);
        return new int[] {reader.getHeight(0), reader.getWidth(0)};
      } finally {
        reader.dispose();
      }
    } catch (javax.imageio.IIOException e) {
      throw new IOException(f + ": unreadable image: " + e.getMessage(), e);
    }
  }

  /** The class names, sorted; class {@code i} is {@code classes().get(i)}. */
  public List<String> classes() {
    return classes;
  }

  /** The image files in sample order. */
  public List<Path> files() {
    return files;
  }

  /** The samples {@code [n, C, H, W]} in [0, 1] and their class indices. */
  public Dataset dataset() {
    return dataset;
  }
}

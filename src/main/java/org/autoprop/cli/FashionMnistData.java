package org.autoprop.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.autoprop.io.Idx;
import org.autoprop.train.Dataset;

/**
 * Finds and loads Fashion-MNIST: a folder given with {@code --data}, else Debian's package
 * {@code dataset-fashion-mnist}, else the subset shipped in the repository.
 */
final class FashionMnistData {
  /** Where Debian's {@code dataset-fashion-mnist} installs the IDX files. */
  static final Path DEBIAN = Paths.get("/usr/share/datasets/fashion-mnist");

  /** The class names, by label. */
  static final String[] CLASSES = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"
  };

  final Dataset train;
  final Dataset test;
  final String description;
  /** Where the data came from, recorded in checkpoints: the folder and the training set's size. */
  final String source;

  private FashionMnistData(Dataset train, Dataset test, String description, String source) {
    this.train = train;
    this.test = test;
    this.description = description;
    this.source = source;
  }

  /**
   * Loads from {@code dir} if given, else from the first place that has the four files.
   *
   * @param home the repository folder holding {@code data/fashion-mnist-subset}, or null
   */
  static FashionMnistData load(Path dir, Path home) throws IOException {
    if (dir != null) {
      if (!hasFiles(dir)) {
        throw new IOException("--data " + dir + ": expected the four Fashion-MNIST IDX files "
            + "(train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], "
            + "t10k-labels-idx1-ubyte[.gz])");
      }
      return read(dir, "Fashion-MNIST from " + dir);
    }
    if (hasFiles(DEBIAN)) {
      return read(DEBIAN, "Fashion-MNIST, the full set from " + DEBIAN + " (Debian package dataset-fashion-mnist)");
    }
    Path subset = (home != null ? home : Paths.get(".")).resolve("data/fashion-mnist-subset");
    if (hasFiles(subset)) {
      return read(subset, "the embedded Fashion-MNIST subset in " + subset
          + " (for the full set: apt-get install dataset-fashion-mnist, or --data DIR)");
    }
    throw new IOException("No Fashion-MNIST data: not in " + DEBIAN + " (apt-get install dataset-fashion-mnist), "
        + "nor in " + subset + "; pass --data DIR");
  }

  private static FashionMnistData read(Path dir, String where) throws IOException {
    Dataset train = Idx.load(file(dir, "train-images-idx3-ubyte"), file(dir, "train-labels-idx1-ubyte"),
        Idx.FASHION_MNIST_MEAN, Idx.FASHION_MNIST_STD);
    Dataset test = Idx.load(file(dir, "t10k-images-idx3-ubyte"), file(dir, "t10k-labels-idx1-ubyte"),
        Idx.FASHION_MNIST_MEAN, Idx.FASHION_MNIST_STD);
    return new FashionMnistData(train, test,
        where + ": " + train.size() + " training and " + test.size() + " test images",
        dir.toAbsolutePath().normalize() + " (" + train.size() + " training images)");
  }

  private static boolean hasFiles(Path dir) {
    return file(dir, "train-images-idx3-ubyte") != null && file(dir, "train-labels-idx1-ubyte") != null
        && file(dir, "t10k-images-idx3-ubyte") != null && file(dir, "t10k-labels-idx1-ubyte") != null;
  }

  /** The plain or gzip file of that base name, or null. */
  private static Path file(Path dir, String base) {
    for (String name : new String[] {base + ".gz", base}) {
      Path p = dir.resolve(name);
      if (Files.isRegularFile(p)) {
        return p;
      }
    }
    return null;
  }
}

package org.autoprop.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import org.autoprop.train.Dataset;
import org.junit.jupiter.api.Test;

/** The embedded data subset under data/fashion-mnist-subset reads as its README describes. */
class FashionMnistSubsetTest {
  private static final Path DIR = Paths.get("data/fashion-mnist-subset");

  private static int[] perClass(int[] labels) {
    int[] counts = new int[10];
    for (int l : labels) {
      counts[l]++;
    }
    return counts;
  }

  @Test
  void trainingSubset() throws IOException {
    Idx.Images im = Idx.readImages(DIR.resolve("train-images-idx3-ubyte.gz"));
    assertEquals(5000, im.count());
    assertEquals(28, im.rows());
    assertEquals(28, im.cols());
    long sum = 0;
    for (byte b : im.pixels()) {
      sum += b & 0xff;
    }
    assertEquals(0.2861, sum / 255.0 / im.pixels().length, 1e-4, "pixel mean from the README");

    Dataset d = Idx.load(DIR.resolve("train-images-idx3-ubyte.gz"), DIR.resolve("train-labels-idx1-ubyte.gz"),
        Idx.FASHION_MNIST_MEAN, Idx.FASHION_MNIST_STD);
    assertEquals("[5000, 1, 28, 28]", d.inputs().shape().toString());
    assertEquals(10, d.classCount());
    assertArrayEquals(new int[] {9, 0, 0, 3, 0, 2, 7, 2, 5, 5}, Arrays.copyOf(d.labels(), 10));
    assertArrayEquals(new int[] {457, 556, 504, 501, 488, 493, 493, 512, 490, 506}, perClass(d.labels()));
  }

  @Test
  void testSubset() throws IOException {
    Dataset d = Idx.load(DIR.resolve("t10k-images-idx3-ubyte.gz"), DIR.resolve("t10k-labels-idx1-ubyte.gz"),
        Idx.FASHION_MNIST_MEAN, Idx.FASHION_MNIST_STD);
    assertEquals("[1000, 1, 28, 28]", d.inputs().shape().toString());
    assertArrayEquals(new int[] {107, 105, 111, 93, 115, 87, 97, 95, 95, 95}, perClass(d.labels()));
    double min = Double.MAX_VALUE;
    double max = -Double.MAX_VALUE;
    for (int i = 0; i < d.inputs().size(); i++) {
      min = Math.min(min, d.inputs().getFlat(i));
      max = Math.max(max, d.inputs().getFlat(i));
    }
    assertEquals(-Idx.FASHION_MNIST_MEAN / Idx.FASHION_MNIST_STD, min, 1e-5, "black pixels");
    assertEquals((1 - Idx.FASHION_MNIST_MEAN) / Idx.FASHION_MNIST_STD, max, 1e-5, "white pixels");
  }
}

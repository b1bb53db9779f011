package org.autoprop.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.train.Batch;
import org.autoprop.train.Batches;
import org.autoprop.train.Dataset;
import org.autoprop.train.Transforms;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Folders of PNGs written here with ImageIO, read as torchvision's ImageFolder + ToTensor reads them. */
class ImageFolderTest {
  @TempDir Path root;

  /** Writes a random RGB PNG (or a grey one) and returns its pixels as packed 0xRRGGBB (grey: level). */
  static int[] png(Path file, int w, int h, boolean grey, SplittableRandom r) throws IOException {
    BufferedImage img = new BufferedImage(w, h, grey ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB);
    int[] px = new int[w * h];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int v = grey ? r.nextInt(256) : r.nextInt(1 << 24);
        px[y * w + x] = v;
        if (grey) {
          img.getRaster().setSample(x, y, 0, v);
        } else {
          img.setRGB(x, y, v);
        }
      }
    }
    Files.createDirectories(file.getParent());
    ImageIO.write(img, "png", file.toFile());
    return px;
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#fewSeeds")
  void readsClassesSortedAndPixelsAsToTensor(long seed) throws IOException {
    SplittableRandom r = new SplittableRandom(seed);
    int w = 1 + r.nextInt(5);
    int h = 1 + r.nextInt(5);
    // Written out of order; classes sort by folder name, images by path.
    int[] zebra = png(root.resolve("zebra/b.png"), w, h, false, r);
    int[] ant = png(root.resolve("ant/x.PNG"), w, h, true, r);
    int[] zebraA = png(root.resolve("zebra/a.png"), w, h, false, r);
    int[] nested = png(root.resolve("ant/sub/y.png"), w, h, false, r);
    Files.writeString(root.resolve("ant/notes.txt"), "not an image");
    Files.writeString(root.resolve("README"), "a file beside the class folders");
    for (int channels : new int[] {3, 1}) {
      ImageFolder f = ImageFolder.read(root, channels);
      assertEquals(List.of("ant", "zebra"), f.classes());
      assertEquals(List.of(root.resolve("ant/sub/y.png"), root.resolve("ant/x.PNG"), root.resolve("zebra/a.png"),
          root.resolve("zebra/b.png")), f.files());
      Dataset d = f.dataset();
      assertArrayEquals(new int[] {0, 0, 1, 1}, d.labels());
      assertEquals(Shape.of(4, channels, h, w), d.inputs().shape());
      int[][] expected = {nested, ant, zebraA, zebra};
      boolean[] grey = {false, true, false, false};
      for (int s = 0; s < 4; s++) {
        for (int p = 0; p < w * h; p++) {
          int v = expected[s][p];
          int red = grey[s] ? v : v >>> 16 & 0xff;
          int green = grey[s] ? v : v >>> 8 & 0xff;
          int blue = grey[s] ? v : v & 0xff;
          Tensor in = d.inputs();
          int base = s * channels * w * h + p;
          if (channels == 3) {
            assertEquals(red / 255f, in.getFlat(base), "sample " + s + " pixel " + p + " red");
            assertEquals(green / 255f, in.getFlat(base + w * h));
            assertEquals(blue / 255f, in.getFlat(base + 2 * w * h));
          } else {
            int level = grey[s] ? v : (int) Math.floor(red * 0.299 + green * 0.587 + blue * 0.114 + 0.5);
            assertEquals(level, Math.round(in.getFlat(base) * 255), 1, "sample " + s + " grey pixel " + p);
            int pil = (19595 * red + 38470 * green + 7471 * blue + 0x8000) >> 16;
            assertEquals(grey[s] ? v : pil, in.getFlat(base) * 255f, 1e-3, "PIL's L rule");
          }
        }
      }
    }
  }

  @Test
  void augmentedPrefetchedBatchesFromAFolder() throws IOException {
    SplittableRandom r = new SplittableRandom(1);
    for (int i = 0; i < 6; i++) {
      png(root.resolve((i % 2 == 0 ? "cat" : "dog") + "/" + i + ".png"), 8, 8, false, r);
    }
    Dataset d = ImageFolder.read(root, 3).dataset()
        .withTransform(Transforms.randomCrop(6, 1).then(Transforms.horizontalFlip())
            .then(Transforms.normalize(new float[] {0.5f, 0.5f, 0.5f}, new float[] {0.25f, 0.25f, 0.25f})))
        .withPrefetch(2);
    Batches batches = d.batches(4, false);
    batches.shuffle(3);
    int seen = 0;
    for (Batch b : batches) {
      assertEquals(Shape.of(b.size(), 3, 6, 6), b.inputs().shape());
      for (float v : b.inputs().toArray()) {
        assertEquals(0, v, 2.0001f); // (x - 0.5) / 0.25 for x in [0, 1], and padding (0 - 0.5) / 0.25
      }
      seen += b.size();
    }
    assertEquals(6, seen);
  }

  @Test
  void imagesOfAnotherSizeAreRefusedNamingBoth() throws IOException {
    SplittableRandom r = new SplittableRandom(2);
    png(root.resolve("a/1.png"), 4, 3, false, r);
    png(root.resolve("b/2.png"), 4, 5, false, r);
    IOException e = assertThrows(IOException.class, () -> ImageFolder.read(root, 3));
    assertEquals(root.resolve("b/2.png") + ": image of 4x5 pixels (expected: 4x3, the size of " + root.resolve("a/1.png")
        + ")", e.getMessage());
  }

  @Test
  void badFoldersAndFilesAreRefusedByPath() throws IOException {
    Path missing = root.resolve("nope");
    assertEquals(missing + ": no such folder",
        assertThrows(IOException.class, () -> ImageFolder.read(missing, 3)).getMessage());
    Files.writeString(root.resolve("file"), "x");
    assertEquals(root.resolve("file") + ": is a file (expected: a folder of class folders)",
        assertThrows(IOException.class, () -> ImageFolder.read(root.resolve("file"), 3)).getMessage());
    assertEquals(root + ": no class folders (expected: root/<class name>/<images>)",
        assertThrows(IOException.class, () -> ImageFolder.read(root, 3)).getMessage());
    png(root.resolve("a/1.png"), 2, 2, false, new SplittableRandom(1));
    Files.createDirectories(root.resolve("b"));
    Files.writeString(root.resolve("b/readme.txt"), "x");
    assertEquals(root.resolve("b") + ": no image in class folder 'b' (expected: files ending in .png, .jpg, .jpeg, "
        + ".bmp, .gif)", assertThrows(IOException.class, () -> ImageFolder.read(root, 3)).getMessage());
    Files.writeString(root.resolve("b/fake.png"), "not a png at all");
    assertEquals(root.resolve("b/fake.png") + ": not an image javax.imageio can read",
        assertThrows(IOException.class, () -> ImageFolder.read(root, 3)).getMessage());
    byte[] good = Files.readAllBytes(root.resolve("a/1.png"));
    Files.write(root.resolve("b/fake.png"), java.util.Arrays.copyOf(good, 40)); // header intact, data cut
    IOException e = assertThrows(IOException.class, () -> ImageFolder.read(root, 3));
    assertEquals(true, e.getMessage().startsWith(root.resolve("b/fake.png") + ": unreadable image: "), e.getMessage());
    assertEquals("ImageFolder.read: channels 2 (expected: 1 or 3)",
        assertThrows(IllegalArgumentException.class, () -> ImageFolder.read(root, 2)).getMessage());
  }
}

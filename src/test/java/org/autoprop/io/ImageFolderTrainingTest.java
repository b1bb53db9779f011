package org.autoprop.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.autoprop.layer.BatchNorm2D;
import org.autoprop.layer.Conv2D;
import org.autoprop.layer.Dense;
import org.autoprop.layer.Flatten;
import org.autoprop.layer.GlobalAvgPool2D;
import org.autoprop.layer.Parameter;
import org.autoprop.layer.Pool2D;
import org.autoprop.layer.ReLU;
import org.autoprop.layer.Sequential;
import org.autoprop.train.ConfusionMatrix;
import org.autoprop.train.CrossEntropyLoss;
import org.autoprop.train.Dataset;
import org.autoprop.train.Sgd;
import org.autoprop.train.Trainer;
import org.autoprop.train.Transform;
import org.autoprop.train.Transforms;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A training demonstration (issue 14): a small Conv2D network learns four kinds of procedurally drawn
 * 16x16 RGB pictures read from a folder of PNGs written here, trained with random crops (padding 2),
 * horizontal flips and normalisation, two batches prefetched, to at least {@value #TARGET} accuracy
 * on a separately drawn test folder (chance: 0.25); a second run with the same seed ends on the same
 * weights, bit for bit.
 */
class ImageFolderTrainingTest {
  /** The accuracy the trained network must reach on the test folder. */
  static final double TARGET = 0.9;

  static final int SIZE = 16;
  /** Folder names: ImageFolder gives them ids in sorted order. */
  static final List<String> CLASSES = List.of("disc", "hstripes", "ring", "vstripes");

  @TempDir Path dir;

  /**
   * Writes {@code perClass} PNGs of each class under {@code root/<class>/}: a random dark background,
   * a random bright foreground colour, per-pixel noise of up to +-24 levels per channel, and the
   * class's figure at a random place: a filled disc (radius 3-5), horizontal or vertical stripes
   * (period 4, random phase), or a ring (radius 4-6, width about 1.5). Flips keep every class.
   */
  static void drawFolder(Path root, int perClass, long seed) throws IOException {
    SplittableRandom r = new SplittableRandom(seed);
    for (int c = 0; c < CLASSES.size(); c++) {
      Path folder = Files.createDirectories(root.resolve(CLASSES.get(c)));
      for (int i = 0; i < perClass; i++) {
        int[] bg = {r.nextInt(100), r.nextInt(100), r.nextInt(100)};
        int[] fg = {155 + r.nextInt(101), 155 + r.nextInt(101), 155 + r.nextInt(101)};
        double cx = 4 + r.nextDouble() * (SIZE - 8);
        double cy = 4 + r.nextDouble() * (SIZE - 8);
        double radius = (c == 0 ? 3 : 4) + 2 * r.nextDouble();
        int phase = r.nextInt(4);
        BufferedImage img = new BufferedImage(SIZE, SIZE, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < SIZE; y++) {
          for (int x = 0; x < SIZE; x++) {
            double d = Math.hypot(x + 0.5 - cx, y + 0.5 - cy);
            boolean on = switch (c) {
              case 0 -> d <= radius;
              case 1 -> (y + phase) % 4 < 2;
              case 2 -> Math.abs(d - radius) <= 0.75;
              default -> (x + phase) % 4 < 2;
            };
            int rgb = 0;
            for (int k = 0; k < 3; k++) {
              int v = (on ? fg[k] : bg[k]) + r.nextInt(49) - 24;
              rgb = rgb << 8 | Math.max(0, Math.min(255, v));
            }
            img.setRGB(x, y, rgb);
          }
        }
        ImageIO.write(img, "png", folder.resolve(String.format(Locale.ROOT, "%04d.png", i)).toFile());
      }
    }
  }

  /** Conv(3->16, 3x3) BN ReLU MaxPool2 Conv(16->32, 3x3) ReLU GlobalAvgPool Dense(32->4), seeded weights. */
  static Sequential network() {
    return new Sequential(
        Conv2D.builder(3, 16).kernel(3).padding(1).seed(21).build(),
        new BatchNorm2D(16),
        new ReLU(),
        Pool2D.max(2),
        Conv2D.builder(16, 32).kernel(3).padding(1).seed(22).build(),
        new ReLU(),
        new GlobalAvgPool2D(),
        new Flatten(),
        Dense.builder(32, CLASSES.size()).seed(23).build());
  }

  /** The per-channel mean (index 0) and standard deviation (index 1) of {@code [N, C, H, W]} images. */
  static float[][] channelStats(Dataset d) {
    int n = d.size();
    int c = d.sampleShape().dim(0);
    int plane = d.sampleShape().size() / c;
    float[] x = d.inputs().data();
    float[][] out = new float[2][c];
    for (int k = 0; k < c; k++) {
      double sum = 0;
      double sq = 0;
      for (int i = 0; i < n; i++) {
        for (int p = 0; p < plane; p++) {
          double v = x[(i * c + k) * plane + p];
          sum += v;
          sq += v * v;
        }
      }
      double mean = sum / ((double) n * plane);
      out[0][k] = (float) mean;
      out[1][k] = (float) Math.sqrt(sq / ((double) n * plane) - mean * mean);
    }
    return out;
  }

  /** Trains a fresh {@link #network()} on the folder with augmentation and prefetch; returns the model. */
  static Sequential train(Dataset folder, float[][] stats, int epochs) {
    Transform augment = Transforms.randomCrop(SIZE, 2).then(Transforms.horizontalFlip())
        .then(Transforms.normalize(stats[0], stats[1]));
    Sequential model = network();
    Sgd sgd = Sgd.builder(model.parameters()).lr(0.05).momentum(0.9).weightDecay(5e-4).build();
    new Trainer(model, new CrossEntropyLoss(), sgd).batchSize(32).epochs(epochs).seed(7).dropLast(true)
        .progress(null, false).fit(folder.withTransform(augment).withPrefetch(2), null);
    return model;
  }

  @Test
  void conv2dNetworkLearnsAnImageFolderToAtLeast90PercentAndRepeatsItsWeights() throws IOException {
    drawFolder(dir.resolve("train"), 100, 1);
    drawFolder(dir.resolve("test"), 40, 2);
    ImageFolder trainFolder = ImageFolder.read(dir.resolve("train"), 3);
    ImageFolder testFolder = ImageFolder.read(dir.resolve("test"), 3);
    assertEquals(CLASSES, trainFolder.classes());
    assertEquals(CLASSES, testFolder.classes());
    Dataset train = trainFolder.dataset();
    float[][] stats = channelStats(train);
    Dataset test = testFolder.dataset().withTransform(Transforms.normalize(stats[0], stats[1]));

    long start = System.nanoTime();
    Sequential model = train(train, stats, 12);
    double seconds = (System.nanoTime() - start) / 1e9;
    double accuracy = ConfusionMatrix.evaluate(model, test, 80).accuracy();
    double untrained = ConfusionMatrix.evaluate(network(), test, 80).accuracy();
    System.out.printf(Locale.ROOT, "ImageFolderTrainingTest: test accuracy %.4f (untrained %.4f) after 12 epochs"
        + " (%.1f s)%n", accuracy, untrained, seconds);
    assertTrue(untrained < 0.5, () -> "untrained accuracy " + untrained + ": the test folder is too easy");
    assertTrue(accuracy >= TARGET, () -> "test accuracy " + accuracy + " (expected: >= " + TARGET + ")");

    Sequential again = train(train, stats, 12);
    List<Parameter> a = model.parameters();
    List<Parameter> b = again.parameters();
    assertEquals(a.size(), b.size());
    for (int i = 0; i < a.size(); i++) {
      assertArrayEquals(a.get(i).value().toArray(), b.get(i).value().toArray(), a.get(i).name());
    }
    for (String name : model.buffers().keySet()) {
      assertArrayEquals(model.buffers().get(name).toArray(), again.buffers().get(name).toArray(), name);
    }
  }
}

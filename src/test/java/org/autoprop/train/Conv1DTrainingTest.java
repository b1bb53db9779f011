package org.autoprop.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.autoprop.layer.BatchNorm1D;
import org.autoprop.layer.Conv1D;
import org.autoprop.layer.Dense;
import org.autoprop.layer.Flatten;
import org.autoprop.layer.GlobalAvgPool1D;
import org.autoprop.layer.Pool1D;
import org.autoprop.layer.ReLU;
import org.autoprop.layer.Sequential;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * A training demonstration (issue 14): a small Conv1D network learns which of four motif shapes is
 * hidden at a random position in a noisy 1-D signal, to at least {@value #TARGET} accuracy on a
 * held-out set drawn from another seed (chance: 0.25). Trained by the {@link Trainer} with AdamW over
 * {@link ParamGroups#noDecayOnBiasAndNorm} groups and a per-step {@link LrSchedule#oneCycle}.
 */
class Conv1DTrainingTest {
  /** The accuracy the trained network must reach on the held-out signals. */
  static final double TARGET = 0.9;

  static final int LENGTH = 64;
  static final int MOTIF = 16;
  static final int CLASSES = 4;

  /**
   * The motif of class {@code c} at offset {@code t} in {@code [0, MOTIF)}: 0 a box, 1 a triangle,
   * 2 one period of a sine, 3 two narrow spikes a motif's half apart. Each is zero outside its window,
   * so no class is told by the signal's level away from the motif.
   */
  static double motif(int c, int t) {
    double u = (t + 0.5) / MOTIF;
    return switch (c) {
      case 0 -> t >= 2 && t < MOTIF - 2 ? 1 : 0;
      case 1 -> 1.6 * (1 - Math.abs(2 * u - 1));
      case 2 -> 1.2 * Math.sin(2 * Math.PI * u);
      case 3 -> t == 3 || t == 4 || t == 11 || t == 12 ? 1.5 : 0;
      default -> throw new IllegalArgumentException("class " + c);
    };
  }

  /**
   * {@code n} signals {@code [n, 1, LENGTH]}: Gaussian noise (sigma 0.35) plus one motif of a random
   * class, scaled by a random amplitude in [0.7, 1.3], at a random position; balanced classes in
   * random order.
   */
  static Dataset motifs(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] x = new float[n * LENGTH];
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = i % CLASSES;
    }
    for (int i = n - 1; i > 0; i--) { // Fisher-Yates, so the classes do not come in a fixed cycle
      int j = r.nextInt(i + 1);
      int t = labels[i];
      labels[i] = labels[j];
      labels[j] = t;
    }
    for (int i = 0; i < n; i++) {
      int at = r.nextInt(LENGTH - MOTIF + 1);
      double amplitude = 0.7 + 0.6 * r.nextDouble();
      for (int t = 0; t < LENGTH; t++) {
        double inMotif = t >= at && t < at + MOTIF ? amplitude * motif(labels[i], t - at) : 0;
        x[i * LENGTH + t] = (float) (inMotif + 0.35 * nextGaussian(r));
      }
    }
    return new Dataset(Tensor.wrap(x, Shape.of(n, 1, LENGTH)), labels);
  }

  /** A standard normal draw (Box-Muller), so the data depend on the seed only, not on a JDK's Random. */
  private static double nextGaussian(SplittableRandom r) {
    double u = 1 - r.nextDouble(); // (0, 1]
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r.nextDouble());
  }

  /** Conv(1->16, k7) BN ReLU MaxPool2 Conv(16->32, k5) ReLU GlobalAvgPool Dense(32->4), seeded weights. */
  static Sequential network() {
    return new Sequential(
        Conv1D.builder(1, 16).kernel(7).padding(3).seed(11).build(),
        new BatchNorm1D(16),
        new ReLU(),
        Pool1D.max(2),
        Conv1D.builder(16, 32).kernel(5).padding(2).seed(12).build(),
        new ReLU(),
        new GlobalAvgPool1D(),
        new Flatten(),
        Dense.builder(32, CLASSES).seed(13).build());
  }

  /**
   * A trainer for {@code model}: batches of 32 (the last, smaller one dropped), AdamW (lr 0.01, weight
   * decay 0.01 on the kernels only), one cycle per step over {@code epochs} epochs of {@code samples}.
   */
  static Trainer trainer(Sequential model, int samples, int epochs) {
    int batch = 32;
    long steps = Math.max(1, (long) epochs * (samples / batch));
    AdamW opt = AdamW.withGroups(ParamGroups.noDecayOnBiasAndNorm(model.parameters()))
        .lr(0.02).weightDecay(0.01).build();
    return new Trainer(model, new CrossEntropyLoss(), opt)
        .batchSize(batch).epochs(epochs).seed(5).dropLast(true)
        .schedule(LrSchedule.oneCycle(0.02, steps), true).progress(null, false);
  }

  @Test
  void conv1dNetworkFindsTheMotifInNoiseToAtLeast90PercentOnHeldOutSignals() {
    Dataset train = motifs(1200, 1);
    Dataset test = motifs(400, 2);
    Sequential model = network();
    long start = System.nanoTime();
    Trainer trainer = trainer(model, train.size(), 15);
    trainer.fit(train, null);
    double seconds = (System.nanoTime() - start) / 1e9;
    double accuracy = trainer.evaluate(test)[1];
    System.out.printf(java.util.Locale.ROOT, "Conv1DTrainingTest: held-out accuracy %.4f after 15 epochs (%.1f s)%n",
        accuracy, seconds);
    assertTrue(accuracy >= TARGET, () -> "held-out accuracy " + accuracy + " (expected: >= " + TARGET + ")");
  }

  @Test
  void untrainedOrOnScrambledLabelsTheSameNetworkStaysNearChance() {
    // The control that shows the target is not met for free: no training, or labels that do not
    // follow the motif, leave the held-out accuracy far below it.
    Dataset test = motifs(400, 2);
    double before = trainer(network(), 1200, 1).evaluate(test)[1];
    assertTrue(before < 0.5, () -> "untrained accuracy " + before);

    Dataset train = motifs(1200, 1);
    int[] scrambled = train.labels().clone();
    SplittableRandom r = new SplittableRandom(3);
    for (int i = 0; i < scrambled.length; i++) {
      scrambled[i] = r.nextInt(CLASSES);
    }
    Trainer trainer = trainer(network(), train.size(), 2);
    trainer.fit(new Dataset(train.inputs(), scrambled), null);
    double accuracy = trainer.evaluate(test)[1];
    assertTrue(accuracy < 0.5, () -> "accuracy after training on scrambled labels " + accuracy);
  }

  @Test
  void theSignalsAreTheSameForASeed() {
    Dataset a = motifs(40, 9);
    Dataset b = motifs(40, 9);
    assertArrayEquals(a.inputs().toArray(), b.inputs().toArray());
    assertArrayEquals(a.labels(), b.labels());
    int[] counts = new int[CLASSES];
    for (int label : a.labels()) {
      counts[label]++;
    }
    assertArrayEquals(new int[] {10, 10, 10, 10}, counts, "balanced classes");
    assertEquals(Shape.of(40, 1, LENGTH), a.inputs().shape());
  }
}

package org.autoprop.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.autoprop.layer.BatchNorm1D;
import org.autoprop.layer.Dense;
import org.autoprop.layer.Flatten;
import org.autoprop.layer.Sequential;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.junit.jupiter.api.Test;

class TrainerTest {
  /** Three Gaussian blobs in 4 dimensions, as [n, 1, 2, 2] "images". */
  private static Dataset blobs(int n, long seed) {
    Random r = new Random(seed);
    float[][] centres = {{2, 0, 0, -1}, {-2, 1, 0, 1}, {0, -2, 2, 0}};
    float[] x = new float[n * 4];
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = r.nextInt(3);
      for (int j = 0; j < 4; j++) {
        x[i * 4 + j] = centres[labels[i]][j] + (float) (0.5 * r.nextGaussian());
      }
    }
    return new Dataset(Tensor.wrap(x, Shape.of(n, 1, 2, 2)), labels);
  }

  private static PrintStream sink(ByteArrayOutputStream bytes) {
    return new PrintStream(bytes, true, StandardCharsets.UTF_8);
  }

  @Test
  void learnsASeparableProblemAndSwitchesModes() {
    DenseFixture model = new DenseFixture("fc", 4, 3, 1);
    Dataset train = blobs(300, 1);
    Dataset val = blobs(100, 2);
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    List<Integer> epochsSeen = new ArrayList<>();
    Trainer t = new Trainer(model, new CrossEntropyLoss(), new Sgd(model.parameters(), 0.1, 0.9))
        .batchSize(32).epochs(4).seed(7).progress(sink(log), false)
        .addListener((r, trainer) -> epochsSeen.add(r.epoch()));
    double before = t.evaluate(val)[0];
    List<EpochResult> history = t.fit(train, val);
    assertEquals(List.of(1, 2, 3, 4), epochsSeen, "epochs count from 1, as the log does");
    assertEquals(4, history.size());
    EpochResult last = history.get(3);
    assertTrue(last.validationAccuracy() > 0.95, () -> "val accuracy " + last.validationAccuracy());
    assertTrue(last.validationLoss() < before / 3, () -> "val loss " + last.validationLoss() + " from " + before);
    assertTrue(last.trainLoss() < history.get(0).trainLoss());
    assertEquals(4 * 10, model.trainingForwards, "10 training batches per epoch, in training mode");
    assertEquals(4 + 4 * 4, model.evalForwards, "4 validation batches before training and per epoch, in evaluation mode");
    String text = log.toString(StandardCharsets.UTF_8);
    assertFalse(text.contains("\r"), "no carriage return without a console");
    assertTrue(text.contains("epoch 1/4  batch 10/10  loss "), text);
    assertTrue(text.contains(" img/s  ETA "), text);
    assertTrue(text.contains("val acc"), text);
  }

  @Test
  void interactiveProgressRewritesOneLine() {
    DenseFixture model = new DenseFixture("fc", 4, 3, 1);
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    new Trainer(model, new CrossEntropyLoss(), new Sgd(model.parameters(), 0.1))
        .batchSize(50).epochs(1).progress(sink(log), true).fit(blobs(100, 1), null);
    String text = log.toString(StandardCharsets.UTF_8);
    assertTrue(text.startsWith("\repoch 1/1  batch 1/2"), text);
    assertEquals(1, text.split("\n", -1).length - 1, "one finished line per epoch: " + text);
  }

  @Test
  void earlyStoppingWhenNothingImproves() {
    DenseFixture model = new DenseFixture("fc", 4, 3, 1);
    List<EpochResult> h = new Trainer(model, new CrossEntropyLoss(), new Sgd(model.parameters(), 0.0))
        .batchSize(64).epochs(20).earlyStopping(2, 1e-6).progress(null, false).fit(blobs(100, 1), blobs(50, 2));
    assertEquals(3, h.size(), "the first epoch sets the best, two more without improvement stop");
  }

  @Test
  void listenerCanStopAndScheduleSetsTheRate() {
    DenseFixture model = new DenseFixture("fc", 4, 3, 1);
    Sgd sgd = new Sgd(model.parameters(), 1.0);
    List<EpochResult> h = new Trainer(model, new CrossEntropyLoss(), sgd)
        .epochs(10).schedule(LrSchedule.stepDecay(0.2, 1, 0.5), false).progress(null, false)
        .addListener((r, t) -> {
          if (r.epoch() == 3) {
            t.requestStop();
          }
        })
        .fit(blobs(64, 1), null);
    assertEquals(3, h.size());
    assertEquals(0.2, h.get(0).learningRate(), 1e-12);
    assertEquals(0.05, h.get(2).learningRate(), 1e-12);
    assertTrue(Double.isNaN(h.get(0).validationLoss()));
  }

  @Test
  void sameSeedSameRun() {
    float[][] weights = new float[2][];
    for (int run = 0; run < 2; run++) {
      DenseFixture model = new DenseFixture("fc", 4, 3, 1);
      new Trainer(model, new CrossEntropyLoss(), new Adam(model.parameters(), 0.01))
          .batchSize(16).epochs(2).seed(5).clipNorm(1.0).progress(null, false).fit(blobs(80, 1), null);
      weights[run] = model.parameters().get(0).value().toArray();
    }
    assertArrayEquals(weights[0], weights[1]);
  }

  @Test
  void aNonFiniteInputStopsTrainingBeforeTheStepAndNamesTheBatch() {
    DenseFixture model = new DenseFixture("fc", 4, 3, 1);
    Dataset data = blobs(64, 1);
    data.inputs().data()[7] = Float.NaN; // sample 1 of the data set
    float[] before = model.parameters().get(0).value().toArray();
    List<EpochResult> seen = new ArrayList<>();
    TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
        () -> new Trainer(model, new CrossEntropyLoss(), new Sgd(model.parameters(), 0.1)).batchSize(64).epochs(2)
            .progress(null, false).addListener((r, t) -> seen.add(r)).fit(data, null));
    assertTrue(e.getMessage().startsWith("epoch 1, batch 1: the loss is NaN"), e.getMessage());
    assertEquals(1, e.epoch());
    assertEquals(1, e.batch());
    assertArrayEquals(before, model.parameters().get(0).value().toArray(), "the failing step was not taken");
    assertTrue(seen.isEmpty(), "no epoch ended, so no listener (checkpoint) ran");
  }

  @Test
  void weightsThatOverflowAreCaughtBeforeTheListenersRun() {
    DenseFixture model = new DenseFixture("fc", 4, 3, 1);
    // 3e38 is finite as a float, but one step of it on these gradients overflows the weights.
    Sgd sgd = new Sgd(model.parameters(), 3e38);
    Dataset data = blobs(64, 1);
    float[] x = data.inputs().data();
    for (int i = 0; i < x.length; i++) {
      x[i] *= 100;
    }
    List<EpochResult> seen = new ArrayList<>();
    TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
        () -> new Trainer(model, new CrossEntropyLoss(), sgd).batchSize(64).epochs(1).progress(null, false)
            .addListener((r, t) -> seen.add(r)).fit(data, null));
    assertTrue(e.getMessage().contains("the weights of parameter 'fc.") && e.getMessage().contains("are not finite"),
        e.getMessage());
    assertEquals(-1, e.batch());
    assertTrue(seen.isEmpty(), "the listener that would save a checkpoint never saw the bad weights");
  }

  /** BatchNorm's running variance can overflow while training mode, on batch statistics, trains on. */
  @Test
  void aNonFiniteBufferIsCaughtBeforeTheListenersRun() {
    BatchNorm1D bn = new BatchNorm1D(4);
    Sequential model = new Sequential(new Flatten(), bn, new Dense(4, 3));
    bn.runningVar().data()[2] = Float.POSITIVE_INFINITY;
    List<EpochResult> seen = new ArrayList<>();
    TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
        () -> new Trainer(model, new CrossEntropyLoss(), new Sgd(model.parameters(), 0.1)).batchSize(16).epochs(1)
            .progress(null, false).addListener((r, t) -> seen.add(r)).fit(blobs(64, 1), null));
    assertTrue(e.getMessage().startsWith("after epoch 1 the buffer '1.running_var' is not finite"), e.getMessage());
    assertTrue(seen.isEmpty(), "no listener saw the bad buffer");
  }

  @Test
  void aNonFiniteValidationLossStopsTraining() {
    DenseFixture model = new DenseFixture("fc", 4, 3, 1);
    Dataset test = blobs(32, 2);
    test.inputs().data()[5] = Float.NaN;
    List<EpochResult> seen = new ArrayList<>();
    TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
        () -> new Trainer(model, new CrossEntropyLoss(), new Sgd(model.parameters(), 0.1)).batchSize(16).epochs(1)
            .progress(null, false).addListener((r, t) -> seen.add(r)).fit(blobs(64, 1), test));
    assertTrue(e.getMessage().startsWith("after epoch 1 the val loss is NaN"), e.getMessage());
    assertEquals(-1, e.batch());
    assertTrue(seen.isEmpty());
  }

  @Test
  void aLearningRateThatIsInfiniteAsAFloatIsRejected() {
    DenseFixture model = new DenseFixture("fc", 4, 3, 1);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Sgd(model.parameters(), 1e39));
    assertEquals("SGD: learning rate 1.0E39 (expected: >= 0 and finite as a float (< 3.4e38))", e.getMessage());
    Sgd sgd = new Sgd(model.parameters(), 0.1);
    assertThrows(IllegalArgumentException.class, () -> sgd.setLearningRate(Double.NaN));
    assertThrows(IllegalArgumentException.class, () -> sgd.setLearningRate(Double.POSITIVE_INFINITY));
  }

  @Test
  void emptyDataIsAnErrorNotAnUntrainedSuccess() {
    DenseFixture model = new DenseFixture("fc", 4, 3, 1);
    Trainer t = new Trainer(model, new CrossEntropyLoss(), new Sgd(model.parameters(), 0.1)).progress(null, false);
    Dataset data = blobs(10, 1);
    IllegalArgumentException empty = assertThrows(IllegalArgumentException.class, () -> t.fit(data.subset(0, 0), null));
    assertEquals("Trainer: the training set is empty (expected: at least one sample)", empty.getMessage());
    IllegalArgumentException emptyVal = assertThrows(IllegalArgumentException.class,
        () -> t.fit(data, data.subset(0, 0)));
    assertEquals("Trainer: the val set is empty (expected: at least one sample, or null for none)",
        emptyVal.getMessage());
    IllegalArgumentException noBatch = assertThrows(IllegalArgumentException.class,
        () -> t.batchSize(16).dropLast(true).fit(data, null));
    assertEquals("Trainer: 10 training samples make no full batch of 16 with dropLast (expected: at least 16 samples)",
        noBatch.getMessage());
    assertThrows(IllegalArgumentException.class, () -> t.evaluate(data.subset(0, 0)));
    IllegalArgumentException loss = assertThrows(IllegalArgumentException.class,
        () -> new CrossEntropyLoss().forward(Tensor.zeros(Shape.of(0, 3)), new int[0]));
    assertEquals("CrossEntropy(mean): empty batch [0, 3] (expected: at least one sample; the mean of no losses is "
        + "undefined)", loss.getMessage());
  }

  @Test
  void dropLastDropsTheSmallLastBatch() {
    DenseFixture model = new DenseFixture("fc", 4, 3, 1);
    List<EpochResult> h = new Trainer(model, new CrossEntropyLoss(), new Sgd(model.parameters(), 0.1))
        .batchSize(32).epochs(1).dropLast(true).progress(null, false).fit(blobs(100, 1), null);
    assertEquals(3, model.trainingForwards, "100 samples: three full batches of 32, the last 4 dropped");
    assertTrue(h.get(0).imagesPerSecond() > 0);
  }

  @Test
  void nullArgumentsAreNamed() {
    DenseFixture model = new DenseFixture("fc", 4, 3, 1);
    Sgd sgd = new Sgd(model.parameters(), 0.1);
    NullPointerException e = assertThrows(NullPointerException.class, () -> new Trainer(model, null, sgd));
    assertEquals("loss", e.getMessage());
    NullPointerException train = assertThrows(NullPointerException.class,
        () -> new Trainer(model, new CrossEntropyLoss(), sgd).fit(null, null));
    assertEquals("train", train.getMessage());
  }
}

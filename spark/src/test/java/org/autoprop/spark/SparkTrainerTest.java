package org.autoprop.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.autoprop.io.StateDict;
import org.autoprop.layer.BatchNorm2D;
import org.autoprop.layer.Conv2D;
import org.autoprop.layer.Dense;
import org.autoprop.layer.Flatten;
import org.autoprop.layer.GlobalAvgPool2D;
import org.autoprop.layer.Layer;
import org.autoprop.layer.Parameter;
import org.autoprop.layer.ReLU;
import org.autoprop.layer.Sequential;
import org.autoprop.layer.Tanh;
import org.autoprop.tensor.Tensor;
import org.autoprop.train.CrossEntropyLoss;
import org.autoprop.train.EpochResult;
import org.autoprop.train.Optimizer;
import org.autoprop.train.Sgd;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SparkTrainer on {@code local[2]}: its steps against single-machine steps written out here, its
 * determinism, resumption and errors.
 */
class SparkTrainerTest {
  private static final int FEATURES = 6;
  private static final int CLASSES = 3;
  private static JavaSparkContext sc;

  @BeforeAll
  static void startSpark() {
    sc = new JavaSparkContext(new SparkConf().setMaster("local[2]").setAppName("SparkTrainerTest")
        .set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1"));
    sc.setLogLevel("WARN");
  }

  @AfterAll
  static void stopSpark() {
    sc.stop();
  }

  static Layer mlp() {
    return new Sequential(Dense.builder(FEATURES, 8).seed(11).build(), new Tanh(),
        Dense.builder(8, CLASSES).seed(12).build());
  }

  /** A convolution with BatchNorm: per-worker statistics matter here. */
  static Layer convNet() {
    return new Sequential(Conv2D.builder(1, 4).kernel(3).padding(1).seed(21).build(), new BatchNorm2D(4),
        new ReLU(), new GlobalAvgPool2D(), new Flatten(), Dense.builder(4, CLASSES).seed(22).build());
  }

  static Optimizer momentum(List<Parameter> params) {
    return Sgd.builder(params).lr(0.1).momentum(0.9).build();
  }

  static List<Example> examples(int count, int features, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    List<Example> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      float[] f = new float[features];
      int label = r.nextInt(CLASSES);
      for (int j = 0; j < features; j++) {
        f[j] = (float) (r.nextDouble() * 2 - 1 + (j % CLASSES == label ? 0.8 : 0));
      }
      out.add(Example.of(f, label));
    }
    return out;
  }

  private static SparkTrainer.Builder mlpTrainer() {
    return SparkTrainer.builder(SparkTrainerTest::mlp, CrossEntropyLoss::new, SparkTrainerTest::momentum)
        .inputShape(FEATURES).workers(2).batchPerWorker(8).seed(5).progress(null);
  }

  /** The examples of worker {@code w}: those whose index is w mod W, in index order. */
  static List<Example> share(List<Example> all, int w, int workers) {
    List<Example> out = new ArrayList<>();
    for (int i = w; i < all.size(); i += workers) {
      out.add(all.get(i));
    }
    return out;
  }

  /** A batch of {@code batch} examples of each worker at {@code step}, concatenated in worker order. */
  static Tensor unionBatch(List<List<Example>> shares, List<int[]> orders, int step, int batch, int features,
      int[] labels, int... sampleDims) {
    int workers = shares.size();
    float[] data = new float[workers * batch * features];
    for (int w = 0; w < workers; w++) {
      for (int i = 0; i < batch; i++) {
        Example e = shares.get(w).get(orders.get(w)[step * batch + i]);
        System.arraycopy(e.features(), 0, data, (w * batch + i) * features, features);
        labels[w * batch + i] = e.label();
      }
    }
    int[] dims = new int[sampleDims.length + 1];
    dims[0] = workers * batch;
    System.arraycopy(sampleDims, 0, dims, 1, sampleDims.length);
    return Tensor.wrap(data, dims);
  }

  static float[] parameters(Layer model) {
    return ModelState.parameters(model);
  }

  /**
   * Synchronous training with W = 2 workers x B = 8 equals single-machine SGD with momentum on the
   * union batch of 16, after every step of two shuffled epochs. The gradients differ only in the
   * order their float terms are added (the union batch's mean in one sum, or two means averaged),
   * a relative 1e-7 per step; over 12 steps of momentum the weights stay within 2e-6 of each other
   * (measured: 3e-7), where a wrong step (a sum for a mean, a worker's batch missed, the wrong
   * order of examples) moves them by 1e-2 or more.
   */
  @Test
  void synchronousStepsEqualSingleMachineStepsOnTheUnionBatch() {
    List<Example> data = examples(100, FEATURES, 3); // 50 a worker: 6 steps an epoch, 2 examples each left out
    List<float[]> spark = new ArrayList<>();
    SparkTrainer trainer = mlpTrainer().epochs(2).stepsPerRound(1)
        .addRoundListener((stats, t) -> spark.add(parameters(t.model()))).build();
    trainer.fit(sc.parallelize(data, 3), null);

    Layer model = mlp();
    Optimizer opt = momentum(model.parameters());
    CrossEntropyLoss loss = new CrossEntropyLoss();
    List<List<Example>> shares = List.of(share(data, 0, 2), share(data, 1, 2));
    int[] labels = new int[16];
    int step = 0;
    for (int epoch = 0; epoch < 2; epoch++) {
      List<int[]> orders = List.of(EpochOrder.of(50, 5, epoch, 0, true), EpochOrder.of(50, 5, epoch, 1, true));
      for (int s = 0; s < 6; s++, step++) {
        Tensor x = unionBatch(shares, orders, s, 8, FEATURES, labels, FEATURES);
        opt.zeroGrad();
        loss.forward(model.forward(x, true), labels);
        model.backward(loss.backward(), false);
        opt.step();
        assertClose(parameters(model), spark.get(step), 2e-6, "step " + (step + 1));
      }
    }
    assertEquals(12, spark.size());
  }

  /**
   * A second {@code fit} of the same trainer trains on its own data set, from the first one's
   * weights (the workers' caches are per run): the same weights as single-machine steps on the
   * first data set's union batches, then the second's.
   */
  @Test
  void aSecondFitTrainsOnItsOwnData() {
    List<Example> first = examples(32, FEATURES, 15);
    List<Example> second = examples(32, FEATURES, 16);
    SparkTrainer trainer = mlpTrainer().build();
    trainer.fit(sc.parallelize(first, 2), null);
    trainer.fit(sc.parallelize(second, 2), null);

    Layer model = mlp();
    Optimizer opt = momentum(model.parameters());
    CrossEntropyLoss loss = new CrossEntropyLoss();
    int[] labels = new int[16];
    for (List<Example> data : List.of(first, second)) {
      List<List<Example>> shares = List.of(share(data, 0, 2), share(data, 1, 2));
      List<int[]> orders = List.of(EpochOrder.of(16, 5, 0, 0, true), EpochOrder.of(16, 5, 0, 1, true));
      for (int s = 0; s < 2; s++) {
        Tensor x = unionBatch(shares, orders, s, 8, FEATURES, labels, FEATURES);
        opt.zeroGrad();
        loss.forward(model.forward(x, true), labels);
        model.backward(loss.backward(), false);
        opt.step();
      }
    }
    assertClose(parameters(model), parameters(trainer.model()), 2e-6, "after the second fit");
  }

  /**
   * With BatchNorm each worker normalises with its own micro-batch (PyTorch DDP): the same run
   * written out with two replicas in this JVM gives the same bits: parameters and worker 0's
   * running statistics.
   */
  @Test
  void batchNormUsesEachWorkersStatistics() {
    List<Example> data = examples(64, 64, 4);
    SparkTrainer trainer = SparkTrainer.builder(SparkTrainerTest::convNet, CrossEntropyLoss::new,
        SparkTrainerTest::momentum).inputShape(1, 8, 8).workers(2).batchPerWorker(4).epochs(2).stepsPerRound(3)
        .seed(9).progress(null).build();
    trainer.fit(sc.parallelize(data, 2), null);
    float[] spark = ModelState.flatten(StateDict.of(trainer.model()).values());

    Layer[] replicas = {convNet(), convNet()};
    Optimizer[] opts = {momentum(replicas[0].parameters()), momentum(replicas[1].parameters())};
    CrossEntropyLoss loss = new CrossEntropyLoss();
    int[] labels = new int[4];
    for (int epoch = 0; epoch < 2; epoch++) {
      for (int s = 0; s < 8; s++) {
        float[][] grads = new float[2][];
        for (int w = 0; w < 2; w++) {
          List<int[]> order = List.of(EpochOrder.of(32, 9, epoch, w, true));
          Tensor x = unionBatch(List.of(share(data, w, 2)), order, s, 4, 64, labels, 1, 8, 8);
          opts[w].zeroGrad();
          loss.forward(replicas[w].forward(x, true), labels);
          replicas[w].backward(loss.backward(), false);
          grads[w] = flatGradients(replicas[w]);
        }
        float[] mean = new float[grads[0].length];
        for (int i = 0; i < mean.length; i++) {
          mean[i] = (0f + grads[0][i] + grads[1][i]) * 0.5f;
        }
        for (int w = 0; w < 2; w++) {
          setGradients(replicas[w], mean);
          opts[w].step();
        }
      }
    }
    assertArrayEquals(ModelState.flatten(StateDict.of(replicas[0]).values()), spark);
    assertNotEquals(Float.floatToIntBits(runningMean(replicas[0])), Float.floatToIntBits(runningMean(replicas[1])),
        "the workers' running statistics differ, so keeping worker 0's is a choice the test sees");
  }

  /**
   * With {@code recalibrateBatchNorm(k)}, the running statistics after the epoch are the mean over
   * the workers of k training-mode forward passes on the final weights from the carried
   * statistics (written out here with two replicas), and the weights are those of a run without it.
   */
  @Test
  void recalibrationReestimatesTheStatisticsWithTheFinalWeights() {
    List<Example> data = examples(64, 64, 14);
    SparkTrainer plain = SparkTrainer.builder(SparkTrainerTest::convNet, CrossEntropyLoss::new,
        SparkTrainerTest::momentum).inputShape(1, 8, 8).workers(2).batchPerWorker(4).seed(3).progress(null).build();
    plain.fit(sc.parallelize(data, 2), null);
    SparkTrainer recalibrated = SparkTrainer.builder(SparkTrainerTest::convNet, CrossEntropyLoss::new,
        SparkTrainerTest::momentum).inputShape(1, 8, 8).workers(2).batchPerWorker(4).seed(3).progress(null)
        .recalibrateBatchNorm(3).build();
    recalibrated.fit(sc.parallelize(data, 2), null);
    assertArrayEquals(parameters(plain.model()), parameters(recalibrated.model()), "the weights do not change");

    float[][] buffers = new float[2][];
    int[] labels = new int[4];
    for (int w = 0; w < 2; w++) {
      Layer replica = convNet();
      ModelState.unflatten(replica, StateDict.of(replica).values(), ModelState.flatten(StateDict.of(plain.model())
          .values()));
      List<int[]> order = List.of(EpochOrder.of(32, 3, 0, w, true));
      for (int i = 0; i < 3; i++) {
        replica.forward(unionBatch(List.of(share(data, w, 2)), order, i, 4, 64, labels, 1, 8, 8), true);
      }
      buffers[w] = ModelState.flatten(replica.buffers().values());
    }
    float[] mean = new float[buffers[0].length];
    for (int i = 0; i < mean.length; i++) {
      mean[i] = (0f + buffers[0][i] + buffers[1][i]) * 0.5f;
    }
    assertArrayEquals(mean, ModelState.flatten(recalibrated.model().buffers().values()));
    assertNotEquals(ModelState.flatten(plain.model().buffers().values())[0], mean[0]);
  }

  /**
   * Local SGD every 3 steps is its definition: two replicas stepping on their own micro-batches
   * with their own momentum, their weights and momenta averaged every third step and at the end
   * of each epoch (7 steps an epoch here), bit for bit.
   */
  @Test
  void localSgdAveragesWeightsAndMomentaEveryKSteps() {
    List<Example> data = examples(112, FEATURES, 6);
    SparkTrainer trainer = mlpTrainer().synchronization(Synchronization.averageEvery(3)).epochs(2).stepsPerRound(4)
        .build();
    trainer.fit(sc.parallelize(data, 4), null);

    Layer[] replicas = {mlp(), mlp()};
    Optimizer[] opts = {momentum(replicas[0].parameters()), momentum(replicas[1].parameters())};
    CrossEntropyLoss loss = new CrossEntropyLoss();
    int[] labels = new int[8];
    for (int epoch = 0; epoch < 2; epoch++) {
      for (int s = 0; s < 7; s++) {
        for (int w = 0; w < 2; w++) {
          List<int[]> order = List.of(EpochOrder.of(56, 5, epoch, w, true));
          Tensor x = unionBatch(List.of(share(data, w, 2)), order, s, 8, FEATURES, labels, FEATURES);
          opts[w].zeroGrad();
          loss.forward(replicas[w].forward(x, true), labels);
          replicas[w].backward(loss.backward(), false);
          opts[w].step();
        }
        if ((s + 1) % 3 == 0 || s == 6) { // every 3rd step and the epoch's end (rounds: 4 steps rounded up to 6)
          average(replicas, opts);
        }
      }
    }
    assertArrayEquals(ModelState.flatten(StateDict.of(replicas[0]).values()),
        ModelState.flatten(StateDict.of(trainer.model()).values()));
    assertArrayEquals(ModelState.flatten(opts[0].state().values()),
        ModelState.flatten(trainer.optimizer().state().values()));
  }

  /** Local SGD every step with plain SGD is synchronous training (averaged weights = averaged steps). */
  @Test
  void localSgdEveryStepWithPlainSgdIsSynchronous() {
    List<Example> data = examples(64, FEATURES, 7);
    float[][] weights = new float[2][];
    Synchronization[] modes = {Synchronization.synchronous(), Synchronization.averageEvery(1)};
    for (int m = 0; m < 2; m++) {
      SparkTrainer trainer = SparkTrainer.builder(SparkTrainerTest::mlp, CrossEntropyLoss::new,
          params -> Sgd.builder(params).lr(0.2).build()).inputShape(FEATURES).workers(2).batchPerWorker(8)
          .synchronization(modes[m]).epochs(2).progress(null).build();
      trainer.fit(sc.parallelize(data, 2), null);
      weights[m] = parameters(trainer.model());
    }
    assertClose(weights[0], weights[1], 2e-6, "local SGD, k = 1");
  }

  /**
   * A run whose driver dies after its second round, resumed from its checkpoint, ends with the
   * bits of a run that never stopped.
   */
  @Test
  void aRunResumedFromItsCheckpointEndsWithTheBitsOfAnUninterruptedRun(@TempDir Path dir) {
    List<Example> data = examples(96, FEATURES, 8);
    SparkTrainer whole = mlpTrainer().epochs(2).stepsPerRound(2).build();
    whole.fit(sc.parallelize(data, 2), null);

    Path checkpoint = dir.resolve("run.safetensors");
    int[] rounds = {0};
    SparkTrainer dying = mlpTrainer().epochs(2).stepsPerRound(2).checkpoint(checkpoint)
        .addRoundListener((stats, t) -> {
          if (++rounds[0] == 4) { // epoch 2, after its first round
            throw new IllegalStateException("the driver dies");
          }
        }).build();
    assertThrows(IllegalStateException.class, () -> dying.fit(sc.parallelize(data, 2), null));
    assertTrue(Files.exists(checkpoint));

    SparkTrainer resumed = mlpTrainer().epochs(2).stepsPerRound(2).checkpoint(checkpoint).resume(true).build();
    List<EpochResult> history = resumed.fit(sc.parallelize(data, 2), null);
    assertEquals(1, history.size(), "only epoch 2 is left");
    assertEquals(2, history.get(0).epoch());
    assertEquals(2, resumed.rounds().size(), "epoch 2: 2 of its 6 steps were done; 4 are left, two rounds of 2");
    assertArrayEquals(parameters(whole.model()), parameters(resumed.model()));

    SparkTrainer other = mlpTrainer().batchPerWorker(4).epochs(2).checkpoint(checkpoint).resume(true).build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> other.fit(sc.parallelize(data, 2), null));
    assertTrue(e.getMessage().contains("was saved by a run of layout 2 workers x 8"), e.getMessage());
  }

  /** Evaluation on the cluster gives the driver's model's loss and accuracy on one machine. */
  @Test
  void evaluationEqualsASingleMachineEvaluation() {
    List<Example> train = examples(64, FEATURES, 10);
    List<Example> test = examples(50, FEATURES, 11);
    SparkTrainer trainer = mlpTrainer().epochs(3).build();
    List<EpochResult> history = trainer.fit(sc.parallelize(train, 2), sc.parallelize(test, 3));
    assertEquals(3, history.size());
    double[] local = evaluateLocally(trainer.model(), test);
    assertEquals(local[0], history.get(2).validationLoss(), 1e-6);
    assertEquals(local[1], history.get(2).validationAccuracy(), 1e-12);
    assertTrue(history.get(2).validationAccuracy() > 0.6, "it learns: " + history);
  }

  @Test
  void aBadRecordIsNamedByItsPartitionAndIndex() {
    List<Example> data = new ArrayList<>(examples(40, FEATURES, 12));
    data.set(27, Example.of(new float[5], 0)); // partition 2 of 4 (10 each), index 7
    JavaRDD<Example> rdd = sc.parallelize(data, 4);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> mlpTrainer().build().fit(rdd, null));
    assertEquals("bad training record in partition 2, index 7: 5 features (expected: 6, the input shape [6])",
        e.getMessage());

    float[] nan = new float[FEATURES];
    nan[4] = Float.NaN;
    data.set(27, Example.of(nan, 0));
    e = assertThrows(IllegalArgumentException.class, () -> mlpTrainer().build().fit(sc.parallelize(data, 4), null));
    assertEquals("bad training record in partition 2, index 7: feature 4 is NaN (expected: a finite value)",
        e.getMessage());

    data.set(27, Example.of(new float[FEATURES], 3));
    e = assertThrows(IllegalArgumentException.class,
        () -> mlpTrainer().classes(CLASSES).build().fit(sc.parallelize(data, 4), null));
    assertEquals("bad training record in partition 2, index 7: label 3 (expected: 0 <= label < 3)", e.getMessage());
  }

  @Test
  void optionsAreChecked() {
    IllegalStateException noShape = assertThrows(IllegalStateException.class,
        () -> SparkTrainer.builder(SparkTrainerTest::mlp, CrossEntropyLoss::new, SparkTrainerTest::momentum).build());
    assertEquals("SparkTrainer: no inputShape (expected: the shape of one example, e.g. inputShape(1, 28, 28))",
        noShape.getMessage());
    IllegalArgumentException workers = assertThrows(IllegalArgumentException.class, () -> mlpTrainer().workers(0));
    assertEquals("SparkTrainer.workers: 0 (expected: at least 1)", workers.getMessage());
    IllegalArgumentException k = assertThrows(IllegalArgumentException.class, () -> Synchronization.averageEvery(0));
    assertEquals("Synchronization.averageEvery: k = 0 (expected: k >= 1)", k.getMessage());
    IllegalArgumentException few = assertThrows(IllegalArgumentException.class,
        () -> mlpTrainer().build().fit(sc.parallelize(examples(15, FEATURES, 1), 2), null));
    assertEquals("SparkTrainer: 15 training examples make no step of 2 workers x 8 (expected: at least 16)",
        few.getMessage());
  }

  private static double[] evaluateLocally(Layer model, List<Example> test) {
    int[] labels = new int[test.size()];
    float[] data = new float[test.size() * FEATURES];
    for (int i = 0; i < test.size(); i++) {
      System.arraycopy(test.get(i).features(), 0, data, i * FEATURES, FEATURES);
      labels[i] = test.get(i).label();
    }
    Tensor y = model.forward(Tensor.wrap(data, test.size(), FEATURES), false);
    double l = new CrossEntropyLoss().forward(y, labels);
    return new double[] {l, org.autoprop.train.Metrics.countCorrect(y, labels) / (double) test.size()};
  }

  private static void average(Layer[] replicas, Optimizer[] opts) {
    List<Tensor> a = new ArrayList<>(StateDict.of(replicas[0]).values());
    a.addAll(opts[0].state().values());
    List<Tensor> b = new ArrayList<>(StateDict.of(replicas[1]).values());
    b.addAll(opts[1].state().values());
    for (int t = 0; t < a.size(); t++) {
      float[] x = a.get(t).data();
      float[] y = b.get(t).data();
      for (int i = 0; i < x.length; i++) {
        float mean = (0f + x[i] + y[i]) * 0.5f;
        x[i] = mean;
        y[i] = mean;
      }
    }
  }

  private static float[] flatGradients(Layer model) {
    List<Tensor> grads = new ArrayList<>();
    for (Parameter p : model.parameters()) {
      grads.add(p.grad());
    }
    return ModelState.flatten(grads);
  }

  private static void setGradients(Layer model, float[] flat) {
    int at = 0;
    for (Parameter p : model.parameters()) {
      float[] g = p.grad().data();
      System.arraycopy(flat, at, g, p.grad().offset(), p.grad().size());
      at += p.grad().size();
    }
  }

  private static float runningMean(Layer model) {
    for (var e : model.buffers().entrySet()) {
      if (e.getKey().endsWith("running_mean")) {
        return e.getValue().data()[e.getValue().offset()];
      }
    }
    throw new AssertionError("no running_mean in " + model.buffers().keySet());
  }

  static void assertClose(float[] expected, float[] actual, double tolerance, String what) {
    assertEquals(expected.length, actual.length, what);
    double worst = 0;
    for (int i = 0; i < expected.length; i++) {
      worst = Math.max(worst, Math.abs(expected[i] - actual[i]) / (1 + Math.abs(expected[i])));
    }
    assertTrue(worst <= tolerance, what + ": weights differ by " + worst + " (tolerance " + tolerance + ")");
  }
}

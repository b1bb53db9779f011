package org.autoprop.spark;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;
import org.autoprop.io.Checkpoint;
import org.autoprop.io.StateDict;
import org.autoprop.layer.Layer;
import org.autoprop.layer.Parameter;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.train.EpochListener;
import org.autoprop.train.EpochResult;
import org.autoprop.train.Loss;
import org.autoprop.train.Optimizer;
import org.autoprop.train.TrainingRun;
import scala.Tuple2;

/**
 * Trains a model data-parallel on a Spark cluster: {@code W} workers, each with a replica of the
 * model, each step on its own micro-batch of {@code B} examples, kept together by a
 * {@link Synchronization} mode. Built on Spark's own mechanisms only: the data set is dealt to the
 * workers by a partitioner and cached, each synchronous step (or local-SGD period) is one Spark job
 * of one task per worker whose starting state goes out as a broadcast and whose results come back
 * to the driver (a failed task is retried by Spark, on another executor if its own is lost), and
 * evaluation is a {@code treeReduce}. (Barrier execution's {@code allGather} was measured first:
 * its tasks poll for the answer once a second, which puts a second on every exchange.)
 *
 * <pre>{@code
 * SparkTrainer trainer = SparkTrainer.builder(() -> ReferenceNets.fashionNet(1),
 *         CrossEntropyLoss::new, params -> Sgd.builder(params).lr(0.05).momentum(0.9).build())
 *     .inputShape(1, 28, 28).workers(2).batchPerWorker(64).epochs(3).build();
 * List<EpochResult> history = trainer.fit(train, test);   // JavaRDD<Example>
 * }</pre>
 *
 * <p><b>Same numbers as one machine.</b> Example {@code i} of the data set (its position, as
 * {@code zipWithIndex} numbers it) goes to worker {@code i mod W}; in an epoch each worker visits
 * its examples in index order, or shuffled by the seed, the epoch and the worker. Synchronous step
 * {@code s} therefore trains on the union of the workers' micro-batches {@code s}, and gives the
 * single-machine step on that batch of {@code W x B}, up to the order of float additions (the
 * gradient of the mean loss is averaged as {@code (g_0 + ... + g_{W-1}) / W}). With BatchNorm,
 * each worker normalises with its own micro-batch's statistics, as PyTorch's
 * DistributedDataParallel, and the running statistics kept are worker 0's. Every step's arithmetic
 * is fixed by the data, the seed and {@code W}: not by timing, the executors' thread counts,
 * retries or where the tasks run.
 *
 * <p>Each worker takes {@code floor(n_w / B)} steps an epoch, the same for all: examples past the
 * last full union batch are not used in that epoch (they are in the next with shuffling).
 *
 * <p>The driver holds the model and, in synchronous mode, the only optimizer state: each step it
 * averages the workers' gradients and steps. On the driver: a progress line after every round, the
 * model and optimizer as of the last step ({@link #model()}, {@link #optimizer()}), a checkpoint after every round when
 * {@link Builder#checkpoint} is set (resumed from by {@link Builder#resume}), and the
 * {@link EpochListener}s of the single-machine {@code Trainer} after every epoch.
 */
public final class SparkTrainer implements TrainingRun {
  private static final String STEP_KEY = "spark.step";
  private static final String LAYOUT_KEY = "spark.layout";

  /** Replaced by a new run id at every {@link #fit}: workers cache examples and replicas by run. */
  private TrainingSpec spec;
  private final int epochs;
  private final int stepsPerRound;
  private final int evalBatch;
  private final int recalibration;
  private final int classes;
  private final Path checkpoint;
  private final boolean resume;
  private final PrintStream out;
  private final List<EpochListener> listeners;
  private final List<RoundListener> roundListeners;
  private final Layer model;
  private final Optimizer optimizer;
  private final List<RoundStats> rounds = new ArrayList<>();
  private volatile boolean stopRequested;

  private SparkTrainer(Builder b) {
    this.spec = new TrainingSpec(UUID.randomUUID().toString(), b.model, b.loss, b.optimizer, b.inputShape, b.workers,
        b.batchPerWorker, b.seed, b.shuffle, b.synchronization);
    this.epochs = b.epochs;
    this.stepsPerRound = b.stepsPerRound;
    this.evalBatch = b.evalBatch;
    this.recalibration = b.recalibration;
    this.classes = b.classes;
    this.checkpoint = b.checkpoint;
    this.resume = b.resume;
    this.out = b.out;
    this.listeners = List.copyOf(b.listeners);
    this.roundListeners = List.copyOf(b.roundListeners);
    this.model = spec.model.create();
    this.optimizer = spec.optimizer.create(model.parameters());
  }

  /**
   * A trainer of the models {@code model} makes, with {@code loss} and the optimizer
   * {@code optimizer} makes (each worker and the driver call the factories once).
   */
  public static Builder builder(SerializableFactory<? extends Layer> model,
      SerializableFactory<? extends Loss<int[]>> loss, OptimizerFactory optimizer) {
    return new Builder(model, loss, optimizer);
  }

  /** The driver's model: the weights as of the last finished round. */
  public Layer model() {
    return model;
  }

  /** The driver's optimizer: its state as of the last finished round. */
  public Optimizer optimizer() {
    return optimizer;
  }

  /** What each round of the latest {@link #fit} took, in order. */
  public List<RoundStats> rounds() {
    return Collections.unmodifiableList(rounds);
  }

  /** Asks {@link #fit} to stop after the current epoch. */
  @Override
  public void requestStop() {
    stopRequested = true;
  }

  /**
   * Trains for the configured epochs and returns one result per epoch trained; evaluates on
   * {@code test} after every epoch when it is not null.
   *
   * @throws IllegalArgumentException for a bad example (naming its partition and index), too few
   *     examples for one step, or a checkpoint of another layout
   */
  public List<EpochResult> fit(JavaRDD<Example> train, JavaRDD<Example> test) {
    Objects.requireNonNull(train, "train");
    stopRequested = false;
    rounds.clear();
    spec = spec.newRun();
    long count = DataChecks.validate(train, spec.inputShape, classes, "training");
    if (test != null) {
      DataChecks.validate(test, spec.inputShape, classes, "test");
    }
    int stepsPerEpoch = (int) Math.min(Integer.MAX_VALUE, (count / spec.workers) / spec.batchPerWorker);
    if (stepsPerEpoch == 0) {
      throw new IllegalArgumentException("SparkTrainer: " + count + " training examples make no step of "
          + spec.workers + " workers x " + spec.batchPerWorker + " (expected: at least "
          + (long) spec.workers * spec.batchPerWorker + ")");
    }
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(train.context());
    JavaPairRDD<Long, Example> dealt = train.zipWithIndex()
        .mapToPair(t -> new Tuple2<>(t._2(), t._1()))
        .partitionBy(new ModuloPartitioner(spec.workers))
        .persist(StorageLevel.MEMORY_ONLY());
    try {
      int[] position = resumePosition();
      List<EpochResult> history = new ArrayList<>();
      for (int epoch = position[0]; epoch < epochs && !stopRequested; epoch++) {
        history.add(epoch(sc, dealt, test, epoch, epoch == position[0] ? position[1] : 0, stepsPerEpoch));
      }
      return Collections.unmodifiableList(history);
    } finally {
      dealt.unpersist(false);
    }
  }

  private EpochResult epoch(JavaSparkContext sc, JavaPairRDD<Long, Example> dealt, JavaRDD<Example> test, int epoch,
      int firstStep, int stepsPerEpoch) {
    long started = System.nanoTime();
    double lossSum = 0;
    long correct = 0;
    long seen = 0;
    int period = spec.synchronization.isSynchronous() ? 1 : spec.synchronization.period();
    for (int step = firstStep; step < stepsPerEpoch; ) {
      int roundEnd = Math.min(step + stepsPerRound, stepsPerEpoch);
      long wall = 0;
      long compute = 0;
      int roundStart = step;
      while (step < roundEnd) {
        int steps = Math.min(period, roundEnd - step);
        long t0 = System.nanoTime();
        List<WorkerResult> results = job(sc, dealt, epoch, step, steps);
        long slowest = 0;
        for (WorkerResult r : results) {
          lossSum += r.lossSum;
          correct += r.correct;
          seen += r.seen;
          slowest = Math.max(slowest, r.computeNanos);
        }
        wall += System.nanoTime() - t0;
        compute += slowest;
        step += steps;
      }
      RoundStats stats = new RoundStats(epoch + 1, roundStart, step - roundStart, wall, compute,
          (long) (step - roundStart) * spec.workers * spec.batchPerWorker, exchangedBytesPerStep(period));
      rounds.add(stats);
      saveCheckpoint(epoch, step, stepsPerEpoch);
      progress(epoch, step, stepsPerEpoch, lossSum / seen, stats);
      for (RoundListener listener : roundListeners) {
        listener.roundEnded(stats, this);
      }
    }
    if (recalibrate(sc, dealt, epoch)) {
      saveCheckpoint(epoch, stepsPerEpoch, stepsPerEpoch); // with the new statistics
    }
    double trainSeconds = (System.nanoTime() - started) / 1e9;
    double[] validation = test == null ? new double[] {Double.NaN, Double.NaN} : evaluate(test);
    double seconds = (System.nanoTime() - started) / 1e9;
    EpochResult result = new EpochResult(epoch + 1, seen == 0 ? Double.NaN : lossSum / seen,
        seen == 0 ? Double.NaN : (double) correct / seen, validation[0], validation[1], optimizer.learningRate(),
        seconds, seen / Math.max(trainSeconds, 1e-9));
    if (out != null) {
      out.printf("epoch %d: loss %.4f, accuracy %.4f%s, %.1f s (%.0f examples/s)%n", result.epoch(),
          result.trainLoss(), result.trainAccuracy(), test == null ? ""
              : String.format(", test loss %.4f, test accuracy %.4f", validation[0], validation[1]),
          seconds, result.imagesPerSecond());
    }
    for (EpochListener listener : listeners) {
      listener.epochEnded(result, this);
    }
    return result;
  }

  /**
   * One Spark job: the driver's state goes out as a broadcast, each worker takes {@code steps}
   * steps from {@code firstStep}, and the driver combines the results in worker order:
   * synchronous, the mean gradient for its optimizer's step (and worker 0's buffers); local SGD,
   * the mean of the workers' states.
   */
  private List<WorkerResult> job(JavaSparkContext sc, JavaPairRDD<Long, Example> dealt, int epoch, int firstStep,
      int steps) {
    Broadcast<ModelState> start = sc.broadcast(spec.synchronization.isSynchronous() ? ModelState.captureModel(model)
        : ModelState.capture(model, optimizer));
    List<WorkerResult> results;
    try {
      results = new ArrayList<>(dealt.mapPartitions(new WorkerTask(spec, start, epoch, firstStep, steps), true)
          .collect());
    } catch (Exception e) { // SparkException is checked but undeclared
      throw DataChecks.rethrown(e);
    } finally {
      start.unpersist(false);
    }
    results.sort((a, b) -> Integer.compare(a.worker, b.worker));
    if (results.size() != spec.workers) {
      throw new IllegalStateException("SparkTrainer: " + results.size() + " worker results (expected: " + spec.workers
          + ")");
    }
    float[] mean = mean(results);
    if (spec.synchronization.isSynchronous()) {
      setGradients(mean);
      optimizer.step();
      ModelState.unflatten(model, model.buffers().values(), results.get(0).buffers);
    } else {
      int modelSize = ModelState.capture(model, optimizer).model.length;
      ModelState.unflatten(model, StateDict.of(model).values(), Arrays.copyOf(mean, modelSize));
      ModelState averaged = ModelState.capture(model, optimizer);
      ModelState.withOptimizer(averaged, Arrays.copyOfRange(mean, modelSize, mean.length),
          results.get(0).optimizerSteps).applyOptimizerTo(optimizer);
    }
    return results;
  }

  /**
   * Re-estimates the running statistics (BatchNorm's buffers) with the epoch's final weights: each
   * worker runs {@code recalibration} forward passes in training mode, and the driver keeps the
   * mean of their buffers. The statistics carried through training lag the weights (each step
   * moves them); on FMNIST-NET with two workers, 1 epoch, they gave 62.7% test accuracy where the
   * same weights with re-estimated statistics give 84.1% (one machine: 84.5%).
   */
  private boolean recalibrate(JavaSparkContext sc, JavaPairRDD<Long, Example> dealt, int epoch) {
    if (recalibration == 0 || model.buffers().isEmpty()) {
      return false;
    }
    Broadcast<ModelState> state = sc.broadcast(ModelState.captureModel(model));
    try {
      List<float[]> buffers = dealt.mapPartitions(new RecalibrationTask(spec, state, epoch, recalibration), true)
          .collect();
      float[] sum = new float[buffers.get(0).length];
      for (float[] b : buffers) { // partition order: the same sum on every run
        for (int i = 0; i < sum.length; i++) {
          sum[i] += b[i];
        }
      }
      float scale = 1f / buffers.size();
      for (int i = 0; i < sum.length; i++) {
        sum[i] *= scale;
      }
      ModelState.unflatten(model, model.buffers().values(), sum);
      return true;
    } catch (Exception e) { // SparkException is checked but undeclared
      throw DataChecks.rethrown(e);
    } finally {
      state.unpersist(false);
    }
  }

  /** The workers' payloads added in worker order, then divided by W: the same bits on every run. */
  private static float[] mean(List<WorkerResult> results) {
    float[] sum = new float[results.get(0).payload.length];
    for (WorkerResult r : results) {
      if (r.payload.length != sum.length) {
        throw new IllegalStateException("SparkTrainer: worker " + r.worker + " sent " + r.payload.length
            + " floats (expected: " + sum.length + "; do all workers build the same model?)");
      }
      for (int i = 0; i < sum.length; i++) {
        sum[i] += r.payload[i];
      }
    }
    float scale = 1f / results.size();
    for (int i = 0; i < sum.length; i++) {
      sum[i] *= scale;
    }
    return sum;
  }

  private void setGradients(float[] flat) {
    int at = 0;
    for (Parameter p : model.parameters()) {
      Tensor g = p.grad();
      g.copyFrom(Tensor.wrap(Arrays.copyOfRange(flat, at, at + g.size()), g.shape()));
      at += g.size();
    }
  }

  /** Bytes a worker receives (the broadcast state) and sends (its result) per step. */
  private long exchangedBytesPerStep(int period) {
    ModelState state = ModelState.capture(model, optimizer);
    if (spec.synchronization.isSynchronous()) {
      return (long) Float.BYTES * (state.model.length + ModelState.parameters(model).length);
    }
    return 2L * Float.BYTES * (state.model.length + state.optimizer.length) / period;
  }

  /**
   * The mean loss and the accuracy of the driver's model on {@code data}, in evaluation mode, in
   * batches on the executors.
   */
  public double[] evaluate(JavaRDD<Example> data) {
    Objects.requireNonNull(data, "data");
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(data.context());
    Broadcast<ModelState> state = sc.broadcast(ModelState.captureModel(model));
    try {
      double[] sums = data.mapPartitions(new EvaluationTask(spec, state, evalBatch))
          .treeReduce((a, b) -> new double[] {a[0] + b[0], a[1] + b[1], a[2] + b[2]});
      if (sums[2] == 0) {
        throw new IllegalArgumentException("SparkTrainer.evaluate: the data set is empty");
      }
      return new double[] {sums[0] / sums[2], sums[1] / sums[2]};
    } finally {
      state.destroy();
    }
  }

  private int[] resumePosition() {
    if (!resume || checkpoint == null || !Files.exists(checkpoint)) {
      return new int[] {0, 0};
    }
    try {
      Checkpoint.Info info = Checkpoint.load(checkpoint, model, optimizer);
      String layout = info.metadata().get(LAYOUT_KEY);
      if (!layout().equals(layout)) {
        throw new IllegalArgumentException("SparkTrainer: " + checkpoint + " was saved by a run of layout " + layout
            + " (expected: " + layout() + "; another layout trains on other batches)");
      }
      int step = Integer.parseInt(info.metadata().getOrDefault(STEP_KEY, "0"));
      if (out != null) {
        out.printf("resumed from %s: epoch %d, step %d%n", checkpoint, info.epoch() + 1, step);
      }
      return new int[] {(int) info.epoch(), step};
    } catch (IOException e) {
      throw new UncheckedIOException("SparkTrainer: cannot resume from " + checkpoint, e);
    }
  }

  private void saveCheckpoint(int epoch, int step, int stepsPerEpoch) {
    if (checkpoint == null) {
      return;
    }
    Map<String, String> meta = new LinkedHashMap<>();
    boolean epochDone = step == stepsPerEpoch;
    meta.put(STEP_KEY, Integer.toString(epochDone ? 0 : step));
    meta.put(LAYOUT_KEY, layout());
    try {
      Checkpoint.save(checkpoint, model, optimizer, epochDone ? epoch + 1 : epoch, spec.seed, meta);
    } catch (IOException e) {
      throw new UncheckedIOException("SparkTrainer: cannot save the checkpoint " + checkpoint, e);
    }
  }

  /** What fixes the arithmetic of a step besides the weights: checked when resuming. */
  private String layout() {
    return spec.workers + " workers x " + spec.batchPerWorker + ", " + spec.synchronization + ", seed " + spec.seed
        + ", shuffle " + spec.shuffle + ", input " + Shape.of(spec.inputShape);
  }

  private void progress(int epoch, int step, int stepsPerEpoch, double loss, RoundStats stats) {
    if (out != null) {
      out.printf("epoch %d, step %d/%d: loss %.4f | %.0f examples/s | step %.1f ms, of which exchange %.1f ms%n",
          epoch + 1, step, stepsPerEpoch, loss, stats.examplesPerSecond(), stats.millisPerStep(),
          stats.exchangeMillisPerStep());
    }
  }

  /** Options of a {@link SparkTrainer}. */
  public static final class Builder {
    private final SerializableFactory<? extends Layer> model;
    private final SerializableFactory<? extends Loss<int[]>> loss;
    private final OptimizerFactory optimizer;
    private int[] inputShape;
    private int workers = 2;
    private int batchPerWorker = 64;
    private int epochs = 1;
    private long seed = 1;
    private boolean shuffle = true;
    private Synchronization synchronization = Synchronization.synchronous();
    private int stepsPerRound = 50;
    private int evalBatch = 128;
    private int recalibration;
    private int classes;
    private Path checkpoint;
    private boolean resume;
    private PrintStream out = System.out;
    private final List<EpochListener> listeners = new ArrayList<>();
    private final List<RoundListener> roundListeners = new ArrayList<>();

    private Builder(SerializableFactory<? extends Layer> model, SerializableFactory<? extends Loss<int[]>> loss,
        OptimizerFactory optimizer) {
      this.model = Objects.requireNonNull(model, "model");
      this.loss = Objects.requireNonNull(loss, "loss");
      this.optimizer = Objects.requireNonNull(optimizer, "optimizer");
    }

    /** The shape of one example's features, e.g. {@code 1, 28, 28} (required). */
    public Builder inputShape(int... dims) {
      Objects.requireNonNull(dims, "dims");
      if (dims.length == 0) {
        throw new IllegalArgumentException("SparkTrainer.inputShape: no dimensions (expected: at least one)");
      }
      for (int d : dims) {
        positive("inputShape", d);
      }
      this.inputShape = dims.clone();
      return this;
    }

    /** The number of workers {@code W}: model replicas, one task each per step (default 2). */
    public Builder workers(int workers) {
      this.workers = positive("workers", workers);
      return this;
    }

    /** The micro-batch of each worker {@code B} (default 64): a step trains on {@code W x B} examples. */
    public Builder batchPerWorker(int batch) {
      this.batchPerWorker = positive("batchPerWorker", batch);
      return this;
    }

    /** Epochs to train (default 1). */
    public Builder epochs(int epochs) {
      this.epochs = positive("epochs", epochs);
      return this;
    }

    /** The seed of the epochs' shuffles (default 1); the model's seed is its factory's. */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /** Whether each worker shuffles its examples every epoch (default true). */
    public Builder shuffle(boolean shuffle) {
      this.shuffle = shuffle;
      return this;
    }

    /** Synchronous (default) or local SGD. */
    public Builder synchronization(Synchronization synchronization) {
      this.synchronization = Objects.requireNonNull(synchronization, "synchronization");
      return this;
    }

    /**
     * Steps per round (default 50): the driver reports progress, saves the checkpoint and calls
     * the round listeners after each. Local SGD rounds up to a multiple of its averaging period.
     */
    public Builder stepsPerRound(int steps) {
      this.stepsPerRound = positive("stepsPerRound", steps);
      return this;
    }

    /** The number of classes: every label is checked to be below it before training (default: unchecked). */
    public Builder classes(int classes) {
      this.classes = positive("classes", classes);
      return this;
    }

    /**
     * Re-estimates BatchNorm's running statistics at the end of every epoch, before evaluation,
     * with {@code batches} training-mode forward passes a worker on the final weights ("precise
     * BN"; default 0: the statistics carried through training, worker 0's, as PyTorch DDP). The
     * weights do not change; the buffers then differ from a single-machine run's.
     */
    public Builder recalibrateBatchNorm(int batches) {
      if (batches < 0) {
        throw new IllegalArgumentException("SparkTrainer.recalibrateBatchNorm: " + batches + " (expected: >= 0)");
      }
      this.recalibration = batches;
      return this;
    }

    /** The batch of evaluation tasks (default 128). */
    public Builder evalBatch(int batch) {
      this.evalBatch = positive("evalBatch", batch);
      return this;
    }

    /** A checkpoint saved on the driver after every round (atomically); none by default. */
    public Builder checkpoint(Path file) {
      this.checkpoint = Objects.requireNonNull(file, "file");
      return this;
    }

    /**
     * Whether {@link SparkTrainer#fit} continues from the checkpoint when its file exists
     * (default false: it starts from the model factory's weights and overwrites the checkpoint).
     */
    public Builder resume(boolean resume) {
      this.resume = resume;
      return this;
    }

    /** Where progress lines go; null for nowhere (default {@code System.out}). */
    public Builder progress(PrintStream out) {
      this.out = out;
      return this;
    }

    /** Called on the driver after every epoch. */
    public Builder addListener(EpochListener listener) {
      listeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /** Called on the driver after every round. */
    public Builder addRoundListener(RoundListener listener) {
      roundListeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /** The trainer; builds the driver's model and optimizer. */
    public SparkTrainer build() {
      if (inputShape == null) {
        throw new IllegalStateException("SparkTrainer: no inputShape (expected: the shape of one example, e.g. "
            + "inputShape(1, 28, 28))");
      }
      if (resume && checkpoint == null) {
        throw new IllegalStateException("SparkTrainer: resume without a checkpoint file (expected: checkpoint(file))");
      }
      int period = synchronization.period();
      if (period > 1 && stepsPerRound % period != 0) {
        stepsPerRound += period - stepsPerRound % period;
      }
      return new SparkTrainer(this);
    }

    private static int positive(String what, int value) {
      if (value < 1) {
        throw new IllegalArgumentException("SparkTrainer." + what + ": " + value + " (expected: at least 1)");
      }
      return value;
    }
  }
}

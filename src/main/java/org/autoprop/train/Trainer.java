package org.autoprop.train;

import java.io.PrintStream;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.autoprop.layer.Layer;
import org.autoprop.layer.Parameter;
import org.autoprop.tensor.NonFiniteException;
import org.autoprop.tensor.Tensor;

/**
 * The training loop: epochs of shuffled mini-batches through a {@link Layer} model, a
 * classification {@link Loss} on its {@code [batch, classes]} output and an {@link Optimizer},
 * with validation per epoch (in evaluation mode), an optional learning-rate schedule, gradient
 * clipping, early stopping, epoch listeners and progress output.
 *
 * <p>The shuffle order of epoch {@code e} depends only on the seed and {@code e}, so a run
 * resumed from a checkpoint at epoch {@code e} (see {@link #startEpoch}) sees the same batches.
 *
 * <p><b>Nothing diverges silently.</b> Every step checks the loss and the gradients, and every
 * epoch checks the weights, the buffers and the validation loss before the listeners run (so a
 * listener that saves a checkpoint never writes a non-finite one). On the first non-finite value
 * in a step, the step is run again (buffers restored afterwards) with the model's anomaly
 * detection on ({@link Layer#detectAnomalies}), which names the first node whose
 * output or gradient went non-finite, and {@link #fit} throws a {@link TrainingDivergedException}
 * carrying that finding. {@link #detectAnomalies(boolean)} runs every step in that mode instead
 * (slower; for debugging).
 *
 * <p><b>Gradient accumulation.</b> With {@link #accumulate accumulate(k)} the optimizer steps once
 * every {@code k} batches (and after the epoch's last batch), on gradients summed over those
 * batches, each batch's loss gradient weighted by its share of the window's samples: for a mean
 * loss, {@code k} batches of {@code B} then give the step one batch of {@code kB} gives.
 * {@link #ema(ModelEma)} updates an exponential moving average of the weights after every step.
 *
 * <p>Output: by default one summary line per epoch goes to the {@link System.Logger} named
 * {@code org.autoprop.train.Trainer} at level INFO; {@link #progress} sends progress lines and the
 * summaries to a stream instead, or nowhere.
 */
public final class Trainer implements TrainingRun {
  private static final System.Logger LOG = System.getLogger(Trainer.class.getName());
  /** Batches the progress line's rate and ETA are estimated from: recent ones, past the JIT's warm-up. */
  private static final int RECENT = 16;

  private final Layer model;
  private final Loss<int[]> loss;
  private final Optimizer optimizer;
  private int batchSize = 64;
  private int epochs = 10;
  private int startEpoch;
  private long seed = 1;
  private boolean dropLast;
  private boolean detectAnomalies;
  private LrSchedule schedule;
  private boolean schedulePerStep;
  private double clipNorm;
  private int accumulate = 1;
  private ModelEma ema;
  /** The loss gradient scaled by the batch's share of its accumulation window; reused. */
  private Tensor scaledGrad;
  private int patience;
  private double minDelta;
  private boolean useLogger = true;
  private PrintStream out;
  private boolean interactive;
  private String validationName = "val";
  private final List<EpochListener> listeners = new ArrayList<>();
  private volatile boolean stopRequested;
  /** Right answers of the latest step's batch. */
  private long lastCorrect;

  /** A trainer with batch size 64, 10 epochs, seed 1, epoch summaries to the logger. */
  public Trainer(Layer model, Loss<int[]> loss, Optimizer optimizer) {
    this.model = Objects.requireNonNull(model, "model");
    this.loss = Objects.requireNonNull(loss, "loss");
    this.optimizer = Objects.requireNonNull(optimizer, "optimizer");
  }

  /** Sets the mini-batch size (default 64). */
  public Trainer batchSize(int batchSize) {
    if (batchSize <= 0) {
      throw new IllegalArgumentException("Trainer: batch size " + batchSize + " (expected: > 0)");
    }
    this.batchSize = batchSize;
    return this;
  }

  /** Sets the epoch at which {@link #fit} stops (exclusive, default 10). */
  public Trainer epochs(int epochs) {
    if (epochs < 0) {
      throw new IllegalArgumentException("Trainer: epochs " + epochs + " (expected: >= 0)");
    }
    this.epochs = epochs;
    return this;
  }

  /** Sets the number of epochs already done, to resume a run (default 0). */
  public Trainer startEpoch(int startEpoch) {
    if (startEpoch < 0) {
      throw new IllegalArgumentException("Trainer: start epoch " + startEpoch + " (expected: >= 0)");
    }
    this.startEpoch = startEpoch;
    return this;
  }

  /** Sets the seed of the shuffle order (default 1). */
  public Trainer seed(long seed) {
    this.seed = seed;
    return this;
  }

  /**
   * Drops the last, smaller batch of every training epoch (PyTorch's {@code drop_last}; default
   * false). Useful when a small last batch would give BatchNorm too few values per channel.
   * Evaluation always uses every sample.
   */
  public Trainer dropLast(boolean dropLast) {
    this.dropLast = dropLast;
    return this;
  }

  /**
   * Runs every step with the model's anomaly detection on (default off): each node's output
   * and gradients are checked as they are computed, so the first non-finite value is named
   * where it appears. Several times slower; without it a non-finite loss or gradient is still
   * detected every step and then located by running that step again in this mode.
   */
  public Trainer detectAnomalies(boolean on) {
    this.detectAnomalies = on;
    return this;
  }

  /**
   * Sets a learning-rate schedule, applied before every epoch ({@code lr(epoch)}) or, if
   * {@code perStep}, before every optimizer step ({@code lr(optimizer.stepCount())}).
   */
  public Trainer schedule(LrSchedule schedule, boolean perStep) {
    this.schedule = Objects.requireNonNull(schedule, "schedule");
    this.schedulePerStep = perStep;
    return this;
  }

  /**
   * Accumulates the gradients of {@code k} batches before each optimizer step (default 1: a step
   * every batch). Each batch's loss gradient is weighted by {@code batch size / samples in the
   * window}, so for a mean-reduced loss a window of {@code k} batches of {@code B} gives the same
   * gradient (up to float rounding) as one batch of {@code kB}; the last window of an epoch may be
   * shorter. Clipping, the per-step schedule and the EMA act once per optimizer step.
   */
  public Trainer accumulate(int k) {
    if (k <= 0) {
      throw new IllegalArgumentException("Trainer: accumulate " + k + " batches (expected: > 0)");
    }
    this.accumulate = k;
    return this;
  }

  /**
   * Updates {@code ema} after every optimizer step (null, the default, for none). Evaluate or save
   * the averaged weights with {@link ModelEma#copyTo} or {@link ModelEma#swap}.
   */
  public Trainer ema(ModelEma ema) {
    this.ema = ema;
    return this;
  }

  /** Clips the gradients to this global L2 norm before every step (0, the default, disables it). */
  public Trainer clipNorm(double maxNorm) {
    if (!(maxNorm >= 0)) {
      throw new IllegalArgumentException("Trainer: clip norm " + maxNorm + " (expected: >= 0)");
    }
    this.clipNorm = maxNorm;
    return this;
  }

  /**
   * Stops when the monitored loss (validation loss, or training loss without validation data)
   * has not improved by more than {@code minDelta} for {@code patience} epochs (0 disables it).
   */
  public Trainer earlyStopping(int patience, double minDelta) {
    if (patience < 0 || !(minDelta >= 0)) {
      throw new IllegalArgumentException("Trainer: early stopping patience " + patience + ", min delta " + minDelta
          + " (expected: patience >= 0, min delta >= 0)");
    }
    this.patience = patience;
    this.minDelta = minDelta;
    return this;
  }

  /**
   * Sends progress to {@code out} instead of the logger: about ten lines per epoch (batch, mean
   * loss so far, images/s and ETA, both estimated from the latest batches) and a summary per
   * epoch; {@code interactive} rewrites one line with {@code \r} instead. {@code null} turns all
   * output off.
   */
  public Trainer progress(PrintStream out, boolean interactive) {
    this.useLogger = false;
    this.out = out;
    this.interactive = interactive;
    return this;
  }

  /**
   * What the validation data set is called in the output (default {@code "val"}; e.g.
   * {@code "test"} when the held-out set is the test set).
   */
  public Trainer validationName(String name) {
    Objects.requireNonNull(name, "name");
    if (name.isBlank()) {
      throw new IllegalArgumentException("Trainer: validation name is blank");
    }
    this.validationName = name;
    return this;
  }

  /** Adds a listener called after every epoch. */
  public Trainer addListener(EpochListener listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
    return this;
  }

  /** Asks {@link #fit} to stop after the current epoch. */
  @Override
  public void requestStop() {
    stopRequested = true;
  }

  /**
   * Trains from {@link #startEpoch} until {@link #epochs}, early stopping or a stop request.
   *
   * @param validation evaluated after every epoch; may be null
   * @return one result per epoch run
   * @throws IllegalArgumentException if the training set has no batch (empty, or smaller than a
   *     batch with {@link #dropLast}) or the validation set is empty
   * @throws TrainingDivergedException if a loss, gradient or weight becomes NaN or infinite
   */
  public List<EpochResult> fit(Dataset train, Dataset validation) {
    Objects.requireNonNull(train, "train");
    if (train.size() == 0) {
      throw new IllegalArgumentException("Trainer: the training set is empty (expected: at least one sample)");
    }
    if (validation != null && validation.size() == 0) {
      throw new IllegalArgumentException("Trainer: the " + validationName + " set is empty (expected: at least one "
          + "sample, or null for none)");
    }
    Batches batches = train.batches(batchSize, dropLast);
    if (batches.count() == 0) {
      throw new IllegalArgumentException("Trainer: " + train.size() + " training samples make no full batch of "
          + batchSize + " with dropLast (expected: at least " + batchSize + " samples)");
    }
    stopRequested = false;
    boolean before = model.detectsAnomalies();
    // closed on every exit, so that a prefetching pass's thread ends when a step throws
    try (batches) {
      if (!detectAnomalies || before) {
        return run(batches, validation);
      }
      model.detectAnomalies(true);
      try {
        return run(batches, validation);
      } finally {
        model.detectAnomalies(false); // it was off: leave the model as the caller set it
      }
    }
  }

  private List<EpochResult> run(Batches batches, Dataset validation) {
    List<EpochResult> history = new ArrayList<>();
    long[] batchEnds = new long[RECENT];
    double best = Double.POSITIVE_INFINITY;
    int sinceBest = 0;
    for (int epoch = startEpoch; epoch < epochs && !stopRequested; epoch++) {
      if (schedule != null && !schedulePerStep) {
        schedule.apply(optimizer, epoch);
      }
      long start = System.nanoTime();
      batches.shuffle(epochSeed(epoch));
      double lossSum = 0;
      long correct = 0;
      long seen = 0;
      int count = batches.count();
      int every = Math.max(1, count / 10);
      for (Batch b : batches) {
        int first = b.index() - b.index() % accumulate;
        boolean opens = b.index() == first;
        boolean closes = b.index() % accumulate == accumulate - 1 || b.index() + 1 == count;
        if (opens && schedule != null && schedulePerStep) {
          schedule.apply(optimizer, optimizer.stepCount());
        }
        double share = 1;
        if (accumulate > 1) {
          int last = Math.min(first + accumulate, count) - 1;
          // every batch is full but the epoch's last one, which can be smaller
          long windowSamples = (long) (last - first) * batches.batchSize()
              + (last + 1 == count ? batches.sampleCount() - (long) last * batches.batchSize() : batches.batchSize());
          share = (double) b.size() / windowSamples;
        }
        double l = step(b, epoch, opens, closes, share);
        correct += lastCorrect;
        lossSum += l * b.size();
        seen += b.size();
        batchEnds[b.index() % RECENT] = System.nanoTime();
        if (out != null && (interactive || (b.index() + 1) % every == 0 || b.index() + 1 == count)) {
          progressLine(epoch, b.index() + 1, count, lossSum / seen, batchEnds, start, b.size());
        }
      }
      checkWeights(epoch);
      double trainSeconds = (System.nanoTime() - start) / 1e9;
      double valLoss = Double.NaN;
      double valAccuracy = Double.NaN;
      if (validation != null) {
        double[] v = evaluate(validation);
        valLoss = v[0];
        valAccuracy = v[1];
        if (!Double.isFinite(valLoss)) {
          throw new TrainingDivergedException(epoch + 1, -1, "after epoch " + (epoch + 1) + " the " + validationName
              + " loss is " + valLoss + " (the weights and buffers are finite: a " + validationName
              + " sample, or the evaluation-mode statistics, make the output non-finite)", null);
        }
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      EpochResult r = new EpochResult(epoch + 1, lossSum / seen, (double) correct / seen,
          valLoss, valAccuracy, optimizer.learningRate(), seconds, seen / Math.max(trainSeconds, 1e-9));
      history.add(r);
      report(summary(r));
      for (EpochListener listener : listeners) {
        listener.epochEnded(r, this);
      }
      if (r.monitoredLoss() < best - minDelta) {
        best = r.monitoredLoss();
        sinceBest = 0;
      } else if (patience > 0 && ++sinceBest >= patience) {
        report("early stopping: no improvement for " + patience + " epochs");
        break;
      }
    }
    return Collections.unmodifiableList(history);
  }

  /**
   * Forward and backward on {@code b}, the loss gradient weighted by {@code share}; zeroes the
   * gradients first if {@code opens} its accumulation window and steps the optimizer if it
   * {@code closes} it. Returns its loss. Checks the loss and the gradients.
   */
  private double step(Batch b, int epoch, boolean opens, boolean closes, double share) {
    if (opens) {
      optimizer.zeroGrad();
    }
    double l;
    try {
      Tensor y = model.forward(b.inputs(), true);
      l = lossOf(y, b, epoch);
      lastCorrect = Metrics.countCorrect(y, b.labels());
      if (!Double.isFinite(l)) {
        throw diverged(b, epoch, "the loss is " + l, true);
      }
      model.backward(share == 1 ? loss.backward() : scaled(loss.backward(), share), false); // no input gradient
    } catch (NonFiniteException e) { // only with detectAnomalies(true): the model found it first
      throw new TrainingDivergedException(epoch + 1, b.index() + 1, "epoch " + (epoch + 1) + ", batch "
          + (b.index() + 1) + ": first non-finite value: " + e.getMessage(), e);
    }
    Parameter bad = firstNonFinite(true);
    if (bad != null) {
      throw diverged(b, epoch, "the gradient of parameter '" + bad.name() + "' is not finite", false);
    }
    if (!closes) {
      return l;
    }
    if (clipNorm > 0) {
      GradClip.byGlobalNorm(optimizer.parameters(), clipNorm);
    }
    optimizer.step();
    if (ema != null) {
      ema.update();
    }
    return l;
  }

  /** {@code g * share} in a buffer of the trainer's (the loss owns {@code g} and may return it again). */
  private Tensor scaled(Tensor g, double share) {
    Tensor c = g.contiguous();
    scaledGrad = Tensor.reuse(scaledGrad, c.shape());
    float[] src = c.data();
    float[] dst = scaledGrad.data();
    float f = (float) share;
    for (int i = 0, o = c.offset(), n = c.size(); i < n; i++) {
      dst[i] = src[o + i] * f;
    }
    return scaledGrad;
  }

  /** The first parameter whose gradient (or value) holds a NaN or an infinity, or null. */
  private Parameter firstNonFinite(boolean gradients) {
    for (Parameter p : optimizer.parameters()) {
      Tensor t = gradients ? p.grad() : p.value();
      if (!allFinite(t)) {
        return p;
      }
    }
    return null;
  }

  private static boolean allFinite(Tensor t) {
    float[] d = t.data();
    // NaN and the infinities are the only floats with all exponent bits set; x - x is 0 for
    // every finite x and NaN otherwise, and one sum over the tensor keeps the loop branch-free.
    float acc = 0;
    for (int i = t.offset(), end = t.offset() + t.size(); i < end; i++) {
      acc += d[i] - d[i];
    }
    return acc == 0;
  }

  private void checkWeights(int epoch) {
    Parameter bad = firstNonFinite(false);
    if (bad != null) {
      throw new TrainingDivergedException(epoch + 1, -1, "after epoch " + (epoch + 1) + " the weights of parameter '"
          + bad.name() + "' are not finite (the last optimizer step produced them; lower the learning rate or clip "
          + "the gradients)", null);
    }
    // Buffers too: BatchNorm's running variance overflows to infinity on huge but finite
    // activations while training mode, which normalises with batch statistics, trains on.
    for (Map.Entry<String, Tensor> e : model.buffers().entrySet()) {
      if (!allFinite(e.getValue())) {
        throw new TrainingDivergedException(epoch + 1, -1, "after epoch " + (epoch + 1) + " the buffer '" + e.getKey()
            + "' is not finite (e.g. a running variance that overflowed on huge activations; lower the learning rate "
            + "or clip the gradients)", null);
      }
    }
  }

  /**
   * The loss of a training output. A loss that checks its input (e.g. {@link MultiMarginLoss})
   * throws on a non-finite output: that is the model diverging, reported as such.
   */
  private double lossOf(Tensor y, Batch b, int epoch) {
    try {
      return loss.forward(y, b.labels());
    } catch (IllegalArgumentException e) {
      if (!allFinite(y.contiguous())) {
        throw diverged(b, epoch, "the model's output is not finite", true);
      }
      throw e;
    }
  }

  /**
   * Runs the failed step again with anomaly detection on, to name the node where the first
   * non-finite value appeared, and builds the exception. The weights are those the failed step
   * started from: nothing has been updated yet.
   */
  private TrainingDivergedException diverged(Batch b, int epoch, String what, boolean lossTriggered) {
    NonFiniteException found = null;
    boolean outputFinite = true;
    if (!detectAnomalies && !model.detectsAnomalies()) {
      // The rerun is a second training-mode forward: keep the buffers (BatchNorm's running
      // statistics) as the failed step left them, not updated twice.
      Map<String, float[]> saved = new LinkedHashMap<>();
      model.buffers().forEach((name, t) -> saved.put(name, t.toArray()));
      model.detectAnomalies(true);
      try {
        optimizer.zeroGrad();
        Tensor y = model.forward(b.inputs(), true);
        outputFinite = allFinite(y.contiguous());
        if (outputFinite) { // losses that check their input refuse a non-finite one
          loss.forward(y, b.labels());
          model.backward(loss.backward(), false);
        }
      } catch (NonFiniteException e) {
        found = e;
      } finally {
        model.detectAnomalies(false);
        model.buffers().forEach((name, t) -> t.copyFrom(Tensor.wrap(saved.get(name), t.shape())));
      }
    }
    String where;
    if (found != null) {
      where = "; first non-finite value: " + found.getMessage();
    } else if (detectAnomalies) {
      where = "";
    } else if (!lossTriggered) {
      where = "; the output and the loss were finite (" + model.typeName() + " does not locate the gradient: run a "
          + "LayerGraph or Sequential to have the node named)";
    } else if (!outputFinite) {
      where = "; the model's output is not finite (" + model.typeName() + " does not locate it: run a LayerGraph "
          + "or Sequential to have the node named)";
    } else {
      where = "; the model's output is finite, so the loss itself overflowed";
    }
    return new TrainingDivergedException(epoch + 1, b.index() + 1, "epoch " + (epoch + 1) + ", batch " + (b.index() + 1)
        + ": " + what + where + " (lr " + String.format(Locale.ROOT, "%.3g", optimizer.learningRate()) + ")", found);
  }

  /**
   * Mean loss and accuracy on {@code data} in evaluation mode: {@code {loss, accuracy}}.
   *
   * @throws IllegalArgumentException if {@code data} is empty
   */
  public double[] evaluate(Dataset data) {
    Objects.requireNonNull(data, "data");
    if (data.size() == 0) {
      throw new IllegalArgumentException("Trainer.evaluate: the data set is empty (expected: at least one sample)");
    }
    double lossSum = 0;
    long correct = 0;
    try (Batches batches = data.batches(batchSize, false)) {
      for (Batch b : batches) {
        Tensor y = model.forward(b.inputs(), false);
        lossSum += loss.forward(y, b.labels()) * b.size();
        correct += Metrics.countCorrect(y, b.labels());
      }
    }
    int n = data.size();
    return new double[] {lossSum / n, (double) correct / n};
  }

  /** The shuffle seed of an epoch: a function of the run's seed and the epoch index only. */
  long epochSeed(int epoch) {
    return seed * 0x9E3779B97F4A7C15L + epoch;
  }

  private void progressLine(int epoch, int batch, int count, double meanLoss, long[] batchEnds, long start,
      int batchSize) {
    // Rate and ETA from the latest batches: the first ones run before the JIT has compiled the
    // kernels and would overestimate the time left several times.
    int window = Math.min(batch - 1, RECENT - 1);
    long now = batchEnds[(batch - 1) % RECENT];
    long from = window == 0 ? start : batchEnds[(batch - 1 - window) % RECENT];
    int batches = Math.max(window, 1);
    double secondsPerBatch = (now - from) / 1e9 / batches;
    double rate = batchSize / Math.max(secondsPerBatch, 1e-9);
    double eta = secondsPerBatch * (count - batch);
    String line = String.format(Locale.ROOT, "epoch %d/%d  batch %d/%d  loss %.4f  %.0f img/s  ETA %s",
        epoch + 1, epochs, batch, count, meanLoss, rate, time(eta));
    if (interactive) {
      out.print("\r" + line);
    } else {
      out.println(line);
    }
    out.flush();
  }

  private void report(String line) {
    if (useLogger) {
      LOG.log(Level.INFO, line);
    } else if (out != null) {
      out.print((interactive ? "\r" : "") + line + System.lineSeparator());
      out.flush();
    }
  }

  private String summary(EpochResult r) {
    StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "epoch %d/%d  loss %.4f  acc %.4f",
        r.epoch(), epochs, r.trainLoss(), r.trainAccuracy()));
    if (!Double.isNaN(r.validationLoss())) {
      sb.append(String.format(Locale.ROOT, "  %s loss %.4f  %s acc %.4f", validationName, r.validationLoss(),
          validationName, r.validationAccuracy()));
    }
    sb.append(String.format(Locale.ROOT, "  lr %.3g  %.1f s  %.0f img/s", r.learningRate(), r.seconds(),
        r.imagesPerSecond()));
    return sb.toString();
  }

  private static String time(double seconds) {
    long s = Math.round(seconds);
    return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
        : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
  }
}

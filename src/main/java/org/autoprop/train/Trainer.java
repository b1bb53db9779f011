package org.autoprop.train;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import org.autoprop.layer.Layer;
import org.autoprop.tensor.Tensor;

/**
 * The training loop: epochs of shuffled mini-batches through a {@link Layer} model, a
 * classification {@link Loss} on its {@code [batch, classes]} output and an {@link Optimizer},
 * with validation per epoch (in evaluation mode), an optional learning-rate schedule, gradient
 * clipping, early stopping, epoch listeners and a progress line.
 *
 * <p>The shuffle order of epoch {@code e} depends only on the seed and {@code e}, so a run
 * resumed from a checkpoint at epoch {@code e} (see {@link #startEpoch}) sees the same batches.
 */
public final class Trainer {
  private final Layer model;
  private final Loss<int[]> loss;
  private final Optimizer optimizer;
  private int batchSize = 64;
  private int epochs = 10;
  private int startEpoch;
  private long seed = 1;
  private LrSchedule schedule;
  private boolean schedulePerStep;
  private double clipNorm;
  private int patience;
  private double minDelta;
  private PrintStream out = System.out;
  private boolean interactive = System.console() != null;
  private final List<EpochListener> listeners = new ArrayList<>();
  private volatile boolean stopRequested;

  /** A trainer with batch size 64, 10 epochs, seed 1, progress on standard output. */
  public Trainer(Layer model, Loss<int[]> loss, Optimizer optimizer) {
    if (model == null || loss == null || optimizer == null) {
      throw new IllegalArgumentException("Trainer: model, loss and optimizer must not be null");
    }
    this.model = model;
    this.loss = loss;
    this.optimizer = optimizer;
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

  /** Sets the first epoch index, to resume a run (default 0). */
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
   * Sets a learning-rate schedule, applied before every epoch ({@code lr(epoch)}) or, if
   * {@code perStep}, before every optimizer step ({@code lr(optimizer.stepCount())}).
   */
  public Trainer schedule(LrSchedule schedule, boolean perStep) {
    this.schedule = schedule;
    this.schedulePerStep = perStep;
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
   * Where the progress goes ({@code null} for none); {@code interactive} rewrites one line with
   * {@code \r} (default: when a console is attached), else prints about ten plain lines per epoch.
   */
  public Trainer progress(PrintStream out, boolean interactive) {
    this.out = out;
    this.interactive = interactive;
    return this;
  }

  /** Adds a listener called after every epoch. */
  public Trainer addListener(EpochListener listener) {
    listeners.add(listener);
    return this;
  }

  /** Asks {@link #fit} to stop after the current epoch. */
  public void requestStop() {
    stopRequested = true;
  }

  /**
   * Trains from {@link #startEpoch} until {@link #epochs}, early stopping or a stop request.
   *
   * @param validation evaluated after every epoch; may be null
   * @return one result per epoch run
   */
  public List<EpochResult> fit(Dataset train, Dataset validation) {
    stopRequested = false;
    Batches batches = train.batches(batchSize, false);
    List<EpochResult> history = new ArrayList<>();
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
        if (schedule != null && schedulePerStep) {
          schedule.apply(optimizer, optimizer.stepCount());
        }
        optimizer.zeroGrad();
        Tensor y = model.forward(b.inputs(), true);
        double l = loss.forward(y, b.labels());
        correct += Metrics.countCorrect(y, b.labels());
        model.backward(loss.backward(), false); // the batch is data: no input gradient
        if (clipNorm > 0) {
          GradClip.byGlobalNorm(optimizer.parameters(), clipNorm);
        }
        optimizer.step();
        lossSum += l * b.size();
        seen += b.size();
        if (out != null && (interactive || (b.index() + 1) % every == 0 || b.index() + 1 == count)) {
          progressLine(epoch, b.index() + 1, count, lossSum / seen, seen, start);
        }
      }
      double trainSeconds = (System.nanoTime() - start) / 1e9;
      double valLoss = Double.NaN;
      double valAccuracy = Double.NaN;
      if (validation != null) {
        double[] v = evaluate(validation);
        valLoss = v[0];
        valAccuracy = v[1];
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      EpochResult r = new EpochResult(epoch, lossSum / Math.max(seen, 1), (double) correct / Math.max(seen, 1),
          valLoss, valAccuracy, optimizer.learningRate(), seconds, seen / Math.max(trainSeconds, 1e-9));
      history.add(r);
      if (out != null) {
        out.print((interactive ? "\r" : "") + summary(r) + System.lineSeparator());
        out.flush();
      }
      for (EpochListener listener : listeners) {
        listener.epochEnded(r, this);
      }
      if (r.monitoredLoss() < best - minDelta) {
        best = r.monitoredLoss();
        sinceBest = 0;
      } else if (patience > 0 && ++sinceBest >= patience) {
        if (out != null) {
          out.println("early stopping: no improvement for " + patience + " epochs");
        }
        break;
      }
    }
    return Collections.unmodifiableList(history);
  }

  /** Mean loss and accuracy on {@code data} in evaluation mode: {@code {loss, accuracy}}. */
  public double[] evaluate(Dataset data) {
    Batches batches = data.batches(batchSize, false);
    double lossSum = 0;
    long correct = 0;
    for (Batch b : batches) {
      Tensor y = model.forward(b.inputs(), false);
      lossSum += loss.forward(y, b.labels()) * b.size();
      correct += Metrics.countCorrect(y, b.labels());
    }
    int n = Math.max(data.size(), 1);
    return new double[] {lossSum / n, (double) correct / n};
  }

  /** The shuffle seed of an epoch: a function of the run's seed and the epoch index only. */
  long epochSeed(int epoch) {
    return seed * 0x9E3779B97F4A7C15L + epoch;
  }

  private void progressLine(int epoch, int batch, int count, double meanLoss, long seen, long start) {
    double seconds = (System.nanoTime() - start) / 1e9;
    double rate = seen / Math.max(seconds, 1e-9);
    double eta = seconds / batch * (count - batch);
    String line = String.format(Locale.ROOT, "epoch %d/%d  batch %d/%d  loss %.4f  %.0f img/s  ETA %s",
        epoch + 1, epochs, batch, count, meanLoss, rate, time(eta));
    if (interactive) {
      out.print("\r" + line);
    } else {
      out.println(line);
    }
    out.flush();
  }

  private String summary(EpochResult r) {
    StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "epoch %d/%d  loss %.4f  acc %.4f",
        r.epoch() + 1, epochs, r.trainLoss(), r.trainAccuracy()));
    if (!Double.isNaN(r.validationLoss())) {
      sb.append(String.format(Locale.ROOT, "  val loss %.4f  val acc %.4f", r.validationLoss(), r.validationAccuracy()));
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

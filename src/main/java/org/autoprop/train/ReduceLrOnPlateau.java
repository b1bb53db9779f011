package org.autoprop.train;

import java.util.Locale;
import java.util.Objects;

/**
 * PyTorch's {@code ReduceLROnPlateau}: multiplies the learning rate by {@code factor} when a
 * metric has not improved for more than {@code patience} epochs, then waits {@code cooldown}
 * epochs before counting again; never below {@code minLr}, and a reduction smaller than
 * {@code eps} is skipped.
 *
 * <p>"Improved" (mode MIN): {@code metric < best (1 - threshold)} (REL) or
 * {@code metric < best - threshold} (ABS); mode MAX mirrors it. The first metric always improves
 * on the starting best, infinity (MIN) or minus infinity (MAX).
 *
 * <p><b>A stateful schedule.</b> The rate follows the metric, not the step count, so this object
 * keeps state: {@link #step(double)} takes the epoch's metric and returns the new rate, and
 * {@link #lr(long)} is the current rate whatever {@code t} (the {@link LrSchedule} view, so the
 * Trainer applies it like any schedule). With a {@link Trainer} it needs no hook of its own: it
 * is also an {@link EpochListener} that steps with {@link EpochResult#monitoredLoss()} (mode MIN
 * for a loss), and the Trainer applies the rate before the next epoch:
 *
 * <pre>{@code
 * ReduceLrOnPlateau plateau = ReduceLrOnPlateau.builder(0.1).patience(3).build();
 * trainer.schedule(plateau, false).addListener(plateau);
 * }</pre>
 *
 * <p>Composition: inside {@link LrSchedule#sequential} it must be the last part (it ignores its
 * step count). Not thread-safe; one instance per training run.
 */
public final class ReduceLrOnPlateau implements LrSchedule, EpochListener {
  /** Whether a lower (MIN) or a higher (MAX) metric is better. */
  public enum Mode {
    /** A loss: lower is better. */
    MIN,
    /** An accuracy: higher is better. */
    MAX
  }

  /** How {@code threshold} measures a significant improvement. */
  public enum ThresholdMode {
    /** Relative to the best: {@code best * (1 -+ threshold)}. */
    REL,
    /** Absolute: {@code best -+ threshold}. */
    ABS
  }

  private final Mode mode;
  private final double factor;
  private final int patience;
  private final double threshold;
  private final ThresholdMode thresholdMode;
  private final int cooldown;
  private final double minLr;
  private final double eps;
  private double lr;
  private double best;
  private int badEpochs;
  private int cooldownLeft;
  private long steps;

  private ReduceLrOnPlateau(Builder b) {
    this.mode = b.mode;
    this.factor = b.factor;
    this.patience = b.patience;
    this.threshold = b.threshold;
    this.thresholdMode = b.thresholdMode;
    this.cooldown = b.cooldown;
    this.minLr = b.minLr;
    this.eps = b.eps;
    this.lr = b.lr;
    this.best = mode == Mode.MIN ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
  }

  /**
   * A builder with PyTorch's defaults (MIN, factor 0.1, patience 10, threshold 1e-4 REL, cooldown
   * 0, min lr 0, eps 1e-8).
   *
   * @param lr the starting learning rate, {@code >= 0}
   * @return a new builder
   */
  public static Builder builder(double lr) {
    return new Builder(lr);
  }

  /**
   * Takes one epoch's metric; returns the learning rate from now on.
   *
   * @throws IllegalArgumentException for a NaN metric (PyTorch would count it as a bad epoch)
   */
  public double step(double metric) {
    if (Double.isNaN(metric)) {
      throw new IllegalArgumentException(name() + ": metric NaN at step " + steps + " (expected: a number)");
    }
    steps++;
    if (better(metric)) {
      best = metric;
      badEpochs = 0;
    } else {
      badEpochs++;
    }
    if (cooldownLeft > 0) {
      cooldownLeft--;
      badEpochs = 0;
    }
    if (badEpochs > patience) {
      double reduced = Math.max(lr * factor, minLr);
      if (lr - reduced > eps) {
        lr = reduced;
      }
      cooldownLeft = cooldown;
      badEpochs = 0;
    }
    return lr;
  }

  private boolean better(double metric) {
    if (mode == Mode.MIN) {
      return thresholdMode == ThresholdMode.REL ? metric < best * (1 - threshold) : metric < best - threshold;
    }
    return thresholdMode == ThresholdMode.REL ? metric > best * (1 + threshold) : metric > best + threshold;
  }

  /** The current learning rate, whatever {@code t}. */
  @Override
  public double lr(long t) {
    return lr;
  }

  /** The current learning rate. */
  public double lr() {
    return lr;
  }

  /** The best metric so far (infinite before the first step). */
  public double best() {
    return best;
  }

  /**
   * Steps with the epoch's {@link EpochResult#monitoredLoss()} (validation loss, else training
   * loss). It does not touch the optimizer: the Trainer applies the new rate through
   * {@link Trainer#schedule} before the next epoch (or step).
   */
  @Override
  public void epochEnded(EpochResult result, TrainingRun run) {
    step(result.monitoredLoss());
  }

  /** {@code ReduceLROnPlateau(min, factor=0.1, patience=10)}. */
  public String name() {
    return "ReduceLROnPlateau(" + mode.name().toLowerCase(Locale.ROOT) + ", factor=" + factor + ", patience="
        + patience + ")";
  }

  @Override
  public String toString() {
    return name();
  }

  /** Named settings for {@link ReduceLrOnPlateau}; each setter checks its value and names it when it is out of range. */
  public static final class Builder {
    private final double lr;
    private Mode mode = Mode.MIN;
    private double factor = 0.1;
    private int patience = 10;
    private double threshold = 1e-4;
    private ThresholdMode thresholdMode = ThresholdMode.REL;
    private int cooldown;
    private double minLr;
    private double eps = 1e-8;

    private Builder(double lr) {
      check(lr >= 0 && lr < Double.POSITIVE_INFINITY, "lr", lr, "0 <= lr < infinity");
      this.lr = lr;
    }

    private static void check(boolean ok, String what, Object value, String expected) {
      if (!ok) {
        throw new IllegalArgumentException("ReduceLROnPlateau: " + what + " " + value + " (expected: " + expected + ")");
      }
    }

    /**
     * @param mode MIN (default) or MAX
     * @return this builder
     */
    public Builder mode(Mode mode) {
      this.mode = Objects.requireNonNull(mode, "mode");
      return this;
    }

    /**
     * @param factor the multiplier of a reduction, in [0, 1) (default 0.1)
     * @return this builder
     */
    public Builder factor(double factor) {
      check(factor >= 0 && factor < 1, "factor", factor, "0 <= factor < 1");
      this.factor = factor;
      return this;
    }

    /**
     * @param patience epochs without improvement tolerated, {@code >= 0} (default 10)
     * @return this builder
     */
    public Builder patience(int patience) {
      check(patience >= 0, "patience", patience, ">= 0");
      this.patience = patience;
      return this;
    }

    /**
     * @param threshold the least significant improvement, {@code >= 0} and finite (default 1e-4)
     * @return this builder
     */
    public Builder threshold(double threshold) {
      check(threshold >= 0 && threshold < Double.POSITIVE_INFINITY, "threshold", threshold, ">= 0 and finite");
      this.threshold = threshold;
      return this;
    }

    /**
     * @param thresholdMode REL (default) or ABS
     * @return this builder
     */
    public Builder thresholdMode(ThresholdMode thresholdMode) {
      this.thresholdMode = Objects.requireNonNull(thresholdMode, "thresholdMode");
      return this;
    }

    /**
     * @param cooldown epochs after a reduction before bad epochs count again, {@code >= 0} (default 0)
     * @return this builder
     */
    public Builder cooldown(int cooldown) {
      check(cooldown >= 0, "cooldown", cooldown, ">= 0");
      this.cooldown = cooldown;
      return this;
    }

    /**
     * @param minLr the floor of the rate, {@code >= 0} (default 0)
     * @return this builder
     */
    public Builder minLr(double minLr) {
      check(minLr >= 0 && minLr < Double.POSITIVE_INFINITY, "min lr", minLr, "0 <= min lr < infinity");
      this.minLr = minLr;
      return this;
    }

    /**
     * @param eps the smallest reduction applied, {@code >= 0} (default 1e-8)
     * @return this builder
     */
    public Builder eps(double eps) {
      check(eps >= 0 && eps < Double.POSITIVE_INFINITY, "eps", eps, ">= 0 and finite");
      this.eps = eps;
      return this;
    }

    /** @return the schedule, at its starting rate */
    public ReduceLrOnPlateau build() {
      return new ReduceLrOnPlateau(this);
    }
  }
}

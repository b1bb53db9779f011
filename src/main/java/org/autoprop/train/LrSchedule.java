package org.autoprop.train;

/**
 * A learning rate as a function of the epoch or step count {@code t = 0, 1, 2, ...} (the caller
 * decides which), in PyTorch's closed forms. Schedules compose: {@code cosine(0.1, 90,
 * 0).withWarmup(10, 0.01)} warms up linearly over 10 steps, then anneals over 90;
 * {@link #sequential} and {@link #then} chain any schedules at milestones, as PyTorch's
 * {@code SequentialLR}.
 *
 * <p>Every schedule here is a pure function of {@code t} except {@link ReduceLrOnPlateau}, which
 * follows a metric. {@link Schedulers#byName(String, java.util.Map)} builds them by Luma's names.
 */
@FunctionalInterface
public interface LrSchedule {
  /** The learning rate at {@code t}. */
  double lr(long t);

  /** Sets the optimizer's learning rate to {@link #lr(long) lr(t)}. */
  default void apply(Optimizer optimizer, long t) {
    optimizer.setLearningRate(lr(t));
  }

  /**
   * Linear warm-up in front of this schedule, as PyTorch's {@code LinearLR} then this one
   * ({@code SequentialLR}): for {@code t < steps} the rate is
   * {@code lr(0) * (startFactor + (1 - startFactor) t / steps)}, then {@code lr(t - steps)}.
   */
  default LrSchedule withWarmup(long steps, double startFactor) {
    if (steps < 0) {
      throw new IllegalArgumentException("warm-up: steps " + steps + " (expected: >= 0)");
    }
    if (!(startFactor >= 0 && startFactor <= 1)) {
      throw new IllegalArgumentException("warm-up: start factor " + startFactor + " (expected: 0 <= factor <= 1)");
    }
    LrSchedule after = this;
    return t -> t < steps
        ? after.lr(0) * (startFactor + (1 - startFactor) * (double) t / steps)
        : after.lr(t - steps);
  }

  /**
   * This schedule until {@code milestone}, then {@code next} counted from the milestone:
   * {@code sequential(List.of(this, next), milestone)}.
   */
  default LrSchedule then(LrSchedule next, long milestone) {
    return sequential(java.util.List.of(this, next), milestone);
  }

  /**
   * PyTorch's {@code SequentialLR}: schedule {@code i} runs from milestone {@code i - 1} (0 for the
   * first) to milestone {@code i}, counting its steps from its own start: at {@code t} with
   * {@code m[i-1] <= t < m[i]} the rate is {@code schedules[i].lr(t - m[i-1])}.
   *
   * @param schedules one or more schedules
   * @param milestones one fewer than the schedules, increasing, each greater than 0
   * @throws IllegalArgumentException for another count of milestones or milestones out of order
   */
  static LrSchedule sequential(java.util.List<LrSchedule> schedules, long... milestones) {
    java.util.Objects.requireNonNull(schedules, "schedules");
    LrSchedule[] parts = schedules.toArray(new LrSchedule[0]);
    for (LrSchedule part : parts) {
      java.util.Objects.requireNonNull(part, "schedule");
    }
    if (parts.length == 0) {
      throw new IllegalArgumentException("sequential: no schedules (expected: at least one)");
    }
    if (milestones.length != parts.length - 1) {
      throw new IllegalArgumentException("sequential: " + milestones.length + " milestones for " + parts.length
          + " schedules (expected: " + (parts.length - 1) + ", one fewer than the schedules)");
    }
    long[] m = milestones.clone();
    for (int i = 0; i < m.length; i++) {
      if (m[i] <= (i == 0 ? 0 : m[i - 1])) {
        throw new IllegalArgumentException("sequential: milestones " + java.util.Arrays.toString(m)
            + " (expected: increasing, each > 0)");
      }
    }
    return t -> {
      int i = 0;
      while (i < m.length && t >= m[i]) {
        i++;
      }
      return parts[i].lr(i == 0 ? t : t - m[i - 1]);
    };
  }

  /** The same rate at every {@code t}. */
  static LrSchedule constant(double lr) {
    return t -> lr;
  }

  /** Step decay ({@code StepLR}): {@code base * gamma^floor(t / stepSize)}. */
  static LrSchedule stepDecay(double base, long stepSize, double gamma) {
    if (stepSize <= 0) {
      throw new IllegalArgumentException("step decay: step size " + stepSize + " (expected: > 0)");
    }
    return t -> base * Math.pow(gamma, Math.floorDiv(t, stepSize));
  }

  /**
   * Cosine annealing ({@code CosineAnnealingLR}'s closed form):
   * {@code min + (base - min) (1 + cos(pi t / total)) / 2} for {@code t <= total}, then {@code min}
   * (PyTorch's closed form would rise again; a schedule that ends should stay at its end).
   */
  static LrSchedule cosine(double base, long total, double min) {
    if (total <= 0) {
      throw new IllegalArgumentException("cosine: total " + total + " (expected: > 0)");
    }
    return t -> t >= total ? min : min + (base - min) * (1 + Math.cos(Math.PI * t / total)) / 2;
  }

  /**
   * A linear warm-up to {@code base} over {@code warmup} steps, {@code base (t + 1) / warmup}, then
   * cosine decay to 0 by step {@code total}: the schedule of torch_vit.py and torch_lm.py
   * ({@code LambdaLR} with that function).
   *
   * @throws IllegalArgumentException unless {@code 0 < warmup < total}
   */
  static LrSchedule warmupCosine(double base, long warmup, long total) {
    if (warmup <= 0 || warmup >= total) {
      throw new IllegalArgumentException("warm-up cosine: warm-up " + warmup + " of " + total
          + " steps (expected: 0 < warm-up < total)");
    }
    long decay = total - warmup;
    return t -> t < warmup ? base * (t + 1) / warmup : base * 0.5 * (1 + Math.cos(Math.PI * Math.min(t - warmup, decay) / decay));
  }

  /** Exponential decay ({@code ExponentialLR}): {@code base * gamma^t}. */
  static LrSchedule exponential(double base, double gamma) {
    if (!(gamma > 0) || Double.isInfinite(gamma)) {
      throw new IllegalArgumentException("exponential: gamma " + gamma + " (expected: 0 < gamma < infinity)");
    }
    return t -> base * Math.pow(gamma, t);
  }

  /**
   * Linear ramp ({@code LinearLR}): {@code base * (start + (end - start) min(t, total) / total)},
   * then {@code base * end}; the usual warm-up before {@link #then}.
   *
   * @throws IllegalArgumentException unless {@code 0 < start <= 1}, {@code 0 <= end <= 1} and
   *     {@code total > 0} (PyTorch's ranges)
   */
  static LrSchedule linear(double base, double startFactor, double endFactor, long totalIters) {
    if (!(startFactor > 0 && startFactor <= 1)) {
      throw new IllegalArgumentException("linear: start factor " + startFactor + " (expected: 0 < factor <= 1)");
    }
    if (!(endFactor >= 0 && endFactor <= 1)) {
      throw new IllegalArgumentException("linear: end factor " + endFactor + " (expected: 0 <= factor <= 1)");
    }
    if (totalIters <= 0) {
      throw new IllegalArgumentException("linear: total iterations " + totalIters + " (expected: > 0)");
    }
    return t -> base * (startFactor + (endFactor - startFactor) * (double) Math.min(t, totalIters) / totalIters);
  }

  /**
   * Polynomial decay ({@code PolynomialLR}, closed form):
   * {@code base * (1 - min(t, total) / total)^power}, 0 from {@code total} on.
   *
   * @throws IllegalArgumentException unless {@code total > 0} and {@code power > 0}
   */
  static LrSchedule polynomial(double base, long totalIters, double power) {
    if (totalIters <= 0) {
      throw new IllegalArgumentException("polynomial: total iterations " + totalIters + " (expected: > 0)");
    }
    if (!(power > 0) || Double.isInfinite(power)) {
      throw new IllegalArgumentException("polynomial: power " + power + " (expected: 0 < power < infinity)");
    }
    return t -> base * Math.pow(1 - (double) Math.min(t, totalIters) / totalIters, power);
  }

  /** How {@link #oneCycle} moves between its phase ends ({@code anneal_strategy}). */
  enum Anneal {
    /** {@code end + (start - end) (1 + cos(pi p)) / 2} at fraction {@code p} of the phase. */
    COS,
    /** {@code start + (end - start) p}. */
    LINEAR
  }

  /** One-cycle with PyTorch's defaults: {@code pct_start} 0.3, COS, div factors 25 and 1e4, two phases. */
  static LrSchedule oneCycle(double maxLr, long totalSteps) {
    return oneCycle(maxLr, totalSteps, 0.3, Anneal.COS, 25, 1e4, false);
  }

  /**
   * PyTorch's {@code OneCycleLR} (learning rate only; PyTorch also cycles the momentum): from
   * {@code initial = maxLr / divFactor} up to {@code maxLr} over the first {@code pctStart} of the
   * steps, then down to {@code initial / finalDivFactor} at step {@code totalSteps - 1}; with
   * {@code threePhase}, up, back down to {@code initial} over as many steps, then down to the
   * minimum. Phase {@code k} ends at step {@code pctStart * totalSteps - 1} (k = 1), {@code 2
   * pctStart * totalSteps - 2} (the three-phase middle) and {@code totalSteps - 1}; the rate stays
   * at the minimum after the last step.
   *
   * @throws IllegalArgumentException for {@code totalSteps <= 0}, {@code pctStart} outside [0, 1],
   *     non-positive factors or {@code maxLr}, or a phase shorter than a step
   */
  static LrSchedule oneCycle(double maxLr, long totalSteps, double pctStart, Anneal anneal, double divFactor,
      double finalDivFactor, boolean threePhase) {
    java.util.Objects.requireNonNull(anneal, "anneal");
    if (!(maxLr > 0) || Double.isInfinite(maxLr)) {
      throw new IllegalArgumentException("one-cycle: max lr " + maxLr + " (expected: 0 < max lr < infinity)");
    }
    if (totalSteps <= 0) {
      throw new IllegalArgumentException("one-cycle: total steps " + totalSteps + " (expected: > 0)");
    }
    if (!(pctStart >= 0 && pctStart <= 1)) {
      throw new IllegalArgumentException("one-cycle: pct_start " + pctStart + " (expected: 0 <= pct_start <= 1)");
    }
    if (!(divFactor > 0) || !(finalDivFactor > 0) || Double.isInfinite(divFactor) || Double.isInfinite(finalDivFactor)) {
      throw new IllegalArgumentException("one-cycle: div factor " + divFactor + ", final div factor " + finalDivFactor
          + " (expected: both > 0 and finite)");
    }
    double initial = maxLr / divFactor;
    double min = initial / finalDivFactor;
    double up = pctStart * totalSteps - 1;
    double[] ends = threePhase ? new double[] {up, 2 * pctStart * totalSteps - 2, totalSteps - 1}
        : new double[] {up, totalSteps - 1};
    double[] from = threePhase ? new double[] {initial, maxLr, initial} : new double[] {initial, maxLr};
    double[] to = threePhase ? new double[] {maxLr, initial, min} : new double[] {maxLr, min};
    for (int k = 0; k < ends.length; k++) {
      if (!(ends[k] > (k == 0 ? 0 : ends[k - 1]))) {
        throw new IllegalArgumentException("one-cycle: pct_start " + pctStart + " of " + totalSteps + " steps"
            + (threePhase ? " (three phases)" : "") + " gives phase ends " + java.util.Arrays.toString(ends)
            + " (expected: every phase longer than 0 steps)");
      }
    }
    long last = totalSteps - 1;
    return t -> {
      double step = Math.min(t, last);
      double start = 0;
      for (int k = 0; k < ends.length; k++) {
        if (step <= ends[k] || k == ends.length - 1) {
          double p = (step - start) / (ends[k] - start);
          return anneal == Anneal.COS ? to[k] + (from[k] - to[k]) / 2 * (Math.cos(Math.PI * p) + 1)
              : (to[k] - from[k]) * p + from[k];
        }
        start = ends[k];
      }
      throw new AssertionError(); // the last phase always returns
    };
  }

  /** The amplitude rule of {@link #cyclic} (PyTorch's {@code mode}). */
  enum CyclicMode {
    /** The same amplitude every cycle. */
    TRIANGULAR,
    /** The amplitude halves every cycle. */
    TRIANGULAR2,
    /** The amplitude times {@code gamma^t} (per step, PyTorch's 'iterations' scaling). */
    EXP_RANGE
  }

  /** Triangular cyclic rate, {@code stepSize} steps up and as many down. */
  static LrSchedule cyclic(double baseLr, double maxLr, long stepSize) {
    return cyclic(baseLr, maxLr, stepSize, stepSize, CyclicMode.TRIANGULAR, 1.0);
  }

  /**
   * PyTorch's {@code CyclicLR} (learning rate only): cycles of {@code up + down} steps, rising
   * linearly from {@code baseLr} to {@code maxLr} over {@code up} steps and back over {@code down};
   * the amplitude {@code maxLr - baseLr} is scaled by the mode: 1, {@code 1 / 2^(cycle - 1)}
   * ({@code cycle} counted from 1), or {@code gamma^t}.
   *
   * @throws IllegalArgumentException for step sizes below 1 or a gamma that is not positive
   */
  static LrSchedule cyclic(double baseLr, double maxLr, long stepSizeUp, long stepSizeDown, CyclicMode mode,
      double gamma) {
    java.util.Objects.requireNonNull(mode, "mode");
    if (stepSizeUp <= 0 || stepSizeDown <= 0) {
      throw new IllegalArgumentException("cyclic: step sizes " + stepSizeUp + " up, " + stepSizeDown
          + " down (expected: both > 0)");
    }
    if (!(gamma > 0) || Double.isInfinite(gamma)) {
      throw new IllegalArgumentException("cyclic: gamma " + gamma + " (expected: 0 < gamma < infinity)");
    }
    double total = stepSizeUp + stepSizeDown;
    double ratio = stepSizeUp / total;
    return t -> {
      double cycle = Math.floor(1 + t / total);
      double x = 1 + t / total - cycle;
      double scale = x <= ratio ? x / ratio : (x - 1) / (ratio - 1);
      double height = (maxLr - baseLr) * scale;
      switch (mode) {
        case TRIANGULAR2:
          return baseLr + height / Math.pow(2, cycle - 1);
        case EXP_RANGE:
          return baseLr + height * Math.pow(gamma, t);
        default:
          return baseLr + height;
      }
    };
  }
}

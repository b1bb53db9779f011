package org.autoprop.train;

/**
 * A learning rate as a function of the epoch or step count {@code t = 0, 1, 2, ...} (the caller
 * decides which), in PyTorch's closed forms. Schedules compose: {@code cosine(0.1, 90,
 * 0).withWarmup(10, 0.01)} warms up linearly over 10 steps, then anneals over 90.
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
}

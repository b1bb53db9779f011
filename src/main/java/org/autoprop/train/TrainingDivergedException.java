package org.autoprop.train;

import org.autoprop.tensor.NonFiniteException;

/**
 * Training produced a NaN or an infinity (in the loss, a gradient or the weights) and was stopped
 * before it could spread: the optimizer step of the failing batch was not taken. The message says
 * where it was noticed and, when the model's anomaly detection located it, the first node whose
 * output or gradient went non-finite ({@link #located()}).
 */
public final class TrainingDivergedException extends ArithmeticException {
  private static final long serialVersionUID = 1L;

  private final int epoch;
  private final int batch;
  private final transient NonFiniteException located;

  TrainingDivergedException(int epoch, int batch, String message, NonFiniteException located) {
    super(message);
    this.epoch = epoch;
    this.batch = batch;
    this.located = located;
    if (located != null) {
      initCause(located);
    }
  }

  /** The 1-based epoch in which it happened. */
  public int epoch() {
    return epoch;
  }

  /** The 1-based batch of that epoch, or -1 when found in the weights at the end of the epoch. */
  public int batch() {
    return batch;
  }

  /** The first non-finite value the anomaly detection found, or null if it located none. */
  public NonFiniteException located() {
    return located;
  }
}

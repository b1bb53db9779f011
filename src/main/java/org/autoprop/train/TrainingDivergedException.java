package org.autoprop.train;

import org.autoprop.tensor.NonFiniteException;

/**
 * Training produced a NaN or an infinity and was stopped before any listener (e.g. one saving a
 * checkpoint) saw it. Found in a batch's loss or gradients ({@link #batch()} at least 1), the
 * optimizer step of that batch was not taken; found at the end of an epoch in the weights, the
 * buffers or the validation loss ({@link #batch()} -1), the epoch's steps were taken. The message
 * says where it was noticed and, when the model's anomaly detection located it, the first node
 * whose output or gradient went non-finite ({@link #located()}).
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

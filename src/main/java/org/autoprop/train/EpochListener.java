package org.autoprop.train;

/**
 * Called after every epoch by a training loop ({@link Trainer}, or a distributed one) to save a
 * checkpoint, log metrics or adapt a schedule.
 */
@FunctionalInterface
public interface EpochListener {
  /** The epoch just finished; call {@link TrainingRun#requestStop()} to end training after it. */
  void epochEnded(EpochResult result, TrainingRun run);
}

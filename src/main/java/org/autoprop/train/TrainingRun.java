package org.autoprop.train;

/**
 * A training loop as its {@link EpochListener}s see it: {@link Trainer} on one machine, or a
 * distributed trainer built on the same listeners.
 */
public interface TrainingRun {
  /** Asks the loop to stop after the current epoch. */
  void requestStop();
}

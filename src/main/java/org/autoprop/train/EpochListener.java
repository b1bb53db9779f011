package org.autoprop.train;

/** Called by {@link Trainer} after every epoch (e.g. to save a checkpoint or log metrics). */
@FunctionalInterface
public interface EpochListener {
  /** The epoch just finished; call {@link Trainer#requestStop()} to end training after it. */
  void epochEnded(EpochResult result, Trainer trainer);
}

package org.autoprop.spark;

/**
 * Called on the driver after every round of a {@link SparkTrainer}, when the driver's model holds
 * the round's result (and the checkpoint, if any, is saved).
 */
@FunctionalInterface
public interface RoundListener {
  /** The round just finished; {@code trainer.model()} has its weights. */
  void roundEnded(RoundStats stats, SparkTrainer trainer);
}

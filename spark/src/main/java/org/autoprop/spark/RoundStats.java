package org.autoprop.spark;

/**
 * What one round took, as the driver saw it: a round is the steps between two progress lines
 * and checkpoints ({@link SparkTrainer.Builder#stepsPerRound}).
 *
 * @param epoch the epoch, from 1
 * @param firstStep the round's first step in the epoch, from 0
 * @param steps steps in the round
 * @param wallNanos the round's time on the driver: its Spark jobs from broadcast to combined result
 * @param computeNanos the slowest worker's forward, backward (and local optimizer) time, summed over the jobs
 * @param examples examples trained on, all workers
 * @param bytesPerStep the state and results a worker receives and sends per step
 */
public record RoundStats(int epoch, int firstStep, int steps, long wallNanos, long computeNanos, long examples,
    long bytesPerStep) {
  /** Wall time per step, in milliseconds. */
  public double millisPerStep() {
    return wallNanos / 1e6 / steps;
  }

  /**
   * Time per step not spent computing on the slowest worker, in milliseconds: scheduling, the
   * broadcast, the results' transfer and the driver's combining and optimizer step.
   */
  public double exchangeMillisPerStep() {
    return (wallNanos - computeNanos) / 1e6 / steps;
  }

  /** Examples per second of wall time. */
  public double examplesPerSecond() {
    return examples / (wallNanos / 1e9);
  }
}

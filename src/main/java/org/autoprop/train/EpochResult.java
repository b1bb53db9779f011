package org.autoprop.train;

/**
 * What one training epoch measured.
 *
 * @param epoch the epoch's number, counted from 1 as the progress lines count (the number of
 *     epochs completed when it ended)
 * @param trainLoss mean loss over the epoch's training batches (per sample)
 * @param trainAccuracy fraction of training samples classified right during the epoch
 * @param validationLoss mean validation loss, or NaN without validation data
 * @param validationAccuracy validation accuracy, or NaN without validation data
 * @param learningRate the learning rate at the end of the epoch
 * @param seconds wall time of the epoch, validation included
 * @param imagesPerSecond training samples per second
 */
public record EpochResult(int epoch, double trainLoss, double trainAccuracy, double validationLoss,
    double validationAccuracy, double learningRate, double seconds, double imagesPerSecond) {
  /** The loss early stopping watches: validation loss if there is one, else training loss. */
  public double monitoredLoss() {
    return Double.isNaN(validationLoss) ? trainLoss : validationLoss;
  }
}

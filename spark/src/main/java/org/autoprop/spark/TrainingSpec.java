package org.autoprop.spark;

import java.io.Serializable;
import java.util.UUID;
import org.autoprop.layer.Layer;
import org.autoprop.train.Loss;

/** What every task of a training run needs to know, shipped with each task. */
final class TrainingSpec implements Serializable {
  private static final long serialVersionUID = 1L;

  final String runId;
  final SerializableFactory<? extends Layer> model;
  final SerializableFactory<? extends Loss<int[]>> loss;
  final OptimizerFactory optimizer;
  final int[] inputShape;
  final int workers;
  final int batchPerWorker;
  final long seed;
  final boolean shuffle;
  final Synchronization synchronization;

  /** The same spec under a new run id: what the workers cache for one run is not reused by the next. */
  TrainingSpec newRun() {
    return new TrainingSpec(UUID.randomUUID().toString(), model, loss, optimizer, inputShape, workers, batchPerWorker,
        seed, shuffle, synchronization);
  }

  TrainingSpec(String runId, SerializableFactory<? extends Layer> model, SerializableFactory<? extends Loss<int[]>> loss,
      OptimizerFactory optimizer, int[] inputShape, int workers, int batchPerWorker, long seed, boolean shuffle,
      Synchronization synchronization) {
    this.runId = runId;
    this.model = model;
    this.loss = loss;
    this.optimizer = optimizer;
    this.inputShape = inputShape.clone();
    this.workers = workers;
    this.batchPerWorker = batchPerWorker;
    this.seed = seed;
    this.shuffle = shuffle;
    this.synchronization = synchronization;
  }
}

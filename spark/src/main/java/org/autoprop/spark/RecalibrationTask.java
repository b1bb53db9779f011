package org.autoprop.spark;

import java.util.Iterator;
import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import scala.Tuple2;

/**
 * Re-estimates a worker's BatchNorm running statistics with the current weights: {@code batches}
 * forward passes in training mode on its first micro-batches of the epoch, no backward; returns
 * the buffers (flat, in {@code buffers()} order).
 */
final class RecalibrationTask implements FlatMapFunction<Iterator<Tuple2<Long, Example>>, float[]> {
  private static final long serialVersionUID = 1L;

  private final TrainingSpec spec;
  private final Broadcast<ModelState> state;
  private final int epoch;
  private final int batches;

  RecalibrationTask(TrainingSpec spec, Broadcast<ModelState> state, int epoch, int batches) {
    this.spec = spec;
    this.state = state;
    this.epoch = epoch;
    this.batches = batches;
  }

  @Override
  public Iterator<float[]> call(Iterator<Tuple2<Long, Example>> partition) {
    int worker = TaskContext.getPartitionId();
    List<Example> examples = Workers.examples(spec, worker, partition);
    int[] order = Workers.order(spec, worker, epoch, examples.size());
    Replica replica = Workers.replica(spec, worker);
    try {
      state.value().applyModelTo(replica.model);
      int b = spec.batchPerWorker;
      for (int i = 0; i < batches && (i + 1) * b <= examples.size(); i++) {
        replica.forwardTraining(examples, order, i * b, b);
      }
      return List.of(ModelState.flatten(replica.model.buffers().values())).iterator();
    } finally {
      Workers.release(spec, worker, replica);
    }
  }
}

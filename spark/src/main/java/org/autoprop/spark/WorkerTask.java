package org.autoprop.spark;

import java.util.Iterator;
import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import scala.Tuple2;

/**
 * One worker's task: from the broadcast state, {@code steps} steps on the worker's micro-batches.
 * Synchronous: one step's gradient, no optimizer step (the driver steps). Local SGD: up to
 * {@code k} optimizer steps of the worker's own, then its whole state. Everything it computes
 * follows from the broadcast state, the spec and the partition's data, so a retried task (Spark
 * retries a failed one elsewhere) computes the same bits.
 */
final class WorkerTask implements FlatMapFunction<Iterator<Tuple2<Long, Example>>, WorkerResult> {
  private static final long serialVersionUID = 1L;

  private final TrainingSpec spec;
  private final Broadcast<ModelState> start;
  private final int epoch;
  private final int firstStep;
  private final int steps;

  WorkerTask(TrainingSpec spec, Broadcast<ModelState> start, int epoch, int firstStep, int steps) {
    this.spec = spec;
    this.start = start;
    this.epoch = epoch;
    this.firstStep = firstStep;
    this.steps = steps;
  }

  @Override
  public Iterator<WorkerResult> call(Iterator<Tuple2<Long, Example>> partition) {
    int worker = TaskContext.getPartitionId();
    List<Example> examples = Workers.examples(spec, worker, partition);
    int[] order = Workers.order(spec, worker, epoch, examples.size());
    Replica replica = Workers.replica(spec, worker);
    try {
      if (spec.synchronization.isSynchronous()) {
        start.value().applyModelTo(replica.model);
      } else {
        start.value().applyTo(replica.model, replica.optimizer);
      }
      return List.of(run(worker, replica, examples, order)).iterator();
    } finally {
      Workers.release(spec, worker, replica);
    }
  }

  private WorkerResult run(int worker, Replica replica, List<Example> examples, int[] order) {
    int b = spec.batchPerWorker;
    double lossSum = 0;
    long correct = 0;
    long t0 = System.nanoTime();
    for (int s = firstStep; s < firstStep + steps; s++) {
      lossSum += replica.forwardBackward(examples, order, s * b, b) * b;
      correct += replica.lastCorrect();
      if (!spec.synchronization.isSynchronous()) {
        replica.optimizer.step();
      }
    }
    long compute = System.nanoTime() - t0;
    long seen = (long) steps * b;
    if (spec.synchronization.isSynchronous()) {
      float[] buffers = worker == 0 ? ModelState.flatten(replica.model.buffers().values()) : null;
      return new WorkerResult(worker, lossSum, correct, seen, compute, replica.gradients().clone(), buffers,
          replica.optimizer.stepCount());
    }
    ModelState state = ModelState.capture(replica.model, replica.optimizer);
    float[] flat = new float[state.model.length + state.optimizer.length];
    System.arraycopy(state.model, 0, flat, 0, state.model.length);
    System.arraycopy(state.optimizer, 0, flat, state.model.length, state.optimizer.length);
    return new WorkerResult(worker, lossSum, correct, seen, compute, flat, null, replica.optimizer.stepCount());
  }

}

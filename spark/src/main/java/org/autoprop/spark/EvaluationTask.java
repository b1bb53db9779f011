package org.autoprop.spark;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;

/** The loss sum, correct count and example count of one partition, in evaluation mode. */
final class EvaluationTask implements FlatMapFunction<Iterator<Example>, double[]> {
  private static final long serialVersionUID = 1L;

  private final TrainingSpec spec;
  private final Broadcast<ModelState> state;
  private final int batch;

  EvaluationTask(TrainingSpec spec, Broadcast<ModelState> state, int batch) {
    this.spec = spec;
    this.state = state;
    this.batch = batch;
  }

  @Override
  public Iterator<double[]> call(Iterator<Example> partition) {
    List<Example> examples = new ArrayList<>();
    partition.forEachRemaining(examples::add);
    if (examples.isEmpty()) {
      return List.of(new double[3]).iterator();
    }
    Replica replica = Workers.evaluationReplica(spec);
    try {
      state.value().applyModelTo(replica.model);
      int[] order = EpochOrder.of(examples.size(), 0, 0, 0, false);
      double loss = 0;
      long correct = 0;
      for (int from = 0; from < examples.size(); from += batch) {
        int n = Math.min(batch, examples.size() - from);
        loss += replica.evaluate(examples, order, from, n) * n;
        correct += replica.lastCorrect();
      }
      return List.of(new double[] {loss, correct, examples.size()}).iterator();
    } finally {
      Workers.releaseEvaluation(spec, replica);
    }
  }
}

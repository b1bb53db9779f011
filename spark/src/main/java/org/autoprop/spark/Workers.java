package org.autoprop.spark;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import scala.Tuple2;

/**
 * What a worker JVM keeps between the tasks of a run, so that a step rebuilds nothing: one
 * replica per (run, worker), the worker's examples in index order and the epoch's visiting order.
 * The maps are shared by the executor's task threads: a task takes a replica out of its queue while
 * it runs and puts it back after, so two tasks (or a retry racing a dying attempt) never share one; the example lists are never changed once made. Whatever belongs to another run is dropped
 * when a new run starts here.
 */
final class Workers {
  private static final Map<String, Queue<Replica>> IDLE = new ConcurrentHashMap<>();
  private static final Map<String, List<Example>> EXAMPLES = new ConcurrentHashMap<>();
  private static final Map<String, EpochOrderOf> ORDERS = new ConcurrentHashMap<>();

  private Workers() {}

  /** Worker {@code worker}'s replica. */
  static Replica replica(TrainingSpec spec, int worker) {
    return take(spec, key(spec, worker));
  }

  /** Puts back what {@link #replica} gave. */
  static void release(TrainingSpec spec, int worker, Replica replica) {
    IDLE.computeIfAbsent(key(spec, worker), k -> new ConcurrentLinkedQueue<>()).add(replica);
  }

  /** A replica for evaluation: any idle one of the run's evaluation pool (one per task thread at most). */
  static Replica evaluationReplica(TrainingSpec spec) {
    return take(spec, spec.runId + "/eval");
  }

  /** Puts back what {@link #evaluationReplica} gave. */
  static void releaseEvaluation(TrainingSpec spec, Replica replica) {
    IDLE.computeIfAbsent(spec.runId + "/eval", k -> new ConcurrentLinkedQueue<>()).add(replica);
  }

  private static Replica take(TrainingSpec spec, String key) {
    forgetOtherRuns(spec);
    Queue<Replica> idle = IDLE.get(key);
    Replica cached = idle == null ? null : idle.poll();
    return cached != null ? cached : new Replica(spec);
  }

  /** The worker's examples in index order (sorted once per run and JVM). */
  static List<Example> examples(TrainingSpec spec, int worker, Iterator<Tuple2<Long, Example>> partition) {
    forgetOtherRuns(spec);
    return EXAMPLES.computeIfAbsent(key(spec, worker), k -> sorted(partition));
  }

  /** The worker's visiting order in {@code epoch}. */
  static int[] order(TrainingSpec spec, int worker, int epoch, int count) {
    EpochOrderOf cached = ORDERS.compute(key(spec, worker), (k, old) -> old != null && old.epoch == epoch ? old
        : new EpochOrderOf(epoch, EpochOrder.of(count, spec.seed, epoch, worker, spec.shuffle)));
    return cached.order;
  }

  /** The visiting order of one epoch. */
  private record EpochOrderOf(int epoch, int[] order) {}

  private static List<Example> sorted(Iterator<Tuple2<Long, Example>> partition) {
    List<Tuple2<Long, Example>> pairs = new ArrayList<>();
    partition.forEachRemaining(pairs::add);
    pairs.sort(Comparator.comparingLong(Tuple2::_1));
    List<Example> examples = new ArrayList<>(pairs.size());
    for (Tuple2<Long, Example> p : pairs) {
      examples.add(p._2());
    }
    return List.copyOf(examples);
  }

  private static void forgetOtherRuns(TrainingSpec spec) {
    String prefix = spec.runId + "/";
    IDLE.keySet().removeIf(key -> !key.startsWith(prefix));
    EXAMPLES.keySet().removeIf(key -> !key.startsWith(prefix));
    ORDERS.keySet().removeIf(key -> !key.startsWith(prefix));
  }

  private static String key(TrainingSpec spec, int worker) {
    return spec.runId + "/" + worker;
  }
}

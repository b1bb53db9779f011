package org.autoprop.spark;

import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.autoprop.tensor.Shape;

/**
 * Checks every example before training, in one Spark job, so that a bad record stops the run at
 * once with its place ({@code partition p, index i}: the {@code i}-th record of the data set's
 * partition {@code p}) instead of failing a step later, on some worker, after retries.
 */
final class DataChecks {
  private DataChecks() {}

  /** The number of examples; throws {@link IllegalArgumentException} naming the first bad one. */
  static long validate(JavaRDD<Example> data, int[] inputShape, int classes, String what) {
    int features = Shape.of(inputShape).size();
    String shape = Shape.of(inputShape).toString();
    try {
      List<Long> counts = data.mapPartitionsWithIndex((partition, examples) -> {
        long index = 0;
        while (examples.hasNext()) {
          String problem = problem(examples.next(), features, shape, classes);
          if (problem != null) {
            throw new BadRecordException("bad " + what + " record in partition " + partition + ", index " + index
                + ": " + problem);
          }
          index++;
        }
        return List.of(index).iterator();
      }, true).collect();
      long total = 0;
      for (long c : counts) {
        total += c;
      }
      return total;
    } catch (Exception e) { // Spark's SparkException is checked but undeclared
      throw rethrown(e);
    }
  }

  private static String problem(Example e, int features, String shape, int classes) {
    if (e == null) {
      return "null example";
    }
    float[] f = e.features();
    if (f.length != features) {
      return f.length + " features (expected: " + features + ", the input shape " + shape + ")";
    }
    for (int i = 0; i < f.length; i++) {
      if (!Float.isFinite(f[i])) {
        return "feature " + i + " is " + f[i] + " (expected: a finite value)";
      }
    }
    if (e.label() < 0 || (classes > 0 && e.label() >= classes)) {
      return "label " + e.label() + " (expected: 0 <= label" + (classes > 0 ? " < " + classes : "") + ")";
    }
    return null;
  }

  /** A bad record's message from the failed job, as an IllegalArgumentException; other failures as they are. */
  static RuntimeException rethrown(Exception e) {
    BadRecordException bad = find(e);
    if (bad != null) {
      return new IllegalArgumentException(bad.getMessage(), e);
    }
    String message = e.getMessage() == null ? "" : e.getMessage();
    int at = message.indexOf(BadRecordException.class.getName() + ": ");
    if (at >= 0) { // the executor's exception arrives as text when its class cannot travel
      String rest = message.substring(at + BadRecordException.class.getName().length() + 2);
      int end = rest.indexOf('\n');
      return new IllegalArgumentException(end < 0 ? rest : rest.substring(0, end), e);
    }
    return e instanceof RuntimeException r ? r : new IllegalStateException(message, e);
  }

  private static BadRecordException find(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof BadRecordException bad) {
        return bad;
      }
    }
    return null;
  }

  /** Thrown on an executor for a bad record; the driver rethrows its message. */
  static final class BadRecordException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    BadRecordException(String message) {
      super(message);
    }
  }
}

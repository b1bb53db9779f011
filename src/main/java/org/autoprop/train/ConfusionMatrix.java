package org.autoprop.train;

import java.util.Locale;
import org.autoprop.layer.Layer;
import org.autoprop.tensor.Tensor;

/**
 * Counts of (true class, predicted class) pairs of a classifier, with accuracy and per-class
 * recall.
 */
public final class ConfusionMatrix {
  private final long[][] counts;

  /** An empty matrix over {@code classes} classes. */
  public ConfusionMatrix(int classes) {
    if (classes < 1) {
      throw new IllegalArgumentException("ConfusionMatrix: classes " + classes + " (expected: >= 1)");
    }
    counts = new long[classes][classes];
  }

  /** The matrix of {@code model}'s arg-max predictions on {@code data}, in evaluation mode. */
  public static ConfusionMatrix evaluate(Layer model, Dataset data, int batchSize) {
    ConfusionMatrix m = new ConfusionMatrix(data.classCount());
    for (Batch b : data.batches(batchSize, false)) {
      m.add(model.forward(b.inputs(), false), b.labels());
    }
    return m;
  }

  /** Adds the arg-max predictions of {@code scores} [batch, classes] against {@code labels}. */
  public void add(Tensor scores, int[] labels) {
    LossSupport.checkClassification("confusion matrix", scores, labels);
    if (scores.dim(1) != counts.length) {
      throw new IllegalArgumentException("confusion matrix: scores " + scores.shape() + " have "
          + scores.dim(1) + " classes (expected: " + counts.length + ")");
    }
    for (int i = 0; i < labels.length; i++) {
      counts[labels[i]][Metrics.argmax(scores, i)]++;
    }
  }

  /** How many samples of class {@code actual} were predicted as {@code predicted}. */
  public long count(int actual, int predicted) {
    return counts[actual][predicted];
  }

  /** The number of classes. */
  public int classes() {
    return counts.length;
  }

  /** The number of samples counted. */
  public long total() {
    long t = 0;
    for (long[] row : counts) {
      for (long c : row) {
        t += c;
      }
    }
    return t;
  }

  /** The fraction of samples on the diagonal (NaN when empty). */
  public double accuracy() {
    long diagonal = 0;
    for (int i = 0; i < counts.length; i++) {
      diagonal += counts[i][i];
    }
    long t = total();
    return t == 0 ? Double.NaN : (double) diagonal / t;
  }

  /** The fraction of class {@code c}'s samples predicted as {@code c} (NaN when it has none). */
  public double recall(int c) {
    long row = 0;
    for (long v : counts[c]) {
      row += v;
    }
    return row == 0 ? Double.NaN : (double) counts[c][c] / row;
  }

  /**
   * A table with one row per true class (named by {@code names}, or by index when null), one
   * column per predicted class, and the recall of each class.
   */
  public String format(String[] names) {
    if (names != null && names.length != counts.length) {
      throw new IllegalArgumentException("confusion matrix: " + names.length + " class names (expected: " + counts.length + ")");
    }
    int nameWidth = "true \\ pred".length();
    for (int i = 0; i < counts.length; i++) {
      nameWidth = Math.max(nameWidth, rowName(names, i).length());
    }
    StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-" + nameWidth + "s", "true \\ pred"));
    for (int j = 0; j < counts.length; j++) {
      sb.append(String.format(Locale.ROOT, " %5d", j));
    }
    sb.append("  recall\n");
    for (int i = 0; i < counts.length; i++) {
      sb.append(String.format(Locale.ROOT, "%-" + nameWidth + "s", rowName(names, i)));
      for (int j = 0; j < counts.length; j++) {
        sb.append(String.format(Locale.ROOT, " %5d", counts[i][j]));
      }
      sb.append(String.format(Locale.ROOT, "  %5.1f%%%n", 100 * recall(i)));
    }
    return sb.toString();
  }

  private static String rowName(String[] names, int i) {
    return names == null ? Integer.toString(i) : i + " " + names[i];
  }
}

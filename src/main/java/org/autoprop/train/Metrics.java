package org.autoprop.train;

import org.autoprop.tensor.Tensor;

/** Classification metrics on logits or scores {@code [N, C]}. */
public final class Metrics {
  private Metrics() {}

  /** The index of the largest score of row {@code i} (the first one on ties). */
  public static int argmax(Tensor scores, int i) {
    if (scores.rank() != 2) {
      throw new IllegalArgumentException("argmax: scores " + scores.shape() + " (expected: [batch, classes])");
    }
    int c = scores.dim(1);
    int best = 0;
    float bestValue = Float.NEGATIVE_INFINITY;
    for (int j = 0; j < c; j++) {
      float v = scores.get(i, j);
      if (v > bestValue || (j == 0)) {
        bestValue = v;
        best = j;
      }
    }
    return best;
  }

  /** How many rows have their largest score at the label. */
  public static int countCorrect(Tensor scores, int[] labels) {
    LossSupport.checkClassification("accuracy", scores, labels);
    Tensor s = scores.contiguous();
    float[] d = s.data();
    int n = s.dim(0);
    int c = s.dim(1);
    int correct = 0;
    for (int i = 0; i < n; i++) {
      int row = s.offset() + i * c;
      int best = 0;
      for (int j = 1; j < c; j++) {
        if (d[row + j] > d[row + best]) {
          best = j;
        }
      }
      if (best == labels[i]) {
        correct++;
      }
    }
    return correct;
  }
}

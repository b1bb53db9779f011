package org.autoprop.train;

import java.util.Arrays;
import java.util.Objects;
import org.autoprop.tensor.Tensor;

/**
 * Softmax cross-entropy on logits with class-index labels, as PyTorch's {@code CrossEntropyLoss},
 * with the class axis <b>last</b>: logits {@code [N, C]} with {@code N} labels, or a sequence
 * {@code [N, T, V]} (any {@code [N, ..., C]}) with one label per position, {@code N * T} labels in
 * row-major order (the {@code [N, T]} targets flattened), which is what a transformer's head
 * gives. Per counted position {@code -(1-s) log p[y] - (s/C) sum_c log p[c]} with
 * {@code log p = x - logsumexp(x)} over the last axis and label smoothing {@code s}; the gradient
 * is {@code softmax(x) - q} with {@code q = (1-s) onehot(y) + s/C} (divided by the count for
 * MEAN).
 *
 * <p><b>Layout: PyTorch takes the classes on axis 1</b> ({@code [N, C, d1, ...]}), so the PyTorch
 * equivalent of this loss on {@code x [N, T, V]} and targets {@code [N, T]} is
 *
 * <pre>{@code
 * F.cross_entropy(x.permute(0, 2, 1), targets, ignore_index=-100, label_smoothing=s)
 * # or, the same: F.cross_entropy(x.reshape(-1, V), targets.reshape(-1), ...)
 * }</pre>
 *
 * <p>A label equal to the {@code ignoreIndex} (PyTorch's {@code ignore_index}, default
 * {@value #DEFAULT_IGNORE_INDEX}; it may also be a class id, such as a padding token's) marks a
 * position that counts for nothing: no loss, a zero gradient row, and MEAN divides by the number
 * of the other positions (PyTorch's rule, label smoothing included). Every other label must be in
 * {@code [0, C)}. When every label is ignored, SUM gives 0 and MEAN is an error: the mean of no
 * losses is undefined (PyTorch returns NaN), as for an empty batch.
 *
 * <p>Log-sum-exp subtracts the row maximum, in double precision, so large logits do not overflow.
 */
public final class CrossEntropyLoss implements Loss<int[]> {
  /** PyTorch's default {@code ignore_index}. */
  public static final int DEFAULT_IGNORE_INDEX = -100;

  private final Reduction reduction;
  private final double smoothing;
  private final int ignoreIndex;
  private Tensor probs;
  private Tensor grad;
  private int[] labels;
  private int counted;
  private boolean gradReady;

  /** Mean reduction, no label smoothing, ignore index {@value #DEFAULT_IGNORE_INDEX}. */
  public CrossEntropyLoss() {
    this(Reduction.MEAN, 0.0);
  }

  /**
   * A loss with ignore index {@value #DEFAULT_IGNORE_INDEX}.
   *
   * @param reduction MEAN over counted positions or SUM
   * @param labelSmoothing in [0, 1]
   */
  public CrossEntropyLoss(Reduction reduction, double labelSmoothing) {
    this(reduction, labelSmoothing, DEFAULT_IGNORE_INDEX);
  }

  /**
   * A loss that leaves out the positions labelled {@code ignoreIndex}.
   *
   * @param reduction MEAN over counted positions or SUM
   * @param labelSmoothing in [0, 1]
   * @param ignoreIndex the label of positions that count for nothing (any int; a class id too)
   */
  public CrossEntropyLoss(Reduction reduction, double labelSmoothing, int ignoreIndex) {
    LossSupport.meanOrSum("CrossEntropy", reduction);
    if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) {
      throw new IllegalArgumentException(
          "CrossEntropy: label smoothing " + labelSmoothing + " (expected: 0 <= smoothing <= 1)");
    }
    this.reduction = reduction;
    this.smoothing = labelSmoothing;
    this.ignoreIndex = ignoreIndex;
  }

  /** The label of positions left out. */
  public int ignoreIndex() {
    return ignoreIndex;
  }

  /**
   * The loss of logits {@code [N, ..., C]} against one label per position (row-major).
   *
   * @throws IllegalArgumentException for an input of rank below 2 or without classes, a label
   *     count other than the number of positions, an empty batch, a label outside
   *     {@code [0, C)} that is not the ignore index, or (MEAN) every label ignored
   */
  @Override
  public double forward(Tensor input, int[] target) {
    check(input, target);
    Tensor x = input.contiguous();
    int c = x.dim(-1);
    int n = x.size() / c;
    probs = Tensor.reuse(probs, x.shape());
    float[] xd = x.data();
    float[] pd = probs.data();
    double total = 0;
    counted = 0;
    for (int i = 0; i < n; i++) {
      if (target[i] == ignoreIndex) {
        Arrays.fill(pd, i * c, (i + 1) * c, 0f);
        continue;
      }
      counted++;
      int row = x.offset() + i * c;
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < c; j++) {
        max = Math.max(max, xd[row + j]);
      }
      double sumExp = 0;
      double sumX = 0;
      for (int j = 0; j < c; j++) {
        double e = Math.exp(xd[row + j] - max);
        pd[i * c + j] = (float) e;
        sumExp += e;
        sumX += xd[row + j];
      }
      double lse = max + Math.log(sumExp);
      float inv = (float) (1.0 / sumExp);
      for (int j = 0; j < c; j++) {
        pd[i * c + j] *= inv;
      }
      double nllTerm = lse - xd[row + target[i]];
      double uniformTerm = lse - sumX / c; // -(1/C) sum_c log p[c]
      total += (1 - smoothing) * nllTerm + smoothing * uniformTerm;
    }
    if (counted == 0 && reduction == Reduction.MEAN) {
      probs = null;
      throw new IllegalArgumentException(name() + ": every one of the " + n + " labels is the ignore index "
          + ignoreIndex + " (expected: at least one counted position; the mean of no losses is undefined)");
    }
    labels = LossSupport.copyLabels(target, labels);
    gradReady = false;
    return reduction == Reduction.MEAN ? total / counted : total;
  }

  private void check(Tensor input, int[] target) {
    if (input.rank() < 2) {
      throw new IllegalArgumentException(name() + ": input " + input.shape() + " has rank " + input.rank()
          + " (expected: [batch, classes] or [batch, ..., classes], the classes last)");
    }
    Objects.requireNonNull(target, "labels");
    int positions = input.shape().sizeOf(0, input.rank() - 1);
    if (positions == 0) {
      throw new IllegalArgumentException(name() + ": empty batch " + input.shape() + " (expected: at least one sample; "
          + "the mean of no losses is undefined)");
    }
    int c = input.dim(-1);
    if (target.length != positions) {
      String of = input.rank() == 2 ? ""
          : ", one per position of " + Arrays.toString(Arrays.copyOf(input.shape().dims(), input.rank() - 1));
      throw new IllegalArgumentException(
          name() + ": " + target.length + " labels for input " + input.shape() + " (expected: " + positions + of + ")");
    }
    if (c == 0) {
      throw new IllegalArgumentException(name() + ": input " + input.shape() + " has no classes");
    }
    for (int i = 0; i < positions; i++) {
      if ((target[i] < 0 || target[i] >= c) && target[i] != ignoreIndex) {
        throw new IllegalArgumentException(name() + ": label " + target[i] + " at index " + i
            + position(input, i) + " is out of range for " + c + " classes (expected: 0 <= label < " + c
            + ", or the ignore index " + ignoreIndex + ")");
      }
    }
  }

  /** For a sequence, the position of flat label {@code i} in the targets, e.g. " ([1, 2] of [2, 4])". */
  private static String position(Tensor input, int i) {
    int r = input.rank() - 1;
    if (r == 1) {
      return "";
    }
    int[] index = new int[r];
    int[] dims = new int[r];
    for (int a = r - 1, rest = i; a >= 0; a--) {
      dims[a] = input.dim(a);
      index[a] = rest % dims[a];
      rest /= dims[a];
    }
    return " (" + Arrays.toString(index) + " of targets " + Arrays.toString(dims) + ")";
  }

  @Override
  public Tensor backward() {
    if (probs == null) {
      throw LossSupport.backwardBeforeForward(name());
    }
    if (gradReady) {
      return grad;
    }
    grad = Tensor.reuse(grad, probs.shape());
    int c = probs.dim(-1);
    int n = probs.size() / c;
    float scale = reduction == Reduction.MEAN ? 1f / counted : 1f;
    float off = (float) (smoothing / c);
    float hit = (float) (1 - smoothing);
    float[] pd = probs.data();
    float[] gd = grad.data();
    for (int i = 0; i < n; i++) {
      if (labels[i] == ignoreIndex) {
        Arrays.fill(gd, i * c, (i + 1) * c, 0f);
        continue;
      }
      for (int j = 0; j < c; j++) {
        gd[i * c + j] = (pd[i * c + j] - off) * scale;
      }
      gd[i * c + labels[i]] -= hit * scale;
    }
    gradReady = true;
    return grad;
  }

  /** {@code CrossEntropy(mean)}, with the smoothing and a non-default ignore index when set. */
  @Override
  public String name() {
    return "CrossEntropy(" + reduction.name().toLowerCase(java.util.Locale.ROOT)
        + (smoothing > 0 ? ", smoothing=" + smoothing : "")
        + (ignoreIndex != DEFAULT_IGNORE_INDEX ? ", ignore_index=" + ignoreIndex : "") + ")";
  }
}

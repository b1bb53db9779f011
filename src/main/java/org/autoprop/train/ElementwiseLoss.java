package org.autoprop.train;

import java.util.Locale;
import java.util.Objects;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * The shared part of the losses that compare an input and a target of the same shape element by
 * element: the checks, the copies kept for {@link #backward}, the optional weight, the terms and
 * the reductions. A subclass gives the term {@code l(x, t)}, its derivative in {@code x} and what
 * a valid input and target are.
 *
 * <p>The weight (PyTorch's {@code weight} of {@code BCELoss}) multiplies each term; it broadcasts
 * to the input as in PyTorch (numpy's rule: aligned at the last axis, each of its axes the input's
 * size or 1; a {@code [C]} weight on a {@code [N, C]} input weighs the columns, {@code [N, 1]} the
 * rows). MEAN divides by the number of elements, whatever the weight (PyTorch's rule).
 *
 * <p>Everything is computed in double precision; the terms and the gradient are stored as float.
 * The per-element calls go through the subclass (one virtual call per element; a loss is a small
 * part of a step, next to the model).
 */
abstract class ElementwiseLoss implements Loss<Tensor> {
  final Reduction reduction;
  private final Tensor weight;
  private Tensor input;
  private Tensor target;
  private Tensor losses;
  private Tensor grad;
  private int divisor;
  private String label;
  /** For each input element, its weight's index; rebuilt when the input shape changes. */
  private int[] weightIndex;
  private Shape weightIndexShape;

  ElementwiseLoss(String type, Reduction reduction, Tensor weight) {
    this.reduction = Objects.requireNonNull(reduction, "reduction");
    if (weight != null) {
      LossSupport.checkFinite(type, "weight", weight);
    }
    this.weight = weight == null ? null : weight.copy();
  }

  /** The loss term of input {@code x} against target {@code t}. */
  abstract double term(double x, double t);

  /** d term / dx at {@code (x, t)}, PyTorch's backward formula. */
  abstract double derivative(double x, double t);

  /** Null for a valid input value, else the "(expected: ...)" text of its error. */
  String badInput(float x) {
    return Float.isFinite(x) ? null : "(expected: finite values)";
  }

  /** Null for a valid target value, else the "(expected: ...)" text of its error. */
  String badTarget(float t) {
    return Float.isFinite(t) ? null : "(expected: finite values)";
  }

  /** The MEAN divisor for an input of this shape: the element count (KL divergence's batchmean differs). */
  int meanDivisor(Shape input) {
    return input.size();
  }

  /**
   * The reduced loss of {@code input} against a {@code target} of the same shape.
   *
   * @throws IllegalArgumentException for a target of another shape, an empty input, a weight that
   *     does not broadcast to the input, or an input or target value the loss does not take
   *     (non-finite, or out of its domain), naming the first such element
   */
  @Override
  public final double forward(Tensor x, Tensor t) {
    LossSupport.checkSameShape(label(), x, t);
    if (weight != null && !broadcasts(weight.shape(), x.shape())) {
      throw new IllegalArgumentException(label() + ": weight " + weight.shape() + " does not broadcast to input "
          + x.shape() + " (expected: aligned at the last axis, each axis the input's size or 1)");
    }
    // Keep copies: the caller may reuse its tensors before backward.
    Tensor in = Tensor.reuse(input, x.shape()).copyFrom(x);
    Tensor tg = Tensor.reuse(target, t.shape()).copyFrom(t);
    input = in;
    target = tg;
    float[] xd = in.data();
    float[] td = tg.data();
    int n = xd.length;
    for (int i = 0; i < n; i++) {
      String bad = badInput(xd[i]);
      if (bad != null) {
        input = null;
        throw new IllegalArgumentException(label() + ": input " + xd[i] + " at "
            + LossSupport.index(x.shape().dims(), i) + " of " + x.shape() + " " + bad);
      }
      bad = badTarget(td[i]);
      if (bad != null) {
        input = null;
        throw new IllegalArgumentException(label() + ": target " + td[i] + " at "
            + LossSupport.index(x.shape().dims(), i) + " of " + x.shape() + " " + bad);
      }
    }
    losses = Tensor.reuse(losses, x.shape());
    float[] ld = losses.data();
    float[] wd = weight == null ? null : weight.data();
    int[] wi = weight == null ? null : weightIndex(x.shape());
    double total = 0;
    for (int i = 0; i < n; i++) {
      double l = term(xd[i], td[i]);
      if (wd != null) {
        l *= wd[wi[i]];
      }
      ld[i] = (float) l;
      total += l;
    }
    divisor = meanDivisor(x.shape());
    return LossSupport.reduce(reduction, total, divisor);
  }

  private static boolean broadcasts(Shape w, Shape x) {
    if (w.rank() > x.rank()) {
      return false;
    }
    for (int a = 1; a <= w.rank(); a++) {
      int wd = w.dim(w.rank() - a);
      if (wd != 1 && wd != x.dim(x.rank() - a)) {
        return false;
      }
    }
    return true;
  }

  /** The weight's flat index of every element of an input of shape {@code x} (broadcast). */
  private int[] weightIndex(Shape x) {
    if (x.equals(weightIndexShape)) {
      return weightIndex;
    }
    Shape w = weight.shape();
    int rank = x.rank();
    int[] strides = new int[rank]; // the weight's stride per input axis, 0 where it broadcasts
    for (int a = rank - 1, s = 1; a >= rank - w.rank(); a--) {
      int wd = w.dim(a - (rank - w.rank()));
      strides[a] = wd == 1 ? 0 : s;
      s *= wd;
    }
    int[] index = new int[x.size()];
    int[] at = new int[rank];
    for (int i = 0, flat = 0; i < index.length; i++) {
      index[i] = flat;
      for (int a = rank - 1; a >= 0; a--) { // odometer over the input's axes
        at[a]++;
        flat += strides[a];
        if (at[a] < x.dim(a)) {
          break;
        }
        flat -= strides[a] * at[a];
        at[a] = 0;
      }
    }
    weightIndex = index;
    weightIndexShape = x;
    return index;
  }

  /**
   * The terms of the latest {@link #forward}, weighted, in the input's shape: what PyTorch's loss
   * returns with {@code reduction='none'}. Owned by the loss, valid until the next forward.
   */
  public final Tensor losses() {
    if (input == null) {
      throw LossSupport.backwardBeforeForward(label());
    }
    return losses;
  }

  /** The gradient of the latest {@link #forward}'s value with respect to its input. */
  @Override
  public final Tensor backward() {
    if (input == null) {
      throw LossSupport.backwardBeforeForward(label());
    }
    double scale = reduction == Reduction.MEAN ? 1.0 / divisor : 1.0;
    return gradient(null, scale);
  }

  /**
   * The gradient of {@code sum(upstream * losses())} with respect to the input, whatever the
   * reduction: PyTorch's {@code loss(x, t).backward(upstream)} with {@code reduction='none'}.
   *
   * @throws IllegalArgumentException if {@code upstream} does not have the input's shape
   */
  public final Tensor backward(Tensor upstream) {
    if (input == null) {
      throw LossSupport.backwardBeforeForward(label());
    }
    LossSupport.checkUpstream(label(), losses, upstream);
    return gradient(upstream.contiguous(), 1.0);
  }

  private Tensor gradient(Tensor upstream, double scale) {
    grad = Tensor.reuse(grad, input.shape());
    float[] xd = input.data();
    float[] td = target.data();
    float[] gd = grad.data();
    float[] wd = weight == null ? null : weight.data();
    int[] wi = weightIndex;
    float[] ud = upstream == null ? null : upstream.data();
    int uo = upstream == null ? 0 : upstream.offset();
    int n = xd.length;
    for (int i = 0; i < n; i++) {
      double g = derivative(xd[i], td[i]) * scale;
      if (wd != null) {
        g *= wd[wi[i]];
      }
      if (ud != null) {
        g *= ud[uo + i];
      }
      gd[i] = (float) g;
    }
    return grad;
  }

  /** The reduction's name as PyTorch spells it. */
  String reductionName() {
    return reduction.name().toLowerCase(Locale.ROOT);
  }

  /** {@link #name()}, built once (the checks of every step use it; no string per step). */
  final String label() {
    String l = label;
    if (l == null) {
      l = name();
      label = l;
    }
    return l;
  }
}

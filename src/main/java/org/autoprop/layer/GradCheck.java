package org.autoprop.layer;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.function.Supplier;
import org.autoprop.tensor.Tensor;

/**
 * Checks analytic gradients against central finite differences.
 *
 * <p>The scalar under test is {@code L = sum(y * g)} for a fixed random {@code g} (uniform in
 * [-1, 1)), evaluated in double precision, so the upstream gradient is exactly {@code g}. Each
 * checked element {@code v} of the input and of every parameter is moved to {@code v + eps} and
 * {@code v - eps} (rounded to float; the actual step is used), and
 * {@code (L(v+) - L(v-)) / (v+ - v-)} is compared with the analytic gradient.
 *
 * <pre>{@code
 * GradCheck.Report r = GradCheck.forLayer(new Conv2D(3, 6, 3)).check(x);
 * assertTrue(r.passed(1e-2), r::toString);
 * }</pre>
 *
 * <p>Keep inputs away from kinks (ReLU at 0, ties of MAX) by more than {@code eps}. Layers with
 * randomness in training mode (Dropout) must be checked in evaluation mode.
 */
public final class GradCheck {
  private final Layer layer;
  /** Errors below this fraction of the gradient scale are never counted as kinks. */
  private static final double KINK_FLOOR = 1e-2;

  private double epsilon = 5e-3;
  private boolean skipKinks = true;
  private int maxChecksPerTensor = 200;
  private long seed = 42;
  private boolean training = true;

  private GradCheck(Layer layer) {
    this.layer = layer;
  }

  /** A check of {@code layer}'s input and parameter gradients. */
  public static GradCheck forLayer(Layer layer) {
    return new GradCheck(layer);
  }

  /**
   * Whether to leave out elements whose step straddles a kink: their error is explained by
   * one-sided slopes that disagree at least as much (default: true). Skipped elements are
   * counted in the report, and a check with more than half of a tensor skipped fails.
   */
  public GradCheck skipKinks(boolean skip) {
    this.skipKinks = skip;
    return this;
  }

  /** The finite-difference step (default 5e-3, a balance of float rounding and curvature). */
  public GradCheck epsilon(double eps) {
    if (!(eps > 0)) {
      throw new IllegalArgumentException("epsilon: " + eps + " (expected: > 0)");
    }
    this.epsilon = eps;
    return this;
  }

  /** How many elements of each tensor to check, sampled when the tensor is larger (default 200). */
  public GradCheck maxChecksPerTensor(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("maxChecksPerTensor: " + n + " (expected: >= 1)");
    }
    this.maxChecksPerTensor = n;
    return this;
  }

  /** Seed of the upstream gradient and of the sampled elements (default 42). */
  public GradCheck seed(long seed) {
    this.seed = seed;
    return this;
  }

  /** Forward mode used for every evaluation (default: training). */
  public GradCheck training(boolean training) {
    this.training = training;
    return this;
  }

  /** Runs the check on input {@code x} (not modified). */
  public Report check(Tensor x) {
    Tensor input = x.copy();
    Tensor y = layer.forward(input, training);
    Tensor g = Tensor.uniform(y.shape(), -1f, 1f, seed);
    layer.zeroGrad();
    Tensor gx = layer.backward(g).copy();
    List<String> names = new ArrayList<>();
    List<Tensor> values = new ArrayList<>();
    List<Tensor> grads = new ArrayList<>();
    names.add("input");
    values.add(input);
    grads.add(gx);
    for (Parameter p : layer.parameters()) {
      names.add(p.name());
      values.add(p.value());
      grads.add(p.grad().copy());
    }
    Supplier<Tensor> forward = () -> layer.forward(input, training);
    return compare(names, values, grads, forward, g);
  }

  /**
   * Checks an arbitrary function of several tensors: {@code forward} recomputes the output from
   * the current contents of {@code inputs} (which are perturbed in place and restored), and
   * {@code backward} maps the upstream gradient to one gradient per input, in order.
   */
  public static Report checkFunction(List<String> names, List<Tensor> inputs,
      Supplier<Tensor> forward, Function<Tensor, List<Tensor>> backward,
      double epsilon, int maxChecksPerTensor, long seed) {
    Tensor y = forward.get();
    Tensor g = Tensor.uniform(y.shape(), -1f, 1f, seed);
    List<Tensor> grads = new ArrayList<>();
    for (Tensor t : backward.apply(g)) {
      grads.add(t.copy());
    }
    GradCheck settings = new GradCheck(null);
    settings.skipKinks = false;
    settings.epsilon = epsilon;
    settings.maxChecksPerTensor = maxChecksPerTensor;
    settings.seed = seed;
    return settings.compare(names, inputs, grads, forward, g);
  }

  private Report compare(List<String> names, List<Tensor> values, List<Tensor> grads,
      Supplier<Tensor> forward, Tensor g) {
    if (values.size() != grads.size()) {
      throw new IllegalArgumentException(
          "backward returned " + grads.size() + " gradients (expected: " + values.size() + ")");
    }
    SplittableRandom r = new SplittableRandom(seed ^ 0x9E3779B97F4A7C15L);
    double base = loss(forward.get(), g);
    int tensors = values.size();
    double[][] analytic = new double[tensors][];
    double[][] numeric = new double[tensors][];
    double[][] curvature = new double[tensors][];
    double globalScale = 0;
    for (int t = 0; t < tensors; t++) {
      Tensor v = values.get(t);
      Tensor grad = grads.get(t);
      if (!v.isContiguous()) {
        throw new IllegalArgumentException("GradCheck needs contiguous tensors: " + names.get(t));
      }
      if (!grad.shape().equals(v.shape())) {
        throw new IllegalArgumentException("Gradient of '" + names.get(t) + "' has shape "
            + grad.shape() + " (expected: " + v.shape() + ")");
      }
      float[] data = v.data();
      int n = v.size();
      int checks = Math.min(n, maxChecksPerTensor);
      analytic[t] = new double[checks];
      numeric[t] = new double[checks];
      curvature[t] = new double[checks];
      for (int c = 0; c < checks; c++) {
        int i = checks == n ? c : r.nextInt(n);
        int at = v.offset() + i;
        float orig = data[at];
        float plus = (float) (orig + epsilon);
        float minus = (float) (orig - epsilon);
        data[at] = plus;
        double lp = loss(forward.get(), g);
        data[at] = minus;
        double lm = loss(forward.get(), g);
        data[at] = orig;
        analytic[t][c] = grad.getFlat(i);
        numeric[t][c] = (lp - lm) / ((double) plus - minus);
        // One-sided slopes differ by about f''*eps where the function is smooth, and by a jump
        // where [v - eps, v + eps] straddles a kink (ReLU at 0, a MAX tie).
        curvature[t][c] = Math.abs((lp - base) / ((double) plus - orig) - (base - lm) / ((double) orig - minus));
        globalScale = Math.max(globalScale, Math.max(Math.abs(analytic[t][c]), Math.abs(numeric[t][c])));
      }
    }
    forward.get(); // leave the function in the state of the unperturbed inputs
    List<Entry> entries = new ArrayList<>();
    for (int t = 0; t < tensors; t++) {
      double scale = 0;
      for (int c = 0; c < analytic[t].length; c++) {
        scale = Math.max(scale, Math.max(Math.abs(analytic[t][c]), Math.abs(numeric[t][c])));
      }
      // A tensor whose gradient is (nearly) zero is judged against 1% of the largest gradient of
      // the whole check: finite differences in float cannot resolve less than that.
      double floor = Math.max(Math.max(scale, 1e-2 * globalScale), 1e-12);
      double maxAbs = 0;
      int skipped = 0;
      for (int c = 0; c < analytic[t].length; c++) {
        double err = Math.abs(analytic[t][c] - numeric[t][c]);
        // Across a kink at distance d < eps the central difference misses the one-sided slope by
        // half the jump, while the one-sided slopes differ by the whole jump: an error that the
        // curvature explains is the step's fault, not the gradient's. A wrong gradient at a
        // smooth point has an error far above its curvature and is never skipped.
        if (skipKinks && err > KINK_FLOOR * floor && curvature[t][c] >= err) {
          skipped++;
          continue;
        }
        maxAbs = Math.max(maxAbs, err);
      }
      entries.add(new Entry(names.get(t), analytic[t].length, skipped, maxAbs, maxAbs / floor));
    }
    return new Report(entries);
  }

  private static double loss(Tensor y, Tensor g) {
    double s = 0;
    for (int i = 0, n = y.size(); i < n; i++) {
      s += (double) y.getFlat(i) * g.getFlat(i);
    }
    return s;
  }

  /**
   * The result for one tensor: elements checked, elements skipped as kinks, the worst absolute
   * error and that error relative to the tensor's largest gradient magnitude (at least 1% of the
   * largest magnitude over all tensors of the check).
   */
  public record Entry(String name, int checked, int skippedKinks, double maxAbsError, double maxRelError) {}

  /** The results per tensor, input first, then parameters in {@link Layer#parameters()} order. */
  public static final class Report {
    private final List<Entry> entries;

    Report(List<Entry> entries) {
      this.entries = List.copyOf(entries);
    }

    /** One entry per checked tensor. */
    public List<Entry> entries() {
      return entries;
    }

    /** The worst relative error over all tensors. */
    public double worstRelativeError() {
      double w = 0;
      for (Entry e : entries) {
        w = Math.max(w, e.maxRelError());
      }
      return w;
    }

    /**
     * True when every tensor's relative error is at most {@code tolerance} and at most half of
     * each tensor's checked elements were skipped as kinks (a check that skips most elements
     * proves nothing).
     */
    public boolean passed(double tolerance) {
      for (Entry e : entries) {
        if (2 * e.skippedKinks() > e.checked()) {
          return false;
        }
      }
      return worstRelativeError() <= tolerance;
    }

    /** A table: tensor, elements checked, elements skipped as kinks, worst absolute and relative error. */
    @Override
    public String toString() {
      StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-28s %8s %6s %12s %12s%n",
          "tensor", "checked", "kinks", "max abs err", "max rel err"));
      for (Entry e : entries) {
        sb.append(String.format(Locale.ROOT, "%-28s %8d %6d %12.3e %12.3e%n",
            e.name(), e.checked(), e.skippedKinks(), e.maxAbsError(), e.maxRelError()));
      }
      return sb.toString();
    }
  }
}

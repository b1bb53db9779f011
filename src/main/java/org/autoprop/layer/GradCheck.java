package org.autoprop.layer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.function.Supplier;
import org.autoprop.tensor.Tensor;

/**
 * Checks analytic gradients against central finite differences and gives a verdict.
 *
 * <p>The scalar under test is {@code L = sum(y * g)} for a fixed random {@code g} (uniform in
 * [-1, 1)), summed in double precision, so the upstream gradient is exactly {@code g}. Each
 * checked element {@code v} of the input and of every parameter is moved by
 * {@code h = epsilon * max(1, |v|)} both ways (rounded to float; the actual steps are used) and
 * the numeric slope {@code (L(v+) - L(v-)) / (v+ - v-)} is compared with the analytic gradient:
 *
 * <pre>{@code |numeric - analytic| <= atol + tolerance * max(|numeric|, |analytic|)}</pre>
 *
 * <p>{@code atol} is the rounding noise of the numeric slope, measured per tensor: a float32
 * forward pass rounds every intermediate value, so {@code L} jitters by an amount no formula of
 * the output alone predicts (it grows with depth and with BatchNorm, which spreads one input over
 * every output). The check evaluates {@code L} a second time a thousandth of a step away from
 * {@code v+}, where the true change is known from the slope, and takes {@value #NOISE_SIGMAS}
 * times the spread of what is left.
 *
 * <p>Kinks (ReLU at 0, ties of MAX, pooling) make finite differences wrong, not the gradient.
 * An element whose error exceeds the tolerance is skipped, and counted as skipped, when the loss
 * is visibly non-smooth within its step and that explains the error: the one-sided slopes over
 * {@code [v-h, v]} and {@code [v, v+h]} disagree, or the central difference with half the step
 * disagrees, by more than the tolerance and by at least half the error. A wrong gradient at a
 * smooth point has consistent finite differences and fails. A tensor with more than half of its
 * checked elements skipped fails too: such a check proves nothing.
 *
 * <pre>{@code
 * GradCheck.Report r = GradCheck.forLayer(new Conv2D(3, 6, 3)).check(x);
 * System.out.println(r);              // a table and "PASS ..." or "FAIL ..." with the tolerance
 * assertTrue(r.passed(), r::toString);
 * }</pre>
 *
 * <p>Layers with randomness in training mode (Dropout) must be checked in evaluation mode.
 */
public final class GradCheck {
  /** The default relative tolerance. */
  public static final double DEFAULT_TOLERANCE = 1e-2;
  /** The default relative step. */
  public static final double DEFAULT_EPSILON = 1e-3;
  /** Multiple of the measured noise (standard deviation) of the numeric slope allowed as absolute error. */
  public static final double NOISE_SIGMAS = 6;
  /** Noise samples per tensor (two extra forwards each). */
  private static final int NOISE_SAMPLES = 24;
  /** At most this many noise samples per checked element (small tensors). */
  private static final int NOISE_ROUNDS = 3;
  /** The noise probes' steps are h * (1 + k * NOISE_PROBE), k = 1, 2, 3. */
  private static final double NOISE_PROBE = 1.0 / 16;
  /** Steps tried: h, h / 2, h / 4. */
  private static final int STEPS = 3;
  /**
   * Elements with an error above {@code atol + PRECHECK * scale} get the smaller steps, so that a
   * verdict at any tolerance down to this one can tell kinks apart.
   */
  private static final double PRECHECK = 1e-3;

  private final Layer layer;
  private double epsilon = DEFAULT_EPSILON;
  private double tolerance = DEFAULT_TOLERANCE;
  private boolean skipKinks = true;
  private int maxChecksPerTensor = 200;
  private long seed = 42;
  private boolean training = true;
  private boolean checkInput = true;

  private GradCheck(Layer layer) {
    this.layer = layer;
  }

  /**
   * A check of {@code layer}'s input and parameter gradients.
   *
   * @param layer the layer (or graph) to check
   * @return a check with default settings
   */
  public static GradCheck forLayer(Layer layer) {
    return new GradCheck(Objects.requireNonNull(layer, "layer"));
  }

  /**
   * Whether to leave out elements whose error is explained by a kink within the step (default:
   * true); see the class comment. Skipped elements are counted in the report.
   *
   * @param skip true to skip elements at kinks
   * @return this
   */
  public GradCheck skipKinks(boolean skip) {
    this.skipKinks = skip;
    return this;
  }

  /**
   * The relative finite-difference step: an element {@code v} moves by
   * {@code epsilon * max(1, |v|)} (default 1e-3; larger steps meet more kinks, smaller ones more
   * float rounding).
   *
   * @param eps the relative step, in (0, 0.5]
   * @return this
   */
  public GradCheck epsilon(double eps) {
    if (!(eps > 0 && eps <= 0.5)) {
      throw new IllegalArgumentException("epsilon: " + eps + " (expected: > 0 and <= 0.5)");
    }
    this.epsilon = eps;
    return this;
  }

  /**
   * The relative tolerance of the verdict {@link Report#passed()} (default 1e-2); the absolute
   * part is the measured noise.
   *
   * @param rtol the relative tolerance, in [0, 1)
   * @return this
   */
  public GradCheck tolerance(double rtol) {
    if (!(rtol >= 0 && rtol < 1)) {
      throw new IllegalArgumentException("tolerance: " + rtol + " (expected: >= 0 and < 1)");
    }
    this.tolerance = rtol;
    return this;
  }

  /**
   * How many elements of each tensor to check, sampled without repetition when the tensor is
   * larger (default 200).
   *
   * @param n the number of elements, at least 1
   * @return this
   */
  public GradCheck maxChecksPerTensor(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("maxChecksPerTensor: " + n + " (expected: >= 1)");
    }
    this.maxChecksPerTensor = n;
    return this;
  }

  /**
   * Seed of the upstream gradient and of the sampled elements (default 42).
   *
   * @param seed the seed
   * @return this
   */
  public GradCheck seed(long seed) {
    this.seed = seed;
    return this;
  }

  /**
   * Forward mode used for every evaluation (default: training).
   *
   * @param training true for training mode
   * @return this
   */
  public GradCheck training(boolean training) {
    this.training = training;
    return this;
  }

  /**
   * Whether to check the input gradient (default true). Turn it off for a layer whose input is not
   * differentiable, such as {@link Embedding}'s token ids: finite differences cannot move an id
   * (a moved id is no longer an integer), and the report then holds the parameters alone.
   *
   * @param check false to leave the input out
   * @return this
   */
  public GradCheck checkInput(boolean check) {
    this.checkInput = check;
    return this;
  }

  /**
   * Runs the check on input {@code x} (not modified).
   *
   * @param x the input
   * @return the report, with the verdict at this check's tolerance
   */
  public Report check(Tensor x) {
    Objects.requireNonNull(x, "x");
    Tensor input = x.copy();
    Tensor y = layer.forward(input, training);
    Tensor g = Tensor.uniform(y.shape(), -1f, 1f, seed);
    layer.zeroGrad();
    Tensor gx = layer.backward(g).copy();
    List<String> names = new ArrayList<>();
    List<Tensor> values = new ArrayList<>();
    List<Tensor> grads = new ArrayList<>();
    if (checkInput) {
      names.add("input");
      values.add(input);
      grads.add(gx);
    }
    for (Parameter p : layer.parameters()) {
      names.add(p.name());
      values.add(p.value());
      grads.add(p.grad().copy());
    }
    Supplier<Tensor> forward = () -> layer.forward(input, training);
    return compare(names, values, grads, forward, g);
  }

  /**
   * Checks an arbitrary function of several tensors, without skipping kinks: {@code forward}
   * recomputes the output from the current contents of {@code inputs} (which are perturbed in
   * place and restored), and {@code backward} maps the upstream gradient to one gradient per
   * input, in order. The verdict uses the default tolerance.
   *
   * @param names one name per input, for the report
   * @param inputs the inputs, contiguous
   * @param forward recomputes the output
   * @param backward the gradients of the inputs for an upstream gradient
   * @param epsilon the relative step (see {@link #epsilon(double)})
   * @param maxChecksPerTensor elements checked per input
   * @param seed seed of the upstream gradient and the sampled elements
   * @return the report
   */
  public static Report checkFunction(List<String> names, List<Tensor> inputs,
      Supplier<Tensor> forward, Function<Tensor, List<Tensor>> backward,
      double epsilon, int maxChecksPerTensor, long seed) {
    Objects.requireNonNull(names, "names");
    Objects.requireNonNull(inputs, "inputs");
    Objects.requireNonNull(forward, "forward");
    Objects.requireNonNull(backward, "backward");
    if (names.size() != inputs.size()) {
      throw new IllegalArgumentException("names: " + names.size() + " (expected: one per input, " + inputs.size() + ")");
    }
    GradCheck settings = new GradCheck(null).epsilon(epsilon).maxChecksPerTensor(maxChecksPerTensor).seed(seed);
    settings.skipKinks = false;
    Tensor y = forward.get();
    Tensor g = Tensor.uniform(y.shape(), -1f, 1f, seed);
    List<Tensor> grads = new ArrayList<>();
    for (Tensor t : backward.apply(g)) {
      grads.add(t.copy());
    }
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
    List<TensorResult> results = new ArrayList<>();
    for (int t = 0; t < values.size(); t++) {
      Tensor v = values.get(t);
      Tensor grad = grads.get(t);
      String name = names.get(t);
      if (!v.isContiguous()) {
        throw new IllegalArgumentException("GradCheck needs contiguous tensors: " + name);
      }
      if (!grad.shape().equals(v.shape())) {
        throw new IllegalArgumentException("Gradient of '" + name + "' has shape "
            + grad.shape() + " (expected: " + v.shape() + ")");
      }
      int[] index = sample(v.size(), maxChecksPerTensor, r);
      int checks = index.length;
      double[] ana = new double[checks];
      double[][] central = new double[STEPS][checks];
      double[][] oneSided = new double[STEPS][checks];
      for (double[] row : central) {
        Arrays.fill(row, Double.NaN);
      }
      float[] data = v.data();
      for (int c = 0; c < checks; c++) {
        int at = v.offset() + index[c];
        ana[c] = grad.getFlat(index[c]);
        double[] s = slopes(data, at, epsilon * Math.max(1, Math.abs(data[at])), base, forward, g);
        central[0][c] = s[0];
        oneSided[0][c] = s[1];
      }
      double[] atol = new double[STEPS];
      double[] sidedNoise = new double[STEPS];
      double[] sigma0 = noiseSigma(data, v.offset(), index, central[0], oneSided[0], 0, base, forward, g);
      atol[0] = NOISE_SIGMAS * sigma0[0];
      sidedNoise[0] = NOISE_SIGMAS * sigma0[1];
      boolean smaller = false;
      for (int c = 0; c < checks; c++) {
        double scale = Math.max(Math.abs(central[0][c]), Math.abs(ana[c]));
        double err = Math.abs(central[0][c] - ana[c]);
        if (err > atol[0] + PRECHECK * scale || oneSided[0][c] > atol[0] + sidedNoise[0] + tolerance * scale) {
          // Smaller steps for an element that fails or straddles a kink: kinks further than the
          // step no longer matter, and the loss's shape across steps tells a kink from a bug.
          smaller = true;
          int at = v.offset() + index[c];
          // L(v) again, next to the evaluations it is compared with: the JIT may compile the
          // forward pass between two evaluations, and compiled code may round differently.
          double here = loss(forward.get(), g);
          for (int k = 1; k < STEPS; k++) {
            double[] s = slopes(data, at, epsilon * Math.max(1, Math.abs(data[at])) / (1 << k), here, forward, g);
            central[k][c] = s[0];
            oneSided[k][c] = s[1];
          }
        }
      }
      for (int k = 1; k < STEPS; k++) {
        // The noise grows at least as 1 / h; measured too, for it can grow faster (float
        // rounding that a small move of the inputs does not change is a fixed error).
        atol[k] = (1 << k) * atol[0];
        sidedNoise[k] = (1 << k) * sidedNoise[0];
        if (smaller) {
          double[] sigma = noiseSigma(data, v.offset(), index, null, null, k, Double.NaN, forward, g);
          atol[k] = Math.max(atol[k], NOISE_SIGMAS * sigma[0]);
          sidedNoise[k] = Math.max(sidedNoise[k], NOISE_SIGMAS * sigma[1]);
        }
      }
      results.add(new TensorResult(name, index, ana, central, oneSided, atol, sidedNoise));
    }
    forward.get(); // leave the function in the state of the unperturbed inputs
    return new Report(results, tolerance, skipKinks, epsilon);
  }

  /**
   * The central slope over {@code [v - h, v + h]} and the disagreement of the one-sided slopes
   * (where the loss is smooth they differ by f''h; across a kink at distance d by the jump times
   * (h - d) / h, twice the central slope's error). Restores the element.
   */
  private static double[] slopes(float[] data, int at, double h, double base, Supplier<Tensor> forward, Tensor g) {
    float orig = data[at];
    float plus = (float) (orig + h);
    float minus = (float) (orig - h);
    data[at] = plus;
    double lp = loss(forward.get(), g);
    data[at] = minus;
    double lm = loss(forward.get(), g);
    data[at] = orig;
    double central = (lp - lm) / ((double) plus - minus);
    double oneSided = Math.abs((lp - base) / ((double) plus - orig) - (base - lm) / ((double) orig - minus));
    return new double[] {central, oneSided};
  }

  /**
   * The standard deviation of the noise of the central slope at step {@code h / 2^k}, from
   * {@code |c(r h) - c(h)|} samples (r from 1.06 to 1.19) spread over the checked elements (each
   * several times in small tensors): the same central difference over a slightly longer step has
   * the same truncation error to O(h^2), every intermediate value rounds differently, and a kink
   * within the step moves it by a few percent of its jump at most. The estimate is the samples'
   * upper quartile (the noise differs from element to element) over the expected quantile of a
   * half-normal at that rank, over the spread of the difference of two estimates, about
   * sqrt(1 + 1 / r^2) = 1.35 standard deviations. For k = 0 {@code centralK} and {@code oneSidedK}
   * hold the slopes of every checked element; for k above 0 they are measured here (null).
   */
  private double[] noiseSigma(float[] data, int offset, int[] index, double[] centralK, double[] oneSidedK, int k,
      double base, Supplier<Tensor> forward, Tensor g) {
    int checks = index.length;
    int n = Math.min(NOISE_SAMPLES, NOISE_ROUNDS * checks);
    if (k > 0) {
      n = Math.min(n, Math.min(checks, NOISE_SAMPLES));
    }
    double[] samples = new double[n];
    double[] sided = new double[n];
    if (k > 0) {
      centralK = new double[n];
      oneSidedK = new double[n];
    }
    int stride = Math.max(1, checks / NOISE_SAMPLES);
    for (int j = 0; j < n; j++) {
      int c = k == 0 ? (j * Math.max(1, checks / n)) % checks : j;
      int at = offset + index[k == 0 ? c : c * stride];
      double h = epsilon * Math.max(1, Math.abs(data[at])) / (1 << k);
      double probe = 1 + (1 + (k == 0 ? (j * Math.max(1, checks / n)) / checks : 0)) * NOISE_PROBE;
      double[] sl;
      if (k == 0) {
        sl = slopes(data, at, probe * h, base, forward, g);
      } else {
        // Both steps with a fresh L(v), as for the elements judged at smaller steps.
        double here = loss(forward.get(), g);
        double[] first = slopes(data, at, h, here, forward, g);
        centralK[c] = first[0];
        oneSidedK[c] = first[1];
        sl = slopes(data, at, probe * h, here, forward, g);
      }
      samples[j] = Math.abs(sl[0] - centralK[c]);
      sided[j] = Math.abs(sl[1] - oneSidedK[c]);
    }
    return new double[] {quartileSigma(samples), quartileSigma(sided)};
  }

  /** The upper quartile of |differences of two noisy estimates| as the standard deviation of one. */
  private static double quartileSigma(double[] samples) {
    int n = samples.length;
    if (n == 0) {
      return 0;
    }
    double[] sorted = samples.clone();
    Arrays.sort(sorted);
    int rank = 3 * (n - 1) / 4;
    return sorted[rank] / halfNormalQuantile((rank + 0.5) / n) / 1.35;
  }

  /** The q with P(|Z| <= q) = p for a standard normal Z, by bisection on erf. */
  static double halfNormalQuantile(double p) {
    double lo = 0;
    double hi = 10;
    for (int i = 0; i < 60; i++) {
      double mid = 0.5 * (lo + hi);
      if (erf(mid / Math.sqrt(2)) < p) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    return 0.5 * (lo + hi);
  }

  /** erf(x) for x >= 0, Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7). */
  private static double erf(double x) {
    double t = 1 / (1 + 0.3275911 * x);
    double poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
    return 1 - poly * Math.exp(-x * x);
  }

  /** {@code k = min(n, max)} distinct indices in [0, n), in random order (all of them in order when k = n). */
  private static int[] sample(int n, int max, SplittableRandom r) {
    if (n <= max) {
      int[] all = new int[n];
      for (int i = 0; i < n; i++) {
        all[i] = i;
      }
      return all;
    }
    int[] perm = new int[n];
    for (int i = 0; i < n; i++) {
      perm[i] = i;
    }
    for (int i = 0; i < max; i++) {
      int j = i + r.nextInt(n - i);
      int tmp = perm[i];
      perm[i] = perm[j];
      perm[j] = tmp;
    }
    return Arrays.copyOf(perm, max);
  }

  private static double loss(Tensor y, Tensor g) {
    double s = 0;
    for (int i = 0, n = y.size(); i < n; i++) {
      s += (double) y.getFlat(i) * g.getFlat(i);
    }
    return s;
  }

  /** The raw finite differences of one tensor: per step (h, h / 2, h / 4; NaN where not evaluated) and element. */
  private record TensorResult(String name, int[] index, double[] analytic, double[][] central,
      double[][] oneSided, double[] atols, double[] sidedNoise) {

    /** Absolute tolerance at step {@code h / 2^k}: the noise grows as the step shrinks. */
    double atol(int k) {
      return atols[k];
    }

    double tolerance(int k, int c, double rtol) {
      return atol(k) + rtol * Math.max(Math.abs(central[k][c]), Math.abs(analytic[c]));
    }

    /**
     * The element's outcome at relative tolerance {@code rtol}: it passes at the step where the
     * analytic gradient is closest relative to that step's tolerance; otherwise it is a kink when
     * the loss is not smooth at the steps tried (the one-sided slopes at the smallest step
     * disagree by more than twice the tolerance and about as much as at the step before, or the
     * central slopes of two steps by more than half the smaller step's absolute tolerance plus
     * the relative one), else a failure.
     */
    Element judge(int c, double rtol, boolean skipKinks) {
      int best = 0;
      double bestRatio = Double.POSITIVE_INFINITY;
      int last = 0;
      boolean rough = false;
      for (int k = 0; k < STEPS && !Double.isNaN(central[k][c]); k++) {
        double tol = tolerance(k, c, rtol);
        double ratio = ratio(Math.abs(central[k][c] - analytic[c]), tol);
        if (ratio < bestRatio) {
          best = k;
          bestRatio = ratio;
        }
        for (int j = 0; j < k; j++) {
          // The central slope of a smooth loss hardly depends on the step (O(h^2)); a drift of
          // half the noise allowance at the smaller step (3 of its sigmas) is a kink's mark.
          if (Math.abs(central[k][c] - central[j][c]) > 0.5 * atol(k) + rtol * Math.abs(analytic[c])) {
            rough = true;
          }
        }
        last = k;
      }
      // One-sided slopes of a smooth loss disagree by f''h, halving with the step; at a kink right
      // at v they disagree by the jump J whatever the step, and the central slope is J / 2 off: a
      // kink that could fail the element has J above twice the tolerance.
      // The one-sided slopes involve L(v) and have their own noise, measured like the central one's.
      rough |= last > 0 && oneSided[last][c] > 2 * tolerance(last, c, rtol) + sidedNoise[last]
          && oneSided[last][c] > 0.75 * oneSided[last - 1][c];
      Status status = skipKinks && rough ? Status.KINK : bestRatio <= 1 ? Status.PASS : Status.FAIL;
      return new Element(name, index[c], central[best][c], analytic[c], tolerance(best, c, rtol), best, status);
    }
  }

  private static double ratio(double err, double tol) {
    return tol > 0 ? err / tol : err == 0 ? 0 : Double.POSITIVE_INFINITY;
  }

  /** An element's outcome. */
  public enum Status {
    /** Within its tolerance at one of the steps. */
    PASS,
    /** Beyond its tolerance at every step while the loss is smooth there: a wrong gradient. */
    FAIL,
    /** Beyond its tolerance where the loss has a kink within the steps: not judged. */
    KINK
  }

  /**
   * One checked element: where it is, the numeric slope at the step that judged it, the analytic
   * gradient, the element's tolerance {@code atol * 2^halvings + rtol * max(|numeric|, |analytic|)}
   * and the outcome.
   *
   * @param tensor the tensor's name ("input" or a parameter name)
   * @param index the flat index in the tensor
   * @param numeric the central finite difference
   * @param analytic the gradient from backward
   * @param tolerance the largest error allowed for this element at that step
   * @param halvings the step used: {@code epsilon * max(1, |v|) / 2^halvings}
   * @param status the outcome
   */
  public record Element(String tensor, int index, double numeric, double analytic, double tolerance,
      int halvings, Status status) {
    /**
     * The error {@code |numeric - analytic|}.
     *
     * @return the error
     */
    public double error() {
      return Math.abs(numeric - analytic);
    }

    /**
     * The error as a fraction of the tolerance: at most 1 passes.
     *
     * @return the ratio
     */
    public double ratio() {
      return GradCheck.ratio(error(), tolerance);
    }

    @Override
    public String toString() {
      return String.format(Locale.ROOT, "%s[%d]: numeric %.6e, analytic %.6e, error %.3e = %.2f of its tolerance %.3e%s",
          tensor, index, numeric, analytic, error(), ratio(), tolerance,
          halvings == 0 ? "" : " (step / " + (1 << halvings) + ")");
    }
  }

  /**
   * The result for one tensor at the report's tolerance: elements checked, elements skipped as
   * kinks, elements failed, the absolute tolerance at the full step (measured noise), the worst
   * absolute error, the worst error relative to {@code max(|numeric|, |analytic|)} beyond the
   * absolute tolerance, and the worst error as a fraction of the element's tolerance (skipped
   * elements left out).
   *
   * @param name the tensor's name
   * @param checked elements checked, skipped ones included
   * @param skippedKinks elements skipped as kinks
   * @param failed elements beyond their tolerance at a smooth point
   * @param atol the absolute tolerance at the full step: {@value #NOISE_SIGMAS} times the measured noise of the slope
   * @param maxAbsError the worst {@code |numeric - analytic|}
   * @param maxRelError the worst {@code (|numeric - analytic| - atol) / max(|numeric|, |analytic|)}, at least 0
   * @param worstRatio the worst error over tolerance; at most 1 passes
   */
  public record Entry(String name, int checked, int skippedKinks, int failed, double atol, double maxAbsError,
      double maxRelError, double worstRatio) {
    /**
     * Whether this tensor passes: nothing failed and not every element was skipped.
     *
     * @return true when the tensor passes
     */
    public boolean passed() {
      return failed == 0 && skippedKinks < checked;
    }
  }

  /**
   * The results per tensor, input first (unless left out, {@link GradCheck#checkInput}), then
   * parameters in {@link Layer#parameters()} order, and the verdict.
   */
  public static final class Report {
    private final List<TensorResult> results;
    private final double tolerance;
    private final boolean skipKinks;
    private final double epsilon;
    private final List<Entry> entries;

    Report(List<TensorResult> results, double tolerance, boolean skipKinks, double epsilon) {
      this.results = List.copyOf(results);
      this.tolerance = tolerance;
      this.skipKinks = skipKinks;
      this.epsilon = epsilon;
      this.entries = entries(tolerance);
    }

    private List<Entry> entries(double rtol) {
      List<Entry> list = new ArrayList<>();
      for (TensorResult t : results) {
        int skipped = 0;
        int failed = 0;
        double maxAbs = 0;
        double maxRel = 0;
        double worst = 0;
        for (int c = 0; c < t.index().length; c++) {
          Element e = t.judge(c, rtol, skipKinks);
          if (e.status() == Status.KINK) {
            skipped++;
            continue;
          }
          if (e.status() == Status.FAIL) {
            failed++;
          }
          double err = e.error();
          maxAbs = Math.max(maxAbs, err);
          double excess = err - t.atol(e.halvings());
          if (excess > 0) {
            double scale = Math.max(Math.abs(e.numeric()), Math.abs(e.analytic()));
            maxRel = Math.max(maxRel, scale > 0 ? excess / scale : Double.POSITIVE_INFINITY);
          }
          worst = Math.max(worst, e.ratio());
        }
        list.add(new Entry(t.name(), t.index().length, skipped, failed, t.atol(0), maxAbs, maxRel, worst));
      }
      return List.copyOf(list);
    }

    /**
     * One entry per checked tensor, at the report's tolerance.
     *
     * @return the entries
     */
    public List<Entry> entries() {
      return entries;
    }

    /**
     * The relative tolerance of the verdict.
     *
     * @return the relative tolerance
     */
    public double tolerance() {
      return tolerance;
    }

    /**
     * The relative step used.
     *
     * @return epsilon
     */
    public double epsilon() {
      return epsilon;
    }

    /**
     * Elements checked over all tensors, skipped ones included.
     *
     * @return the count
     */
    public int checked() {
      return entries.stream().mapToInt(Entry::checked).sum();
    }

    /**
     * Elements skipped as kinks over all tensors.
     *
     * @return the count
     */
    public int skipped() {
      return entries.stream().mapToInt(Entry::skippedKinks).sum();
    }

    /**
     * The verdict at the report's tolerance: every tensor passes ({@link Entry#passed()}) and at
     * most half of all elements were skipped (a check that skips most elements proves little).
     *
     * @return true when the gradients pass
     */
    public boolean passed() {
      return passed(entries);
    }

    private static boolean passed(List<Entry> list) {
      int checked = 0;
      int skipped = 0;
      for (Entry e : list) {
        if (!e.passed()) {
          return false;
        }
        checked += e.checked();
        skipped += e.skippedKinks();
      }
      return 2 * skipped <= checked;
    }

    /**
     * The verdict at relative tolerance {@code rtol} instead of the report's (the absolute
     * tolerance stays the measured noise). Elements that passed the report's own check at the
     * full step were not tried at smaller steps.
     *
     * @param rtol the relative tolerance
     * @return true when the gradients pass at {@code rtol}
     */
    public boolean passed(double rtol) {
      return passed(rtol == tolerance ? entries : entries(rtol));
    }

    /**
     * The worst relative error over all tensors: beyond the absolute tolerance, relative to
     * {@code max(|numeric|, |analytic|)}, skipped elements left out.
     *
     * @return the worst relative error
     */
    public double worstRelativeError() {
      double w = 0;
      for (Entry e : entries) {
        w = Math.max(w, e.maxRelError());
      }
      return w;
    }

    /**
     * The element with the largest error relative to its tolerance (skipped elements left out),
     * or null when every element was skipped.
     *
     * @return the worst element
     */
    public Element worst() {
      Element worst = null;
      for (TensorResult t : results) {
        for (int c = 0; c < t.index().length; c++) {
          Element e = t.judge(c, tolerance, skipKinks);
          if (e.status() != Status.KINK && (worst == null || e.ratio() > worst.ratio())) {
            worst = e;
          }
        }
      }
      return worst;
    }

    /**
     * The tensors that fail: an element beyond its tolerance, or every element skipped.
     *
     * @return their names, in report order
     */
    public List<String> failedTensors() {
      return entries.stream().filter(e -> !e.passed()).map(Entry::name).toList();
    }

    /**
     * One line: PASS or FAIL, the tolerance used, the counts and the worst element.
     *
     * @return the verdict line
     */
    public String verdict() {
      StringBuilder sb = new StringBuilder(passed() ? "PASS" : "FAIL");
      sb.append(String.format(Locale.ROOT, ": |numeric - analytic| <= atol + %.1e * max(|numeric|, |analytic|)"
          + " (atol: measured noise), step %.1e * max(1, |v|); %d elements checked, %d skipped at kinks",
          tolerance, epsilon, checked(), skipped()));
      List<String> failed = failedTensors();
      if (!failed.isEmpty()) {
        sb.append("; failed: ").append(String.join(", ", failed));
      }
      if (2 * skipped() > checked()) {
        sb.append("; more than half skipped: move the input or parameters away from kinks or use a smaller epsilon");
      }
      Element w = worst();
      if (w != null) {
        sb.append("; worst ").append(w);
      }
      return sb.toString();
    }

    /** A table (tensor, elements checked, skipped as kinks, failed, atol, worst errors) and the verdict line. */
    @Override
    public String toString() {
      StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-28s %7s %6s %6s %9s %11s %11s %8s%n",
          "tensor", "checked", "kinks", "failed", "atol", "max abs err", "max rel err", "err/tol"));
      for (Entry e : entries) {
        sb.append(String.format(Locale.ROOT, "%-28s %7d %6d %6d %9.2e %11.3e %11.3e %8.3f%n",
            e.name(), e.checked(), e.skippedKinks(), e.failed(), e.atol(), e.maxAbsError(), e.maxRelError(), e.worstRatio()));
      }
      return sb.append(verdict()).append(System.lineSeparator()).toString();
    }
  }
}

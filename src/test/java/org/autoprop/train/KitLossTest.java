package org.autoprop.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.autoprop.io.SafeTensors;
import org.autoprop.layer.GradCheck;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.testing.Conformance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The losses of issue 14 (hinge embedding, multi-margin, Huber, smooth L1, KL divergence, BCE,
 * sigmoid focal, cosine embedding): PyTorch vectors for every reduction and setting, finite
 * differences over random shapes, the errors.
 *
 * <p>Tolerance of the PyTorch comparison: 1e-5 relative (to the value, and to the largest
 * magnitude of each gradient). Both sides start from the same float32 inputs; PyTorch computes in
 * float64 and the losses in double precision, so the only differences are the float32 rounding
 * of the stored results (6e-8 relative) and the order or form of a few operations (log1p against
 * log, sums in another order), orders of magnitude below 1e-5; 1e-5 is tight enough to catch a
 * wrong constant (PyTorch's 1e-12 or -100 clamps, a divisor off by one element).
 */
class KitLossTest {
  private static final double TOLERANCE = 1e-5;
  private static final SafeTensors VECTORS = Conformance.load("kit_losses");

  static Stream<String> cases() {
    return Arrays.stream(VECTORS.metadata().get("cases").split(","));
  }

  private static Map<String, String> settings(String name) {
    Map<String, String> m = new HashMap<>();
    for (String kv : VECTORS.metadata().get(name).split(" ")) {
      int eq = kv.indexOf('=');
      m.put(kv.substring(0, eq), kv.substring(eq + 1));
    }
    return m;
  }

  private static Reduction reduction(String r) {
    return r.equals("batchmean") ? Reduction.MEAN : Reduction.valueOf(r.toUpperCase(Locale.ROOT));
  }

  private static int[] ints(long[] v) {
    return Arrays.stream(v).mapToInt(Math::toIntExact).toArray();
  }

  /** The loss a case describes: its constructor from the case's settings. */
  private static ElementwiseLoss elementwise(Map<String, String> s, Tensor weight) {
    Reduction r = reduction(s.get("reduction"));
    switch (s.get("loss")) {
      case "hinge_embedding":
        return new HingeEmbeddingLoss(Double.parseDouble(s.get("margin")), r);
      case "huber":
        return new HuberLoss(Double.parseDouble(s.get("delta")), r);
      case "smooth_l1":
        return new SmoothL1Loss(Double.parseDouble(s.get("beta")), r);
      case "kl_div":
        boolean log = Boolean.parseBoolean(s.get("log_target"));
        return s.get("reduction").equals("batchmean") ? KlDivLoss.batchMean(log) : new KlDivLoss(r, log);
      case "bce":
        return new BceLoss(r, weight);
      case "focal":
        return new SigmoidFocalLoss(Double.parseDouble(s.get("alpha")), Double.parseDouble(s.get("gamma")), r);
      default:
        throw new IllegalArgumentException(s.get("loss"));
    }
  }

  private static void assertValue(String what, SafeTensors f, String key, double actual) {
    double expected = f.tensor(key).getFlat(0);
    assertEquals(expected, actual, TOLERANCE * Math.max(Math.abs(expected), 1e-6), what + " loss");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void matchesPyTorch(String c) {
    Map<String, String> s = settings(c);
    SafeTensors f = VECTORS;
    boolean none = s.get("reduction").equals("none");
    Tensor weight = f.contains(c + ".weight") ? f.tensor(c + ".weight") : null;
    switch (s.get("loss")) {
      case "multi_margin": {
        MultiMarginLoss loss = new MultiMarginLoss(Integer.parseInt(s.get("p")), Double.parseDouble(s.get("margin")),
            weight, reduction(s.get("reduction")));
        assertValue(c, f, c + ".loss", loss.forward(f.tensor(c + ".x"), ints(f.longs(c + ".target"))));
        Conformance.assertClose(c + " gx", f.tensor(c + ".gx"), loss.backward(), TOLERANCE);
        if (none) {
          Conformance.assertClose(c + " losses", f.tensor(c + ".losses"), loss.losses(), TOLERANCE);
          Conformance.assertClose(c + " gx_up", f.tensor(c + ".gx_up"), loss.backward(f.tensor(c + ".gy")), TOLERANCE);
        }
        break;
      }
      case "cosine_embedding": {
        CosineEmbeddingLoss loss = new CosineEmbeddingLoss(Double.parseDouble(s.get("margin")),
            reduction(s.get("reduction")));
        assertValue(c, f, c + ".loss", loss.forward(f.tensor(c + ".x1"), f.tensor(c + ".x2"), f.tensor(c + ".target")));
        Conformance.assertClose(c + " gx1", f.tensor(c + ".gx1"), loss.backward(0), TOLERANCE);
        Conformance.assertClose(c + " gx2", f.tensor(c + ".gx2"), loss.backward(1), TOLERANCE);
        if (none) {
          Conformance.assertClose(c + " losses", f.tensor(c + ".losses"), loss.losses(), TOLERANCE);
          Tensor gy = f.tensor(c + ".gy");
          Conformance.assertClose(c + " gx1_up", f.tensor(c + ".gx1_up"), loss.backward(gy, 0), TOLERANCE);
          Conformance.assertClose(c + " gx2_up", f.tensor(c + ".gx2_up"), loss.backward(gy, 1), TOLERANCE);
        }
        break;
      }
      default: {
        ElementwiseLoss loss = elementwise(s, weight);
        assertValue(c, f, c + ".loss", loss.forward(f.tensor(c + ".x"), f.tensor(c + ".target")));
        Conformance.assertClose(c + " gx", f.tensor(c + ".gx"), loss.backward(), TOLERANCE);
        if (none) {
          Conformance.assertClose(c + " losses", f.tensor(c + ".losses"), loss.losses(), TOLERANCE);
          Conformance.assertClose(c + " gx_up", f.tensor(c + ".gx_up"), loss.backward(f.tensor(c + ".gy")), TOLERANCE);
        }
      }
    }
  }

  /** Every loss and every reduction has vectors: the file covers what the suite claims. */
  @Test
  void theVectorsCoverEveryLossAndReduction() {
    Map<String, java.util.Set<String>> seen = new HashMap<>();
    cases().forEach(c -> seen.computeIfAbsent(settings(c).get("loss"), k -> new java.util.TreeSet<>())
        .add(settings(c).get("reduction")));
    assertEquals(List.of("bce", "cosine_embedding", "focal", "hinge_embedding", "huber", "kl_div", "multi_margin",
        "smooth_l1"), seen.keySet().stream().sorted().toList());
    seen.forEach((loss, reductions) -> assertTrue(reductions.containsAll(List.of("mean", "sum", "none")),
        loss + " " + reductions));
    assertTrue(seen.get("kl_div").contains("batchmean"));
  }

  // --- finite differences ----------------------------------------------------------------------

  private static Tensor scaled(Tensor t, float s) {
    Tensor out = t.copy();
    for (int i = 0; i < out.size(); i++) {
      out.data()[i] *= s;
    }
    return out;
  }

  private static Tensor times(Tensor t, Tensor g) {
    Tensor out = t.copy();
    for (int i = 0; i < out.size(); i++) {
      out.data()[i] *= g.getFlat(i);
    }
    return out;
  }

  /** Checks backward() against finite differences of forward's value. */
  private static void assertGradient(String name, List<Tensor> inputs, Supplier<Double> forward,
      Supplier<List<Tensor>> backward) {
    Supplier<Tensor> f = () -> Tensor.wrap(new float[] {(float) (double) forward.get()}, 1);
    List<String> names = inputs.size() == 1 ? List.of("input") : List.of("input1", "input2");
    GradCheck.Report r = GradCheck.checkFunction(names, inputs, f,
        g -> backward.get().stream().map(t -> scaled(t, g.getFlat(0))).toList(), 1e-2, 200, 7);
    assertTrue(r.passed(2e-2), () -> name + " " + r);
  }

  /** Checks backward(upstream) against finite differences of the terms (reduction NONE). */
  private static void assertUpstreamGradient(String name, List<Tensor> inputs, Supplier<Tensor> terms,
      java.util.function.Function<Tensor, List<Tensor>> backward) {
    List<String> names = inputs.size() == 1 ? List.of("input") : List.of("input1", "input2");
    GradCheck.Report r = GradCheck.checkFunction(names, inputs, () -> terms.get().copy(),
        g -> backward.apply(g).stream().map(Tensor::copy).toList(), 1e-2, 200, 11);
    assertTrue(r.passed(2e-2), () -> name + " " + r);
  }

  private static Shape randomShape(SplittableRandom r) {
    int rank = 1 + r.nextInt(3);
    int[] dims = new int[rank];
    for (int i = 0; i < rank; i++) {
      dims[i] = 1 + r.nextInt(5);
    }
    return Shape.of(dims);
  }

  private static Reduction anyReduction(SplittableRandom r) {
    return Reduction.values()[r.nextInt(Reduction.values().length)];
  }

  private static Tensor signs(Shape shape, SplittableRandom r) {
    Tensor t = Tensor.zeros(shape);
    for (int i = 0; i < t.size(); i++) {
      t.data()[i] = r.nextBoolean() ? 1f : -1f;
    }
    return t;
  }

  /** The elementwise losses at random settings on a random shape, of every reduction. */
  private static List<Object[]> elementwiseCases(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    Shape shape = randomShape(r);
    Tensor wide = Tensor.uniform(shape, -3f, 3f, seed);
    Tensor soft = Tensor.uniform(shape, 0f, 1f, seed + 1);
    Tensor probs = Tensor.uniform(shape, 0.05f, 0.95f, seed + 2);
    Tensor logp = Tensor.uniform(shape, -4f, 0f, seed + 3);
    Tensor hard = Tensor.zeros(shape);
    for (int i = 0; i < hard.size(); i++) {
      hard.data()[i] = r.nextBoolean() ? 1f : 0f;
    }
    int[] wdims = Arrays.copyOfRange(shape.dims(), r.nextInt(shape.rank()), shape.rank());
    for (int a = 0; a < wdims.length; a++) {
      wdims[a] = r.nextInt(3) == 0 ? 1 : wdims[a]; // broadcast along some axes
    }
    Tensor weight = r.nextBoolean() ? null : Tensor.uniform(Shape.of(wdims), 0.2f, 2f, seed + 4);
    return List.of(
        new Object[] {new HingeEmbeddingLoss(r.nextDouble(-1, 2), anyReduction(r)), wide.copy(), signs(shape, r)},
        new Object[] {new HuberLoss(r.nextDouble(0.1, 2), anyReduction(r)), wide.copy(),
            Tensor.uniform(shape, -3f, 3f, seed + 5)},
        new Object[] {new SmoothL1Loss(r.nextInt(4) == 0 ? 0 : r.nextDouble(0.1, 2), anyReduction(r)), wide.copy(),
            Tensor.uniform(shape, -3f, 3f, seed + 6)},
        new Object[] {r.nextInt(4) == 0 ? KlDivLoss.batchMean(false) : new KlDivLoss(anyReduction(r), false),
            logp.copy(), soft},
        new Object[] {r.nextInt(4) == 0 ? KlDivLoss.batchMean(true) : new KlDivLoss(anyReduction(r), true),
            logp.copy(), Tensor.uniform(shape, -3f, 0f, seed + 7)},
        new Object[] {new BceLoss(anyReduction(r), weight), probs, r.nextBoolean() ? soft : hard},
        new Object[] {new SigmoidFocalLoss(r.nextBoolean() ? -1 : r.nextDouble(), r.nextInt(4) == 0 ? 0
            : r.nextDouble(1, 3), anyReduction(r)), wide.copy(), r.nextBoolean() ? soft : hard});
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#fewSeeds")
  void elementwiseGradientsMatchFiniteDifferences(long seed) {
    for (Object[] c : elementwiseCases(seed)) {
      ElementwiseLoss loss = (ElementwiseLoss) c[0];
      Tensor x = (Tensor) c[1];
      Tensor t = (Tensor) c[2];
      assertGradient(loss.name() + " " + x.shape(), List.of(x), () -> loss.forward(x, t),
          () -> List.of(loss.backward()));
      assertUpstreamGradient(loss.name() + " terms " + x.shape(), List.of(x), () -> {
        loss.forward(x, t);
        return loss.losses();
      }, g -> List.of(loss.backward(g)));
    }
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#fewSeeds")
  void multiMarginGradientsMatchFiniteDifferences(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int n = 1 + r.nextInt(5);
    int c = 1 + r.nextInt(6);
    Tensor x = Tensor.uniform(Shape.of(n, c), -2f, 2f, seed);
    int[] labels = r.ints(n, 0, c).toArray();
    Tensor weight = r.nextBoolean() ? null : Tensor.uniform(Shape.of(c), 0.2f, 2f, seed + 1);
    MultiMarginLoss loss = new MultiMarginLoss(1 + r.nextInt(2), r.nextDouble(0, 2), weight, anyReduction(r));
    assertGradient(loss.name(), List.of(x), () -> loss.forward(x, labels), () -> List.of(loss.backward()));
    assertUpstreamGradient(loss.name() + " terms", List.of(x), () -> {
      loss.forward(x, labels);
      return loss.losses();
    }, g -> List.of(loss.backward(g)));
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#fewSeeds")
  void cosineEmbeddingGradientsMatchFiniteDifferences(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int n = 1 + r.nextInt(5);
    int d = 1 + r.nextInt(6);
    Tensor a = Tensor.uniform(Shape.of(n, d), -2f, 2f, seed);
    Tensor b = Tensor.uniform(Shape.of(n, d), -2f, 2f, seed + 1);
    Tensor t = signs(Shape.of(n), r);
    CosineEmbeddingLoss loss = new CosineEmbeddingLoss(r.nextDouble(-0.5, 0.5), anyReduction(r));
    assertGradient(loss.name(), List.of(a, b), () -> loss.forward(a, b, t),
        () -> List.of(loss.backward(0), loss.backward(1)));
    assertUpstreamGradient(loss.name() + " terms", List.of(a, b), () -> {
      loss.forward(a, b, t);
      return loss.losses();
    }, g -> List.of(loss.backward(g, 0).copy(), loss.backward(g, 1).copy()));
  }

  // --- hand-computed values ----------------------------------------------------------------------

  @Test
  void handComputedValues() {
    Tensor x = Tensor.wrap(new float[] {0.5f, 2f, -1f}, 3);
    HingeEmbeddingLoss hinge = new HingeEmbeddingLoss(1.0, Reduction.SUM);
    // t = 1: x; t = -1: max(0, 1 - x)
    assertEquals(0.5 + 0 + 2, hinge.forward(x, Tensor.wrap(new float[] {1, -1, -1}, 3)), 1e-12);
    assertEquals(List.of(1f, 0f, -1f), floats(hinge.backward()));
    // At the kink margin - x = 0 the value is 0 and the gradient -1: torch 1.13's clamp passes it
    assertEquals(0.0, hinge.forward(Tensor.wrap(new float[] {1f}, 1), Tensor.wrap(new float[] {-1f}, 1)));
    assertEquals(List.of(-1f), floats(hinge.backward()));

    HuberLoss huber = new HuberLoss(1.0, Reduction.MEAN);
    assertEquals((0.125 + 1.5 + 0.5) / 3, huber.forward(x, Tensor.zeros(3)), 1e-12);
    assertEquals(List.of(0.5f / 3, 1f / 3, -1f / 3), floats(huber.backward()));
    SmoothL1Loss l1 = new SmoothL1Loss(0, Reduction.SUM);
    assertEquals(3.5, l1.forward(x, Tensor.zeros(3)), 1e-12);
    assertEquals(List.of(1f, 1f, -1f), floats(l1.backward()));

    KlDivLoss kl = KlDivLoss.batchMean(false);
    Tensor logq = Tensor.wrap(new float[] {(float) Math.log(0.5), (float) Math.log(0.5), 0f, -100f}, 2, 2);
    // p = [[1, 0], [0.5, 0.5]]: row 0 costs log 2, row 1 costs 0.5 (log 0.5 - 0) + 0.5 (log 0.5 + 100)
    double expected = (Math.log(2) + (Math.log(0.5) + 50)) / 2;
    assertEquals(expected, kl.forward(logq, Tensor.wrap(new float[] {1, 0, 0.5f, 0.5f}, 2, 2)), 1e-6);
    assertEquals(List.of(-0.5f, -0f, -0.25f, -0.25f), floats(kl.backward()));

    BceLoss bce = new BceLoss(Reduction.SUM, Tensor.wrap(new float[] {2f}, 1));
    // x = 0 with t = 1: the log is clamped at -100; weight 2
    assertEquals(2 * 100 + 2 * Math.log(2), bce.forward(Tensor.wrap(new float[] {0f, 0.5f}, 2),
        Tensor.wrap(new float[] {1f, 0f}, 2)), 1e-9);
    assertEquals(List.of(-2e12f, 4f), floats(bce.backward()));

    // gamma 0, alpha -1: plain BCE with logits
    SigmoidFocalLoss focal = new SigmoidFocalLoss(-1, 0, Reduction.SUM);
    BceWithLogitsLoss plain = new BceWithLogitsLoss(Reduction.SUM);
    Tensor logits = Tensor.wrap(new float[] {-2f, 0.3f, 4f}, 3);
    Tensor t = Tensor.wrap(new float[] {0f, 1f, 0.25f}, 3);
    assertEquals(plain.forward(logits, t), focal.forward(logits, t), 1e-9);
    Tensor gf = focal.backward().copy();
    Tensor gp = plain.backward();
    for (int i = 0; i < 3; i++) {
      assertEquals(gp.getFlat(i), gf.getFlat(i), 1e-7);
    }

    MultiMarginLoss mm = new MultiMarginLoss(1, 1.0, null, Reduction.NONE);
    // row [1, 0, 0.5], label 0: hinges 1 - 1 + 0 = 0 and 1 - 1 + 0.5 = 0.5, over 3 classes
    assertEquals(0.5 / 3, mm.forward(Tensor.wrap(new float[] {1f, 0f, 0.5f}, 1, 3), new int[] {0}), 1e-7);
    assertEquals(List.of((float) (-1.0 / 3), 0f, (float) (1.0 / 3)), floats(mm.backward()));

    CosineEmbeddingLoss cos = new CosineEmbeddingLoss(0.5, Reduction.SUM);
    Tensor a = Tensor.wrap(new float[] {1f, 0f, 3f, 4f}, 2, 2);
    Tensor b = Tensor.wrap(new float[] {1f, 1f, 3f, 4f}, 2, 2);
    // pair 0 (similar): 1 - cos 45 degrees; pair 1 (dissimilar, cos 1): 1 - 0.5
    assertEquals(1 - Math.sqrt(0.5) + 0.5, cos.forward(a, b, Tensor.wrap(new float[] {1f, -1f}, 2)), 1e-6);
  }

  private static List<Float> floats(Tensor t) {
    Float[] out = new Float[t.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = t.getFlat(i);
    }
    return List.of(out);
  }

  // --- errors ----------------------------------------------------------------------------------

  private static String message(Class<? extends RuntimeException> type, org.junit.jupiter.api.function.Executable e) {
    return assertThrows(type, e).getMessage();
  }

  @Test
  void badParametersAreNamed() {
    Class<IllegalArgumentException> iae = IllegalArgumentException.class;
    assertEquals("HingeEmbedding: margin NaN (expected: finite)",
        message(iae, () -> new HingeEmbeddingLoss(Double.NaN, Reduction.MEAN)));
    assertEquals("Huber: delta 0.0 (expected: 0 < delta < infinity)", message(iae, () -> new HuberLoss(0, Reduction.SUM)));
    assertEquals("SmoothL1: beta -1.0 (expected: 0 <= beta < infinity)",
        message(iae, () -> new SmoothL1Loss(-1, Reduction.SUM)));
    assertEquals("SigmoidFocal: alpha 1.5 (expected: 0 <= alpha <= 1, or negative for no weighting)",
        message(iae, () -> new SigmoidFocalLoss(1.5, 2, Reduction.MEAN)));
    assertEquals("SigmoidFocal: gamma -0.5 (expected: 0 <= gamma < infinity)",
        message(iae, () -> new SigmoidFocalLoss(0.25, -0.5, Reduction.MEAN)));
    assertEquals("MultiMargin: p 3 (expected: 1 or 2)", message(iae, () -> new MultiMarginLoss(3, 1, null, Reduction.MEAN)));
    assertEquals("MultiMargin: margin Infinity (expected: finite)",
        message(iae, () -> new MultiMarginLoss(1, Double.POSITIVE_INFINITY, null, Reduction.MEAN)));
    assertEquals("MultiMargin: weight [2, 2] (expected: [classes])",
        message(iae, () -> new MultiMarginLoss(1, 1, Tensor.zeros(2, 2), Reduction.MEAN)));
    assertEquals("MultiMargin: weight NaN at [1] of [2] (expected: finite values)",
        message(iae, () -> new MultiMarginLoss(1, 1, Tensor.wrap(new float[] {1, Float.NaN}, 2), Reduction.MEAN)));
    assertEquals("BCE: weight Infinity at [0] of [1] (expected: finite values)",
        message(iae, () -> new BceLoss(Reduction.MEAN, Tensor.wrap(new float[] {Float.POSITIVE_INFINITY}, 1))));
    assertEquals("CosineEmbedding: margin NaN (expected: finite)",
        message(iae, () -> new CosineEmbeddingLoss(Double.NaN, Reduction.MEAN)));
    // The losses that keep no terms take MEAN and SUM only.
    assertEquals("MSE: reduction NONE is not supported (expected: MEAN or SUM)",
        message(iae, () -> new MseLoss(Reduction.NONE)));
    assertEquals("CrossEntropy: reduction NONE is not supported (expected: MEAN or SUM)",
        message(iae, () -> new CrossEntropyLoss(Reduction.NONE, 0)));
    assertEquals("NLL: reduction NONE is not supported (expected: MEAN or SUM)",
        message(iae, () -> new NllLoss(Reduction.NONE)));
    assertEquals("BCEWithLogits: reduction NONE is not supported (expected: MEAN or SUM)",
        message(iae, () -> new BceWithLogitsLoss(Reduction.NONE)));
  }

  @Test
  void badInputsAndTargetsAreNamed() {
    Class<IllegalArgumentException> iae = IllegalArgumentException.class;
    Tensor x = Tensor.wrap(new float[] {0.5f, 0.2f, Float.NaN, 0.1f}, 2, 2);
    Tensor ones = Tensor.full(Shape.of(2, 2), 1f);
    assertEquals("Huber(mean, delta=1.0): input NaN at [1, 0] of [2, 2] (expected: finite values)",
        message(iae, () -> new HuberLoss().forward(x, ones)));
    assertEquals("SmoothL1(mean, beta=1.0): target Infinity at [0, 1] of [2, 2] (expected: finite values)",
        message(iae, () -> new SmoothL1Loss().forward(ones, Tensor.wrap(new float[] {0, Float.POSITIVE_INFINITY, 0, 0}, 2, 2))));
    assertEquals("HingeEmbedding(mean, margin=1.0): target 0.0 at [1, 1] of [2, 2] (expected: 1 or -1)",
        message(iae, () -> new HingeEmbeddingLoss().forward(ones, Tensor.wrap(new float[] {1, -1, 1, 0}, 2, 2))));
    assertEquals("BCE(mean): input 1.5 at [1] of [2] (expected: a probability, 0 <= input <= 1)",
        message(iae, () -> new BceLoss().forward(Tensor.wrap(new float[] {0.5f, 1.5f}, 2), Tensor.zeros(2))));
    assertEquals("BCE(mean): input NaN at [0] of [1] (expected: a probability, 0 <= input <= 1)",
        message(iae, () -> new BceLoss().forward(Tensor.wrap(new float[] {Float.NaN}, 1), Tensor.zeros(1))));
    assertEquals("BCE(sum, weighted): target -0.5 at [0] of [1] (expected: 0 <= target <= 1)",
        message(iae, () -> new BceLoss(Reduction.SUM, Tensor.full(Shape.of(1), 1f))
            .forward(Tensor.zeros(1), Tensor.wrap(new float[] {-0.5f}, 1))));
    assertEquals("BCE(mean, weighted): weight [3] does not broadcast to input [3, 2] (expected: aligned at the last"
        + " axis, each axis the input's size or 1)",
        message(iae, () -> new BceLoss(Reduction.MEAN, Tensor.full(Shape.of(3), 1f)).forward(Tensor.zeros(3, 2),
            Tensor.zeros(3, 2))));
    assertEquals("KLDiv(batchmean): target -0.1 at [0] of [2] (expected: probabilities, finite and >= 0)",
        message(iae, () -> KlDivLoss.batchMean(false).forward(Tensor.zeros(2), Tensor.wrap(new float[] {-0.1f, 1}, 2))));
    assertEquals("KLDiv(sum, log_target): target -Infinity at [1] of [2] (expected: finite log-probabilities)",
        message(iae, () -> new KlDivLoss(Reduction.SUM, true).forward(Tensor.zeros(2),
            Tensor.wrap(new float[] {0, Float.NEGATIVE_INFINITY}, 2))));
    assertEquals("SigmoidFocal(none, alpha=0.25, gamma=2.0): target 2.0 at [0] of [1] (expected: 0 <= target <= 1)",
        message(iae, () -> new SigmoidFocalLoss(0.25, 2, Reduction.NONE).forward(Tensor.zeros(1),
            Tensor.wrap(new float[] {2}, 1))));
    assertEquals("Huber(mean, delta=1.0): target [4] (expected: the input's shape [2, 2])",
        message(iae, () -> new HuberLoss().forward(ones, Tensor.zeros(4))));
    assertEquals("Huber(mean, delta=1.0): empty input [0, 2] (expected: at least one element; the mean of no losses"
        + " is undefined)", message(iae, () -> new HuberLoss().forward(Tensor.zeros(0, 2), Tensor.zeros(0, 2))));

    MultiMarginLoss mm = new MultiMarginLoss(2, 1, Tensor.zeros(3), Reduction.SUM);
    assertEquals("MultiMargin(sum, p=2, margin=1.0, weighted): weight [3] for input [2, 2] (expected: [2])",
        message(iae, () -> mm.forward(ones, new int[] {0, 1})));
    MultiMarginLoss plain = new MultiMarginLoss();
    assertEquals("MultiMargin(mean, p=1, margin=1.0): input NaN at [1, 0] of [2, 2] (expected: finite values)",
        message(iae, () -> plain.forward(x, new int[] {0, 1})));
    assertEquals("MultiMargin(mean, p=1, margin=1.0): label 2 at index 1 is out of range for 2 classes"
        + " (expected: 0 <= label < 2)", message(iae, () -> plain.forward(ones, new int[] {0, 2})));
    assertEquals("MultiMargin(mean, p=1, margin=1.0): backward() called before forward()",
        message(IllegalStateException.class, plain::backward));

    CosineEmbeddingLoss cos = new CosineEmbeddingLoss();
    assertEquals("CosineEmbedding(mean, margin=0.0): input2 [2, 3] (expected: input1's shape [2, 2])",
        message(iae, () -> cos.forward(ones, Tensor.zeros(2, 3), Tensor.full(Shape.of(2), 1f))));
    assertEquals("CosineEmbedding(mean, margin=0.0): input1 [4] has rank 1 (expected: [batch, features])",
        message(iae, () -> cos.forward(Tensor.zeros(4), Tensor.zeros(4), Tensor.zeros(4))));
    assertEquals("CosineEmbedding(mean, margin=0.0): target [2, 1] (expected: [2])",
        message(iae, () -> cos.forward(ones, ones, Tensor.zeros(2, 1))));
    assertEquals("CosineEmbedding(mean, margin=0.0): target 0.0 at [1] (expected: 1 or -1)",
        message(iae, () -> cos.forward(ones, ones, Tensor.wrap(new float[] {1, 0}, 2))));
    assertEquals("CosineEmbedding(mean, margin=0.0): input2 NaN at [1, 0] of [2, 2] (expected: finite values)",
        message(iae, () -> cos.forward(ones, x, Tensor.wrap(new float[] {1, -1}, 2))));
    assertEquals("CosineEmbedding(mean, margin=0.0): empty batch [0, 2] (expected: at least one pair; the mean of no"
        + " losses is undefined)", message(iae, () -> cos.forward(Tensor.zeros(0, 2), Tensor.zeros(0, 2),
            Tensor.zeros(0))));
    assertEquals("CosineEmbedding(mean, margin=0.0): backward() called before forward()",
        message(IllegalStateException.class, () -> cos.backward(0)));
    cos.forward(ones, ones, Tensor.wrap(new float[] {1, -1}, 2));
    assertEquals("CosineEmbedding(mean, margin=0.0): input 2 (expected: 0 or 1)", message(iae, () -> cos.backward(2)));
    assertEquals("CosineEmbedding(mean, margin=0.0): upstream gradient [3] (expected: the shape of the loss terms [2])",
        message(iae, () -> cos.backward(Tensor.zeros(3), 0)));

    HuberLoss huber = new HuberLoss();
    assertEquals("Huber(mean, delta=1.0): backward() called before forward()",
        message(IllegalStateException.class, huber::backward));
    assertEquals("Huber(mean, delta=1.0): backward() called before forward()",
        message(IllegalStateException.class, huber::losses));
    huber.forward(ones, ones);
    assertEquals("Huber(mean, delta=1.0): upstream gradient [4] (expected: the shape of the loss terms [2, 2])",
        message(iae, () -> huber.backward(Tensor.zeros(4))));
    // A failed forward leaves no stale state behind for backward.
    assertThrows(iae, () -> huber.forward(x, ones));
    assertEquals("Huber(mean, delta=1.0): backward() called before forward()",
        message(IllegalStateException.class, huber::backward));
  }

  /** The loss copies its inputs (the caller may reuse them) and reuses its buffers. */
  @Test
  void copiesInputsAndReusesBuffers() {
    HuberLoss huber = new HuberLoss(0.5, Reduction.SUM);
    Tensor x = Tensor.uniform(Shape.of(3, 4), -2f, 2f, 1);
    Tensor t = Tensor.uniform(Shape.of(3, 4), -2f, 2f, 2);
    huber.forward(x, t);
    Tensor g1 = huber.backward().copy();
    Tensor buffer = huber.backward();
    x.fill(0f);
    Conformance.assertClose("gradient after the input changed", g1, huber.backward(), 0);
    huber.forward(t, x);
    assertTrue(buffer == huber.backward(), "same buffer");
  }
}

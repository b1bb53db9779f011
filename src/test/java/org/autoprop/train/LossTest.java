package org.autoprop.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.autoprop.io.SafeTensors;
import org.autoprop.layer.GradCheck;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.testing.Conformance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class LossTest {

  private static int[] ints(long[] v) {
    int[] out = new int[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = Math.toIntExact(v[i]);
    }
    return out;
  }

  @Test
  void crossEntropyMatchesPyTorch() {
    SafeTensors f = Conformance.load("cross_entropy");
    CrossEntropyLoss loss = new CrossEntropyLoss();
    double value = loss.forward(f.tensor("x"), ints(f.longs("labels")));
    assertEquals(f.tensor("loss").getFlat(0), value, 1e-5 * Math.abs(value));
    Conformance.assertClose("cross_entropy gx", f.tensor("gx"), loss.backward());
  }

  /**
   * Logits [N, T, V] and targets [N, T] with ignored positions, against PyTorch's
   * {@code F.cross_entropy(x.permute(0, 2, 1), targets, ...)} (tools/conformance/sequence_layers.py).
   */
  @ParameterizedTest(name = "{0}")
  @org.junit.jupiter.params.provider.ValueSource(strings = {
      "cross_entropy_seq", "cross_entropy_seq_smooth_sum", "cross_entropy_seq_smooth_mean"})
  void sequenceCrossEntropyMatchesPyTorch(String file) {
    SafeTensors f = Conformance.load(file);
    Reduction reduction = Reduction.valueOf(f.metadata().get("reduction").toUpperCase(java.util.Locale.ROOT));
    double smoothing = Double.parseDouble(f.metadata().get("label_smoothing"));
    int ignore = Integer.parseInt(f.metadata().get("ignore_index"));
    CrossEntropyLoss loss = new CrossEntropyLoss(reduction, smoothing, ignore);
    int[] labels = ints(f.longs("labels"));
    assertTrue(java.util.Arrays.stream(labels).filter(l -> l == ignore).count() >= 3, "the file ignores positions");
    double value = loss.forward(f.tensor("x"), labels);
    assertEquals(f.tensor("loss").getFlat(0), value, 1e-5 * Math.abs(value), file + " loss");
    Conformance.assertClose(file + " gx", f.tensor("gx"), loss.backward());
  }

  @Test
  void mseMatchesPyTorch() {
    SafeTensors f = Conformance.load("mse");
    MseLoss loss = new MseLoss();
    double value = loss.forward(f.tensor("x"), f.tensor("target"));
    assertEquals(f.tensor("loss").getFlat(0), value, 1e-5 * Math.abs(value));
    Conformance.assertClose("mse gx", f.tensor("gx"), loss.backward());
  }

  /** Extra PyTorch vectors from src/test/resources/train/make_vectors.py. */
  @Test
  void otherLossesMatchPyTorch() {
    SafeTensors f = TrainVectors.load("losses");
    int[] labels = ints(f.longs("labels"));
    CrossEntropyLoss ce = new CrossEntropyLoss(Reduction.SUM, 0.1);
    double v = ce.forward(f.tensor("x"), labels);
    assertEquals(f.tensor("ce_smooth_sum.loss").getFlat(0), v, 1e-5 * Math.abs(v));
    Conformance.assertClose("ce_smooth_sum gx", f.tensor("ce_smooth_sum.gx"), ce.backward());

    CrossEntropyLoss ceMean = new CrossEntropyLoss(Reduction.MEAN, 0.3);
    v = ceMean.forward(f.tensor("x"), labels);
    assertEquals(f.tensor("ce_smooth_mean.loss").getFlat(0), v, 1e-5 * Math.abs(v));
    Conformance.assertClose("ce_smooth_mean gx", f.tensor("ce_smooth_mean.gx"), ceMean.backward());

    NllLoss nll = new NllLoss();
    v = nll.forward(f.tensor("logp"), labels);
    assertEquals(f.tensor("nll.loss").getFlat(0), v, 1e-5 * Math.abs(v));
    Conformance.assertClose("nll gx", f.tensor("nll.gx"), nll.backward());

    BceWithLogitsLoss bce = new BceWithLogitsLoss();
    v = bce.forward(f.tensor("x"), f.tensor("bce_target"));
    assertEquals(f.tensor("bce.loss").getFlat(0), v, 1e-5 * Math.abs(v));
    Conformance.assertClose("bce gx", f.tensor("bce.gx"), bce.backward());

    MseLoss mse = new MseLoss(Reduction.SUM);
    v = mse.forward(f.tensor("x"), f.tensor("bce_target"));
    assertEquals(f.tensor("mse_sum.loss").getFlat(0), v, 1e-5 * Math.abs(v));
    Conformance.assertClose("mse_sum gx", f.tensor("mse_sum.gx"), mse.backward());
  }

  @Test
  void handComputedCrossEntropyWithSmoothing() {
    // p = [1/4, 3/4]; q = [0.95, 0.05] for label 0 with smoothing 0.1 over 2 classes
    Tensor x = Tensor.wrap(new float[] {0f, (float) Math.log(3)}, 1, 2);
    CrossEntropyLoss loss = new CrossEntropyLoss(Reduction.MEAN, 0.1);
    double expected = 0.9 * Math.log(4) + 0.1 * (Math.log(4) + Math.log(4.0 / 3)) / 2;
    assertEquals(expected, loss.forward(x, new int[] {0}), 1e-6);
    Tensor g = loss.backward();
    assertEquals(-0.7, g.getFlat(0), 1e-6);
    assertEquals(0.7, g.getFlat(1), 1e-6);
  }

  @Test
  void crossEntropyIsStableForHugeLogits() {
    Tensor x = Tensor.wrap(new float[] {1000f, 0f, -1000f, 3e4f}, 2, 2);
    CrossEntropyLoss loss = new CrossEntropyLoss(Reduction.SUM, 0);
    double v = loss.forward(x, new int[] {1, 0});
    assertEquals(1000 + 31000, v, 1e-3);
    Tensor g = loss.backward();
    assertEquals(1f, g.getFlat(0), 0f);
    assertEquals(-1f, g.getFlat(1), 0f);
    assertEquals(-1f, g.getFlat(2), 0f);
    assertEquals(1f, g.getFlat(3), 0f);
  }

  @Test
  void handComputedMseNllBce() {
    MseLoss mse = new MseLoss();
    assertEquals(2.5, mse.forward(Tensor.wrap(new float[] {1, 2}, 2), Tensor.zeros(2)), 1e-12);
    assertEquals(1f, mse.backward().getFlat(0));
    assertEquals(2f, mse.backward().getFlat(1));
    MseLoss mseSum = new MseLoss(Reduction.SUM);
    assertEquals(5, mseSum.forward(Tensor.wrap(new float[] {1, 2}, 2), Tensor.zeros(2)), 1e-12);
    assertEquals(4f, mseSum.backward().getFlat(1));

    NllLoss nll = new NllLoss();
    Tensor logp = Tensor.wrap(new float[] {-1, -2, -3, -4}, 2, 2);
    assertEquals(2.5, nll.forward(logp, new int[] {1, 0}), 1e-12);
    Tensor g = nll.backward();
    assertEquals(0f, g.getFlat(0));
    assertEquals(-0.5f, g.getFlat(1));
    assertEquals(-0.5f, g.getFlat(2));
    assertEquals(0f, g.getFlat(3));

    BceWithLogitsLoss bce = new BceWithLogitsLoss(Reduction.SUM);
    Tensor x = Tensor.wrap(new float[] {0f, 100f, -100f}, 3);
    Tensor t = Tensor.wrap(new float[] {1f, 0f, 1f}, 3);
    assertEquals(Math.log(2) + 200, bce.forward(x, t), 1e-9);
    Tensor gb = bce.backward();
    assertEquals(-0.5f, gb.getFlat(0), 1e-7);
    assertEquals(1f, gb.getFlat(1), 1e-7);
    assertEquals(-1f, gb.getFlat(2), 1e-7);
  }

  private static void assertGradient(Loss<?> loss, Tensor x, Supplier<Double> forward) {
    Supplier<Tensor> f = () -> Tensor.wrap(new float[] {(float) (double) forward.get()}, 1);
    GradCheck.Report r = GradCheck.checkFunction(List.of("input"), List.of(x), f,
        g -> List.of(scaled(loss.backward(), g.getFlat(0))), 1e-2, 200, 7);
    assertTrue(r.passed(2e-2), () -> loss.name() + " " + r);
  }

  private static Tensor scaled(Tensor t, float s) {
    Tensor out = t.copy();
    for (int i = 0; i < out.size(); i++) {
      out.data()[i] *= s;
    }
    return out;
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#fewSeeds")
  void gradientsMatchFiniteDifferences(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int n = 1 + r.nextInt(5);
    int c = 1 + r.nextInt(7);
    Tensor x = Tensor.uniform(Shape.of(n, c), -3f, 3f, seed);
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = r.nextInt(c);
    }
    Reduction red = r.nextBoolean() ? Reduction.MEAN : Reduction.SUM;
    double smoothing = r.nextBoolean() ? 0 : r.nextDouble();
    CrossEntropyLoss ce = new CrossEntropyLoss(red, smoothing);
    assertGradient(ce, x, () -> ce.forward(x, labels));
    NllLoss nll = new NllLoss(red);
    assertGradient(nll, x, () -> nll.forward(x, labels));
    Tensor t = Tensor.uniform(Shape.of(n, c), 0f, 1f, seed + 1);
    MseLoss mse = new MseLoss(red);
    assertGradient(mse, x, () -> mse.forward(x, t));
    BceWithLogitsLoss bce = new BceWithLogitsLoss(red);
    assertGradient(bce, x, () -> bce.forward(x, t));
  }

  /**
   * [N, T, V] is [N * T, V] row by row: the same loss and gradient, ignored positions left out of
   * both and of the mean's count; finite differences agree.
   */
  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#fewSeeds")
  void sequenceCrossEntropyIsTheFlattenedOneWithoutIgnoredPositions(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int n = 1 + r.nextInt(3);
    int t = 1 + r.nextInt(5);
    int v = 1 + r.nextInt(6);
    int ignore = r.nextBoolean() ? CrossEntropyLoss.DEFAULT_IGNORE_INDEX : r.nextInt(v);
    Reduction red = r.nextBoolean() ? Reduction.MEAN : Reduction.SUM;
    double smoothing = r.nextBoolean() ? 0 : r.nextDouble();
    Tensor x = Tensor.uniform(Shape.of(n, t, v), -3f, 3f, seed);
    int[] labels = new int[n * t];
    int kept = 0;
    for (int i = 0; i < labels.length; i++) {
      labels[i] = r.nextInt(4) == 0 ? ignore : r.nextInt(v);
      kept += labels[i] == ignore ? 0 : 1;
    }
    if (kept == 0) {
      labels[0] = ignore == 0 ? v - 1 : 0;
      kept = ignore == 0 && v == 1 ? 0 : 1;
    }
    if (kept == 0) {
      return; // one class that is the ignore index: nothing to count (the all-ignored test covers it)
    }
    CrossEntropyLoss seq = new CrossEntropyLoss(red, smoothing, ignore);
    double loss = seq.forward(x, labels);
    Tensor g = seq.backward().copy();
    // The reference: the kept rows alone, as an [M, V] batch.
    float[] rows = new float[kept * v];
    int[] keptLabels = new int[kept];
    for (int i = 0, k = 0; i < labels.length; i++) {
      if (labels[i] != ignore) {
        System.arraycopy(x.data(), i * v, rows, k * v, v);
        keptLabels[k++] = labels[i];
      }
    }
    CrossEntropyLoss flat = new CrossEntropyLoss(red, smoothing, Integer.MIN_VALUE);
    assertEquals(flat.forward(Tensor.wrap(rows, kept, v), keptLabels), loss, 1e-9 * (1 + Math.abs(loss)));
    Tensor gFlat = flat.backward();
    for (int i = 0, k = 0; i < labels.length; i++) {
      for (int j = 0; j < v; j++) {
        float expected = labels[i] == ignore ? 0f : gFlat.getFlat(k * v + j);
        assertEquals(expected, g.getFlat(i * v + j), 1e-7, "gx[" + i + ", " + j + "]");
      }
      k += labels[i] == ignore ? 0 : 1;
    }
    assertGradient(seq, x, () -> seq.forward(x, labels));
  }

  @Test
  void ignoredLabelsAndTheirErrors() {
    // [N, C] with an ignored sample: the mean is over the other two.
    Tensor x = Tensor.uniform(Shape.of(3, 4), -1f, 1f, 5);
    CrossEntropyLoss ce = new CrossEntropyLoss();
    double two = ce.forward(x.slice(0, 0, 2), new int[] {1, 2});
    assertEquals(two, ce.forward(x, new int[] {1, 2, -100}), 1e-12);
    assertEquals(0.0, ce.backward().slice(0, 2, 3).maxAbs());
    assertEquals("CrossEntropy(sum, smoothing=0.1, ignore_index=0)",
        new CrossEntropyLoss(Reduction.SUM, 0.1, 0).name());
    // Every label ignored: SUM is 0 with a zero gradient, MEAN is undefined.
    CrossEntropyLoss sum = new CrossEntropyLoss(Reduction.SUM, 0.2);
    assertEquals(0.0, sum.forward(Tensor.uniform(Shape.of(2, 2, 3), -1f, 1f, 6), new int[] {-100, -100, -100, -100}));
    assertEquals(0.0, sum.backward().maxAbs());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ce.forward(Tensor.zeros(2, 2, 3), new int[] {-100, -100, -100, -100}));
    assertEquals("CrossEntropy(mean): every one of the 4 labels is the ignore index -100 (expected: at least one"
        + " counted position; the mean of no losses is undefined)", e.getMessage());
    IllegalStateException s = assertThrows(IllegalStateException.class, ce::backward);
    assertEquals("CrossEntropy(mean): backward() called before forward()", s.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> ce.forward(Tensor.zeros(2, 2, 3), new int[] {0, 1, 2, 3}));
    assertEquals("CrossEntropy(mean): label 3 at index 3 ([1, 1] of targets [2, 2]) is out of range for 3 classes"
        + " (expected: 0 <= label < 3, or the ignore index -100)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> new CrossEntropyLoss(Reduction.MEAN, 0, 0).forward(Tensor.zeros(1, 3), new int[] {-100}));
    assertEquals("CrossEntropy(mean, ignore_index=0): label -100 at index 0 is out of range for 3 classes"
        + " (expected: 0 <= label < 3, or the ignore index 0)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ce.forward(Tensor.zeros(2, 0, 3), new int[0]));
    assertEquals("CrossEntropy(mean): empty batch [2, 0, 3] (expected: at least one sample; the mean of no losses"
        + " is undefined)", e.getMessage());
  }

  @Test
  void badInputsAreNamed() {
    CrossEntropyLoss ce = new CrossEntropyLoss();
    Tensor x = Tensor.zeros(2, 3);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ce.forward(x, new int[] {0, 3}));
    assertEquals("CrossEntropy(mean): label 3 at index 1 is out of range for 3 classes (expected: 0 <= label < 3,"
        + " or the ignore index -100)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ce.forward(x, new int[] {-1, 0}));
    assertTrue(e.getMessage().contains("label -1 at index 0"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ce.forward(x, new int[] {0}));
    assertEquals("CrossEntropy(mean): 1 labels for input [2, 3] (expected: 2)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ce.forward(Tensor.zeros(2, 3, 4), new int[] {0, 0}));
    assertEquals("CrossEntropy(mean): 2 labels for input [2, 3, 4] (expected: 6, one per position of [2, 3])",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ce.forward(Tensor.zeros(3), new int[] {0, 0, 0}));
    assertEquals("CrossEntropy(mean): input [3] has rank 1 (expected: [batch, classes] or [batch, ..., classes],"
        + " the classes last)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new NllLoss(Reduction.SUM).forward(x, new int[] {5, 0}));
    assertEquals("NLL(sum): label 5 at index 0 is out of range for 3 classes (expected: 0 <= label < 3)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new MseLoss().forward(x, Tensor.zeros(3, 2)));
    assertEquals("MSE(mean): target [3, 2] (expected: the input's shape [2, 3])", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new BceWithLogitsLoss().forward(x, Tensor.zeros(6)));
    assertEquals("BCEWithLogits(mean): target [6] (expected: the input's shape [2, 3])", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new CrossEntropyLoss(Reduction.MEAN, 1.5));
    assertEquals("CrossEntropy: label smoothing 1.5 (expected: 0 <= smoothing <= 1)", e.getMessage());
    IllegalStateException s = assertThrows(IllegalStateException.class, () -> new MseLoss().backward());
    assertEquals("MSE(mean): backward() called before forward()", s.getMessage());
  }

  @Test
  void backwardReusesItsBuffer() {
    CrossEntropyLoss ce = new CrossEntropyLoss();
    Tensor x = Tensor.uniform(Shape.of(4, 5), -1f, 1f, 3);
    ce.forward(x, new int[] {0, 1, 2, 3});
    Tensor g1 = ce.backward();
    ce.forward(x, new int[] {4, 3, 2, 1});
    Tensor g2 = ce.backward();
    assertTrue(g1 == g2, "same buffer");
  }

  @Test
  void accuracyCountsArgmaxHits() {
    Tensor s = Tensor.wrap(new float[] {0.1f, 0.9f, 0.8f, 0.2f, 0.5f, 0.4f}, 3, 2);
    assertEquals(2, Metrics.countCorrect(s, new int[] {1, 0, 1}));
    assertEquals(1, Metrics.argmax(s, 0));
  }

  /** The mean of no losses is undefined: an empty batch is an error for every loss, not NaN. */
  @Test
  void anEmptyBatchIsAnError() {
    String undefined = " (expected: at least one sample; the mean of no losses is undefined)";
    Tensor none = Tensor.zeros(0, 3);
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new CrossEntropyLoss().forward(none, new int[0]))
        .getMessage().endsWith(": empty batch [0, 3]" + undefined));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new NllLoss().forward(none, new int[0]))
        .getMessage().endsWith(": empty batch [0, 3]" + undefined));
    String noElements = " (expected: at least one element; the mean of no losses is undefined)";
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new MseLoss().forward(none, Tensor.zeros(0, 3)))
        .getMessage().endsWith(": empty input [0, 3]" + noElements));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> new BceWithLogitsLoss().forward(none, Tensor.zeros(0, 3))).getMessage()
        .endsWith(": empty input [0, 3]" + noElements));
  }
}

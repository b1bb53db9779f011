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

  @Test
  void badInputsAreNamed() {
    CrossEntropyLoss ce = new CrossEntropyLoss();
    Tensor x = Tensor.zeros(2, 3);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ce.forward(x, new int[] {0, 3}));
    assertEquals("CrossEntropy(mean): label 3 at index 1 is out of range for 3 classes (expected: 0 <= label < 3)",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ce.forward(x, new int[] {-1, 0}));
    assertTrue(e.getMessage().contains("label -1 at index 0"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ce.forward(x, new int[] {0}));
    assertEquals("CrossEntropy(mean): 1 labels for input [2, 3] (expected: 2)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ce.forward(Tensor.zeros(2, 3, 4), new int[] {0, 0}));
    assertEquals("CrossEntropy(mean): input [2, 3, 4] has rank 3 (expected: [batch, classes])", e.getMessage());
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

package org.autoprop.layer;

import static org.autoprop.testing.TestTensors.maxAbsDiff;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Dropout and Dropout2D: inverted scaling, masks, determinism, evaluation mode, errors. */
class DropoutTest {

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#fewSeeds")
  void evaluationGradientsMatchFiniteDifferences(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    double p = r.nextDouble() * 0.9;
    Layer layer = r.nextBoolean() ? new Dropout(p, seed) : new Dropout2D(p, seed);
    Shape shape = Shape.of(1 + r.nextInt(3), 1 + r.nextInt(3), 1 + r.nextInt(4), 1 + r.nextInt(4));
    Tensor x = Tensor.uniform(shape, -1f, 1f, ~seed);
    GradCheck.Report report = GradCheck.forLayer(layer).training(false).seed(seed).check(x);
    assertTrue(report.passed(1e-3), () -> layer + " " + shape + "\n" + report);
    assertEquals(0.0, maxAbsDiff(x, layer.forward(x, false)), "identity in evaluation");
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#fewSeeds")
  void backwardAppliesExactlyTheMaskAndScalingOfTheLatestForward(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    double p = r.nextDouble() * 0.9;
    boolean channels = r.nextBoolean();
    Layer layer = channels ? new Dropout2D(p, seed) : new Dropout(p, seed);
    Shape shape = Shape.of(2 + r.nextInt(3), 1 + r.nextInt(4), 1 + r.nextInt(5), 1 + r.nextInt(5));
    // Inputs away from 0 so that the output reveals the mask.
    Tensor x = Tensor.uniform(shape, 1f, 2f, ~seed);
    layer.forward(x, true); // an older mask that backward must not use
    Tensor y = layer.forward(x, true).copy();
    Tensor g = Tensor.uniform(shape, -1f, 1f, seed);
    Tensor gx = layer.backward(g);
    float scale = (float) (1 / (1 - p));
    int plane = shape.dim(2) * shape.dim(3);
    for (int i = 0; i < shape.size(); i++) {
      boolean kept = y.getFlat(i) != 0f;
      if (kept) {
        assertEquals(x.getFlat(i) * scale, y.getFlat(i), 1e-6f * scale, "kept output at " + i);
        assertEquals(g.getFlat(i) * scale, gx.getFlat(i), 1e-6f * scale, "kept gradient at " + i);
      } else {
        assertEquals(0f, gx.getFlat(i), 0f, "dropped gradient at " + i); // -0 allowed
      }
      if (channels) {
        boolean planeKept = y.getFlat(i - i % plane) != 0f;
        assertEquals(planeKept, kept, "whole channels are dropped, at " + i);
      }
    }
  }

  @Test
  void dropsAFractionNearP() {
    for (double p : new double[] {0.1, 0.5, 0.8}) {
      Dropout d = new Dropout(p, 7);
      Tensor y = d.forward(Tensor.full(Shape.of(100, 1000), 1f), true);
      int dropped = 0;
      for (int i = 0; i < y.size(); i++) {
        dropped += y.getFlat(i) == 0f ? 1 : 0;
      }
      // 5 standard deviations of a binomial(100000, p) fraction: about 0.0095 at p = 0.5.
      double tol = 5 * Math.sqrt(p * (1 - p) / y.size());
      assertEquals(p, dropped / (double) y.size(), tol, "p=" + p);
      Dropout2D d2 = new Dropout2D(p, 7);
      Tensor y2 = d2.forward(Tensor.full(Shape.of(200, 100, 2, 2), 1f), true);
      int droppedPlanes = 0;
      for (int i = 0; i < y2.size(); i += 4) {
        droppedPlanes += y2.getFlat(i) == 0f ? 1 : 0;
      }
      assertEquals(p, droppedPlanes / 20000.0, 5 * Math.sqrt(p * (1 - p) / 20000), "Dropout2D p=" + p);
    }
  }

  @Test
  void aSeedGivesADeterministicSequenceOfMasks() {
    Tensor x = Tensor.full(Shape.of(4, 50), 1f);
    Dropout a = new Dropout(0.5, 42);
    Dropout b = new Dropout(0.5, 42);
    float[] a1 = a.forward(x, true).toArray();
    float[] a2 = a.forward(x, true).toArray();
    assertFalse(java.util.Arrays.equals(a1, a2), "each training forward draws a new mask");
    a.forward(x, false); // evaluation does not advance the sequence
    float[] a3 = a.forward(x, true).toArray();
    assertArrayEquals(a1, b.forward(x, true).toArray());
    assertArrayEquals(a2, b.forward(x, true).toArray());
    assertArrayEquals(a3, b.forward(x, true).toArray());
    assertFalse(java.util.Arrays.equals(a1, new Dropout(0.5, 43).forward(x, true).toArray()));
  }

  @Test
  void zeroProbabilityKeepsEverythingAndEvaluationIsTheIdentity() {
    Tensor x = Tensor.uniform(Shape.of(3, 4, 5), -1f, 1f, 1);
    assertEquals(0.0, maxAbsDiff(x, new Dropout(0, 1).forward(x, true)));
    Dropout d = new Dropout(0.5, 1);
    Tensor y = d.forward(x, false);
    assertEquals(0.0, maxAbsDiff(x, y));
    Tensor g = Tensor.uniform(x.shape(), -1f, 1f, 2);
    assertEquals(0.0, maxAbsDiff(g, d.backward(g)));
  }

  @Test
  void reusesBuffersWhileTheShapeStays() {
    for (Layer layer : new Layer[] {new Dropout(0.3, 1), new Dropout2D(0.3, 1)}) {
      Tensor x = Tensor.uniform(Shape.of(2, 3, 4, 4), -1f, 1f, 1);
      Tensor y1 = layer.forward(x, true);
      Tensor g1 = layer.backward(x);
      Tensor y2 = layer.forward(x, true);
      Tensor g2 = layer.backward(x);
      assertSame(y1, y2, layer.typeName());
      assertSame(g1, g2, layer.typeName());
    }
  }

  @Test
  void rejectsBadArgumentsWithClearMessages() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Dropout(1.0, 1));
    assertEquals("Dropout: p 1.0 (expected: 0 <= p < 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new Dropout2D(-0.1, 1));
    assertEquals("Dropout2D: p -0.1 (expected: 0 <= p < 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new Dropout(Double.NaN, 1));
    assertEquals("Dropout: p NaN (expected: 0 <= p < 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new Dropout2D(0.5, 1).forward(Tensor.zeros(4, 3), true));
    assertEquals("Dropout2D(p=0.5): input [4, 3] has rank 2 (expected: 4, [N, C, H, W], or 3, [N, C, L])", e.getMessage());
    Dropout d = new Dropout(0.5, 1);
    d.forward(Tensor.zeros(2, 3), true);
    e = assertThrows(IllegalArgumentException.class, () -> d.backward(Tensor.zeros(3, 2)));
    assertEquals("Dropout(p=0.5): gradient [3, 2] (expected: [2, 3], the shape of the latest output)", e.getMessage());
    IllegalStateException s = assertThrows(IllegalStateException.class, () -> new Dropout(0.5, 1).backward(Tensor.zeros(1)));
    assertEquals("Dropout(p=0.5): backward called before forward", s.getMessage());
    assertEquals("Dropout", d.typeName());
    assertEquals(0.5, d.p());
  }
}

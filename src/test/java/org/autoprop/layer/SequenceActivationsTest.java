package org.autoprop.layer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.autoprop.kernel.KernelProvider;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The elementwise layers a transformer uses, on sequences {@code [N, T, D]}: GELU (erf and tanh)
 * is the [N * T, D] layer (which matches PyTorch, {@code ActivationTest}) element for element,
 * with gradients checked by finite differences; Dropout keeps and scales elements of a sequence
 * and its backward applies the same mask.
 */
class SequenceActivationsTest {

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#fewSeeds")
  void geluOnSequencesIsElementwise(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    Shape shape = Shape.of(1 + r.nextInt(3), 1 + r.nextInt(9), 1 + r.nextInt(40));
    boolean tanh = r.nextBoolean();
    for (KernelProvider kernels : new KernelProvider[] {KernelProvider.scalar(), KernelProvider.vector()}) {
      GELU seq = KernelProvider.building(kernels, () -> new GELU(tanh));
      GELU rows = KernelProvider.building(kernels, () -> new GELU(tanh));
      Tensor x = Tensor.uniform(shape, -3, 3, seed);
      int d = shape.dim(2);
      Tensor y = seq.forward(x, true);
      assertEquals(shape, y.shape());
      assertArrayEquals(rows.forward(x.reshape(-1, d), true).toArray(), y.toArray());
      Tensor gy = Tensor.uniform(shape, -1, 1, seed + 1);
      assertArrayEquals(rows.backward(gy.reshape(-1, d)).toArray(), seq.backward(gy).toArray());
    }
    GELU gelu = new GELU(tanh);
    GradCheck.Report report = GradCheck.forLayer(gelu).seed(seed).check(Tensor.uniform(shape, -3, 3, seed + 2));
    assertTrue(report.passed(), report::toString);
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#fewSeeds")
  void dropoutOnSequences(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    double p = 0.1 + 0.5 * r.nextDouble();
    Shape shape = Shape.of(2 + r.nextInt(3), 8 + r.nextInt(9), 16 + r.nextInt(17));
    Dropout layer = new Dropout(p, seed);
    Tensor x = Tensor.uniform(shape, 1, 2, seed); // away from 0: the output shows the mask
    Tensor y = layer.forward(x, true);
    Tensor g = Tensor.uniform(shape, -1, 1, seed + 1);
    Tensor gx = layer.backward(g);
    float scale = (float) (1 / (1 - p));
    int dropped = 0;
    for (int i = 0; i < shape.size(); i++) {
      if (y.getFlat(i) == 0f) {
        dropped++;
        assertEquals(0f, gx.getFlat(i), 0f);
      } else {
        assertEquals(x.getFlat(i) * scale, y.getFlat(i), 1e-6f * scale);
        assertEquals(g.getFlat(i) * scale, gx.getFlat(i), 1e-6f * scale);
      }
    }
    // The dropped fraction is p within 5 standard deviations.
    double n = shape.size();
    assertEquals(p, dropped / n, 5 * Math.sqrt(p * (1 - p) / n), "dropped " + dropped + " of " + shape);
    assertArrayEquals(x.toArray(), layer.forward(x, false).toArray(), "identity in evaluation");
  }
}

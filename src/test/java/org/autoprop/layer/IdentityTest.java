package org.autoprop.layer;

import static org.autoprop.testing.TestTensors.maxAbsDiff;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Identity (Luma's Linear activation): y = x, gradient through. */
class IdentityTest {
  static List<Identity> layers() {
    return List.of(new Identity());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("layers")
  void passesContiguousTensorsThroughAndCopiesStridedOnes(Identity layer) {
    Tensor x = Tensor.uniform(Shape.of(2, 3, 4), -1f, 1f, 1);
    assertSame(x, layer.forward(x, true));
    Tensor g = Tensor.uniform(x.shape(), -1f, 1f, 2);
    assertSame(g, layer.backward(g), "the gradient passes through: nobody writes into returned tensors");
    Tensor strided = Tensor.uniform(Shape.of(4, 3), -1f, 1f, 3).transpose(0, 1);
    Tensor y = layer.forward(strided, true);
    assertTrue(y.isContiguous());
    assertEquals(0, maxAbsDiff(strided, y));
    assertSame(y, layer.forward(strided, true), "the copy buffer is reused");
    Tensor gx = layer.backward(strided);
    assertTrue(gx.isContiguous());
    assertEquals(0, maxAbsDiff(strided, gx));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("layers")
  void passesGradCheck(Identity layer) {
    for (long seed = 0; seed < 5; seed++) {
      SplittableRandom r = new SplittableRandom(seed);
      int[] dims = new int[1 + r.nextInt(4)];
      for (int i = 0; i < dims.length; i++) {
        dims[i] = 1 + r.nextInt(5);
      }
      GradCheck.Report report = GradCheck.forLayer(layer).check(Tensor.uniform(Shape.of(dims), -3f, 3f, seed));
      assertTrue(report.passed(1e-3), report::toString);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("layers")
  void checksItsArgumentsAndNamesItself(Identity layer) {
    String name = "Identity";
    assertEquals(name, layer.typeName());
    assertEquals(name, layer.toString());
    assertEquals(Shape.of(7, 1, 2), layer.outputShape(Shape.of(7, 1, 2)));
    IllegalStateException early = assertThrows(IllegalStateException.class, () -> layer.backward(Tensor.zeros(2)));
    assertEquals(name + ": backward called before forward", early.getMessage());
    layer.forward(Tensor.zeros(2, 3), true);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> layer.backward(Tensor.zeros(6)));
    assertEquals(name + ": gradient [6] (expected: [2, 3], the shape of the latest output)", e.getMessage());
  }
}

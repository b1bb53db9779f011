package org.autoprop.layer;

import static org.autoprop.testing.TestTensors.maxAbsDiff;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Layer contract's "backward adds parameter gradients": two backward passes of the same
 * upstream gradient leave exactly twice the gradient of one, and the input gradient does not
 * depend on how many times backward ran. The graph's fan-out relies on both.
 */
class GradientAccumulationTest {
  static Stream<Arguments> layers() {
    return Stream.of(
        Arguments.of("Conv2D", (Supplier<Layer>) () -> Conv2D.builder(3, 4).kernel(3, 3).padding(Padding.SAME).seed(1).build(), Shape.of(2, 3, 6, 5)),
        Arguments.of("Conv2D depthwise", (Supplier<Layer>) () -> Conv2D.builder(4, 4).kernel(3, 3).groups(4).seed(2).build(), Shape.of(2, 4, 6, 6)),
        Arguments.of("Conv2D 1x1", (Supplier<Layer>) () -> Conv2D.builder(3, 5).kernel(1, 1).seed(3).build(), Shape.of(2, 3, 4, 4)),
        Arguments.of("Dense", (Supplier<Layer>) () -> Dense.builder(7, 5).seed(4).build(), Shape.of(3, 7)),
        Arguments.of("BatchNorm2D", (Supplier<Layer>) () -> new BatchNorm2D(3), Shape.of(4, 3, 3, 3)),
        Arguments.of("BatchNorm1D", (Supplier<Layer>) () -> new BatchNorm1D(5), Shape.of(6, 5)),
        Arguments.of("MaxPool2D", (Supplier<Layer>) () -> Pool2D.max(2, 2, 0), Shape.of(2, 3, 4, 4)),
        Arguments.of("Softmax", (Supplier<Layer>) () -> new Softmax(1), Shape.of(3, 6)),
        Arguments.of("GELU", (Supplier<Layer>) GELU::new, Shape.of(2, 9)),
        Arguments.of("Flatten", (Supplier<Layer>) Flatten::new, Shape.of(2, 3, 2, 2)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("layers")
  void backwardAddsParameterGradientsAndKeepsTheInputGradient(String name, Supplier<Layer> factory, Shape input) {
    Layer layer = factory.get();
    Tensor x = Tensor.uniform(input, -1f, 1f, 11);
    Tensor y = layer.forward(x, true);
    Tensor g = Tensor.uniform(y.shape(), -1f, 1f, 12);
    layer.zeroGrad();
    Tensor gx1 = layer.backward(g).copy();
    List<Tensor> once = new ArrayList<>();
    for (Parameter p : layer.parameters()) {
      once.add(p.grad().copy());
    }
    Tensor gx2 = layer.backward(g);
    assertEquals(0.0, maxAbsDiff(gx1, gx2), name + ": input gradient changed on a second backward");
    List<Parameter> params = layer.parameters();
    for (int i = 0; i < params.size(); i++) {
      Tensor twice = params.get(i).grad();
      Tensor expected = once.get(i).copy();
      float[] e = expected.data();
      for (int j = 0; j < e.length; j++) {
        e[j] *= 2f;
      }
      assertFalse(once.get(i).maxAbs() == 0, name + "." + params.get(i).name() + ": zero gradient makes the test vacuous");
      assertEquals(0.0, maxAbsDiff(expected, twice), 1e-6 * (1 + expected.maxAbs()),
          name + "." + params.get(i).name() + ": backward must add into the gradient");
    }
  }
}

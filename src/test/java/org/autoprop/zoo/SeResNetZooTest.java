package org.autoprop.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.autoprop.io.SafeTensors;
import org.autoprop.tensor.Shape;
import org.autoprop.testing.Conformance;
import org.autoprop.testing.ZooCases;
import org.junit.jupiter.api.Test;

/**
 * SE-ResNet-50 against timm's {@code seresnet50} definition composed of torchvision's ResNet and
 * Bottleneck with timm's SE module ({@code tools/conformance/resnest_blocks.py}): names, shapes and
 * parameter count; its bottleneck is compared forward and backward in {@code ResNeStBlockTest}.
 */
class SeResNetZooTest {
  private static final SafeTensors F = Conformance.load("zoo_resnest");

  @Test
  void namesShapesAndParameterCountAreTimms() {
    assertEquals("seresnet50", F.metadata().get("models"));
    ResNet model = ResNet.seResnet50().classes(10).seed(1).build();
    ZooCases.assertNamesAndCount(F, "seresnet50", model);
    assertEquals("SE-ResNet-50", model.typeName());
    assertEquals(Shape.of(2, 10), model.outputShape(Shape.of(2, 3, 64, 64)));
  }
}

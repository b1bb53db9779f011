package org.autoprop.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.autoprop.blocks.ShuffleNetBlock;
import org.autoprop.io.SafeTensors;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.testing.Conformance;
import org.autoprop.testing.ZooCases;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * ShuffleNetV2 and ShuffleNetBlock against torchvision 0.14 ({@code tools/conformance/shufflenet_zoo.py}):
 * full-size names, shapes and parameter counts of the four widths; a narrow ShuffleNetV2 loads
 * torchvision's state dict strictly and agrees in evaluation, in training (running statistics too)
 * and after one SGD step; both kinds of unit agree with torchvision's {@code InvertedResidual}
 * forward and backward. Finite differences: the catalogue entries in {@code LayerCatalog}.
 */
class ShuffleNetZooTest {
  private static final SafeTensors F = Conformance.load("zoo_shufflenet");

  private static final Map<String, Supplier<ShuffleNetV2.Builder>> MODELS = Map.of(
      "shufflenet_v2_x0_5", ShuffleNetV2::x0_5,
      "shufflenet_v2_x1_0", ShuffleNetV2::x1_0,
      "shufflenet_v2_x1_5", ShuffleNetV2::x1_5,
      "shufflenet_v2_x2_0", ShuffleNetV2::x2_0);

  static Stream<String> models() {
    return Arrays.stream(F.metadata().get("models").split(","));
  }

  @Test
  void everyModelOfTheFileIsHere() {
    assertEquals(new TreeSet<>(MODELS.keySet()), models().collect(Collectors.toCollection(TreeSet::new)));
    assertEquals("shufflenet_narrow", F.metadata().get("small"));
    assertEquals("stride1,stride2", F.metadata().get("blocks"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void namesShapesAndParameterCountAreTorchvisions(String key) {
    ZooCases.assertNamesAndCount(F, key, MODELS.get(key).get().classes(10).seed(1).build());
  }

  @Test
  void narrowModelMatchesTorchvisionInEvaluationTrainingAndAfterAStep() {
    ShuffleNetV2 model = ShuffleNetV2.custom("ShuffleNetV2-narrow", new int[] {1, 2, 1}, new int[] {4, 8, 12, 16, 20})
        .classes(5).seed(1).build();
    ZooCases.assertModelCase(F, "shufflenet_narrow", model);
  }

  @Test
  void unitsMatchTorchvisions() {
    ZooCases.assertBlockCase(F, "stride1", ShuffleNetBlock.builder(6, 6, 1).seed(1).build());
    ZooCases.assertBlockCase(F, "stride2", ShuffleNetBlock.builder(4, 6, 2).seed(1).build());
  }

  @Test
  void modelsAndBlocksAreNamedAndTheirOptionsChecked() {
    ShuffleNetV2 small = ShuffleNetV2.custom("S", new int[] {1, 1, 1}, new int[] {2, 4, 4, 6, 8}).classes(3)
        .inChannels(1).seed(2).build();
    assertEquals("S", small.typeName());
    assertEquals(Shape.of(2, 3), small.outputShape(Shape.of(2, 1, 32, 32)));
    assertEquals("ShuffleNetV2-x1.0", ShuffleNetV2.x1_0().classes(2).seed(1).build().typeName());
    assertEquals("ShuffleNetBlock", ShuffleNetBlock.builder(4, 4, 1).seed(1).build().typeName());
    var e = assertThrows(IllegalArgumentException.class, () -> ShuffleNetBlock.builder(4, 6, 1));
    assertEquals("ShuffleNetBlock: stride 1 with in 4, out 6 (expected: in == out, the halves split from the input)",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ShuffleNetBlock.builder(4, 5, 2));
    assertEquals("ShuffleNetBlock: in 4, out 5 (expected: in >= 1, out even and >= 2)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ShuffleNetBlock.builder(4, 4, 4));
    assertEquals("ShuffleNetBlock: stride 4 (expected: 1 .. 3, torchvision's range)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ShuffleNetV2.custom("S", new int[] {1, 1}, new int[5]));
    assertEquals("S: 2 repeats, 5 channels (expected: 3 and 5, as torchvision)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> ShuffleNetV2.custom("S", new int[] {1, 1, 1}, new int[] {2, 3, 4, 6, 8}));
    assertEquals("S: channels [2, 3, 4, 6, 8] (expected: >= 1 each, the three stages' even)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ShuffleNetV2.x1_0().classes(0));
    assertEquals("ShuffleNetV2-x1.0: classes 0 (expected: >= 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> small.forward(Tensor.zeros(1, 3, 32, 32), false));
    assertTrue(e.getMessage().startsWith("S: ") && e.getMessage().contains("[1, 3, 32, 32]"), e.getMessage());
  }
}

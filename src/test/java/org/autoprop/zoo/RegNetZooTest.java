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
import org.autoprop.blocks.RegNetBlock;
import org.autoprop.io.SafeTensors;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.testing.Conformance;
import org.autoprop.testing.ZooCases;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * RegNet and RegNetBlock against torchvision 0.14 ({@code tools/conformance/regnet_zoo.py}):
 * full-size names, shapes and parameter counts of RegNetY and RegNetX 400MF and 800MF (so the stage
 * settings are torchvision's); a narrow RegNetY loads torchvision's state dict strictly and agrees
 * in evaluation, in training (running statistics too) and after one SGD step; the block with the
 * squeeze-and-excitation gate and identity shortcut and the one with a projection and bottleneck
 * 0.5 agree with torchvision's {@code ResBottleneckBlock} forward and backward. Finite differences:
 * the catalogue entries in {@code LayerCatalog}.
 */
class RegNetZooTest {
  private static final SafeTensors F = Conformance.load("zoo_regnet");

  private static final Map<String, Supplier<RegNet.Builder>> MODELS = Map.of(
      "regnet_y_400mf", RegNet::regnetY400mf,
      "regnet_y_800mf", RegNet::regnetY800mf,
      "regnet_x_400mf", RegNet::regnetX400mf,
      "regnet_x_800mf", RegNet::regnetX800mf);

  static Stream<String> models() {
    return Arrays.stream(F.metadata().get("models").split(","));
  }

  @Test
  void everyModelOfTheFileIsHere() {
    assertEquals(new TreeSet<>(MODELS.keySet()), models().collect(Collectors.toCollection(TreeSet::new)));
    assertEquals("regnet_narrow", F.metadata().get("small"));
    assertEquals("identity_se,proj", F.metadata().get("blocks"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void namesShapesAndParameterCountAreTorchvisions(String key) {
    ZooCases.assertNamesAndCount(F, key, MODELS.get(key).get().classes(10).seed(1).build());
  }

  @Test
  void narrowModelMatchesTorchvisionInEvaluationTrainingAndAfterAStep() {
    RegNet model = RegNet.custom("RegNet-narrow", new int[] {8, 16}, new int[] {1, 2}, new int[] {4, 8}).seRatio(0.25)
        .stemWidth(8).classes(5).seed(1).build();
    ZooCases.assertModelCase(F, "regnet_narrow", model);
  }

  @Test
  void blocksMatchTorchvisions() {
    ZooCases.assertBlockCase(F, "identity_se", RegNetBlock.builder(8, 8).groupWidth(4).seRatio(0.25).seed(1).build());
    ZooCases.assertBlockCase(F, "proj", RegNetBlock.builder(4, 8).stride(2).groupWidth(2).bottleneck(0.5).seed(1)
        .build());
  }

  @Test
  void modelsAndBlocksAreNamedAndTheirOptionsChecked() {
    RegNet small = RegNet.custom("R", new int[] {4}, new int[] {1}, new int[] {2}).stemWidth(4).classes(3).inChannels(1)
        .seed(2).build();
    assertEquals("R", small.typeName());
    assertEquals(Shape.of(2, 3), small.outputShape(Shape.of(2, 1, 9, 9)));
    assertEquals("RegNetY-400MF", RegNet.regnetY400mf().classes(2).seed(1).build().typeName());
    assertEquals("RegNetBlock", RegNetBlock.builder(2, 2).seed(1).build().typeName());
    var e = assertThrows(IllegalArgumentException.class, () -> RegNetBlock.builder(4, 6).groupWidth(4).build());
    assertEquals("RegNetBlock: inner width 6 is not a multiple of groupWidth 4 (expected: torchvision's adjusted widths)",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> RegNetBlock.builder(1, 4).seRatio(0.25).build());
    assertEquals("RegNetBlock: squeeze width round(seRatio * in) = round(0.25 * 1) = 0 (expected: >= 1)",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> RegNet.custom("R", new int[] {4, 6}, new int[] {1, 1}, new int[] {2, 4}).build());
    assertEquals("R: stage 2 (widths [4, 6], group widths [2, 4]): RegNetBlock: inner width 6 is not a multiple of "
        + "groupWidth 4 (expected: torchvision's adjusted widths)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> RegNet.custom("R", new int[] {4}, new int[] {1}, new int[0]));
    assertEquals("R: 1 widths, 1 depths, 0 group widths (expected: as many, at least one)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> RegNet.regnetX400mf().classes(0));
    assertEquals("RegNetX-400MF: classes 0 (expected: >= 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> small.forward(Tensor.zeros(1, 3, 9, 9), false));
    assertTrue(e.getMessage().startsWith("R: ") && e.getMessage().contains("[1, 3, 9, 9]"), e.getMessage());
  }
}

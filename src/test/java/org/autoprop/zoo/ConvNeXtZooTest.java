package org.autoprop.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.autoprop.blocks.ConvNeXtBlock;
import org.autoprop.io.SafeTensors;
import org.autoprop.io.StateDict;
import org.autoprop.layer.DropPath;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.testing.Conformance;
import org.autoprop.testing.TestTensors;
import org.autoprop.testing.ZooCases;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ConvNeXt and ConvNeXtBlock against torchvision 0.14 ({@code tools/conformance/convnext_zoo.py}):
 * full-size names, shapes and parameter counts of {@code convnext_tiny} and {@code convnext_small};
 * a narrow ConvNeXt (widths 8, 16, depths 1, 2) loads torchvision's state dict strictly and agrees in
 * evaluation, in training and after one SGD step; the V1 block agrees with torchvision's
 * {@code CNBlock} and the V2 block with ConvNeXt V2's, forward and backward. Finite differences: the
 * catalogue entries in {@code LayerCatalog}.
 */
class ConvNeXtZooTest {
  private static final SafeTensors F = Conformance.load("zoo_convnext");

  private static final Map<String, Supplier<ConvNeXt.Builder>> MODELS = Map.of(
      "convnext_tiny", ConvNeXt::convnextTiny,
      "convnext_small", ConvNeXt::convnextSmall);

  static Stream<String> models() {
    return Arrays.stream(F.metadata().get("models").split(","));
  }

  @Test
  void everyModelOfTheFileIsHere() {
    assertEquals(new TreeSet<>(MODELS.keySet()), models().collect(Collectors.toCollection(TreeSet::new)));
    assertEquals("convnext_narrow", F.metadata().get("small"));
    assertEquals("v1,v2", F.metadata().get("blocks"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void namesShapesAndParameterCountAreTorchvisions(String key) {
    ZooCases.assertNamesAndCount(F, key, MODELS.get(key).get().classes(10).seed(1).build());
  }

  @Test
  void narrowModelMatchesTorchvisionInEvaluationTrainingAndAfterAStep() {
    ConvNeXt model = ConvNeXt.custom("ConvNeXt-narrow", new int[] {8, 16}, new int[] {1, 2}).classes(5).seed(1)
        .build();
    ZooCases.assertModelCase(F, "convnext_narrow", model);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"v1", "v2"})
  void blocksMatchTheirReference(String key) {
    ConvNeXtBlock block = key.equals("v1") ? ConvNeXtBlock.v1(8).seed(1).build() : ConvNeXtBlock.v2(4).seed(1).build();
    ZooCases.assertBlockCase(F, key, block);
  }

  @Test
  void stochasticDepthGrowsLinearlyOverTheBlocks() {
    ConvNeXt tiny = ConvNeXt.convnextTiny().classes(2).seed(3).build();
    // 18 blocks: block k drops with 0.1 k / 17, as torchvision.
    double[] expected = new double[18];
    for (int k = 0; k < 18; k++) {
      expected[k] = 0.1 * k / 17.0;
    }
    double[] actual = tiny.graph().nodes().stream().flatMap(n -> ZooLayers.all(n.layer()))
        .filter(l -> l instanceof DropPath).mapToDouble(l -> ((DropPath) l).p()).toArray();
    assertEquals(Arrays.toString(expected), Arrays.toString(actual));
  }

  @Test
  void layerScaleIsABareParameterAndTheBlockIsNamedAndChecked() {
    ConvNeXtBlock block = ConvNeXtBlock.v1(3).layerScale(0.25).seed(2).build();
    assertEquals("ConvNeXtBlock.V1", block.typeName());
    Tensor scale = StateDict.of(block).get("layer_scale");
    assertEquals(Shape.of(3, 1, 1), scale.shape());
    assertEquals(0.25f, scale.getFlat(2));
    assertEquals("ConvNeXtBlock.V2", ConvNeXtBlock.v2(3).seed(2).build().typeName());
    var e = assertThrows(IllegalArgumentException.class, () -> ConvNeXtBlock.v2(3).layerScale(1));
    assertEquals("ConvNeXtBlock.V2: layerScale is an option of ConvNeXtBlock.V1 (V2 has a GRN)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ConvNeXtBlock.v1(0));
    assertEquals("ConvNeXtBlock.V1: channels 0 (expected: >= 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ConvNeXtBlock.v1(2).stochasticDepth(1.5));
    assertEquals("ConvNeXtBlock.V1: stochasticDepth 1.5 (expected: 0 <= p <= 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> block.forward(Tensor.zeros(1, 4, 5, 5), false));
    assertTrue(e.getMessage().startsWith("ConvNeXtBlock.V1: ") && e.getMessage().contains("[1, 4, 5, 5]"),
        e.getMessage());
  }

  @Test
  void stochasticDepthDropsWholeBranchesInTrainingOnly() {
    ConvNeXtBlock block = ConvNeXtBlock.v1(2).layerScale(1).stochasticDepth(1).seed(4).build();
    Tensor x = Tensor.uniform(Shape.of(3, 2, 4, 4), -1f, 1f, 5);
    // p = 1: every branch dropped, the block is the identity in training.
    assertEquals(0, TestTensors.maxAbsDiff(x, block.forward(x, true)));
    assertNotEquals(0, TestTensors.maxAbsDiff(x, block.forward(x, false)));
  }

  @Test
  void modelsAreNamedAndTheirOptionsChecked() {
    ConvNeXt small = ConvNeXt.custom("ConvNeXt-mini", new int[] {4}, new int[] {1}).classes(3).inChannels(1).seed(2)
        .build();
    assertEquals("ConvNeXt-mini", small.typeName());
    assertEquals(Shape.of(2, 3), small.outputShape(Shape.of(2, 1, 12, 8)));
    assertEquals("ConvNeXt-Tiny", ConvNeXt.convnextTiny().classes(2).seed(1).build().typeName());
    var e = assertThrows(IllegalArgumentException.class, () -> ConvNeXt.custom("C", new int[] {4, 8}, new int[] {1}));
    assertEquals("C: 2 widths, 1 depths (expected: as many, at least one)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ConvNeXt.custom("C", new int[] {4}, new int[] {0}));
    assertEquals("C: stage 0 width 4, depth 0 (expected: >= 1 each)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ConvNeXt.convnextTiny().classes(0));
    assertEquals("ConvNeXt-Tiny: classes 0 (expected: >= 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ConvNeXt.convnextTiny().stochasticDepth(-0.1));
    assertEquals("ConvNeXt-Tiny: stochasticDepth -0.1 (expected: 0 <= p <= 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> small.forward(Tensor.zeros(1, 3, 8, 8), false));
    assertTrue(e.getMessage().startsWith("ConvNeXt-mini: ") && e.getMessage().contains("[1, 3, 8, 8]"),
        e.getMessage());
  }
}

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
import org.autoprop.io.SafeTensors;
import org.autoprop.io.StateDict;
import org.autoprop.layer.DropPath;
import org.autoprop.layer.Layer;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.testing.Conformance;
import org.autoprop.testing.LayerTree;
import org.autoprop.testing.SyntheticWeights;
import org.autoprop.train.CrossEntropyLoss;
import org.autoprop.train.Sgd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * MobileNetV3 and EfficientNet against torchvision 0.14 ({@code tools/conformance/efficient_zoo.py}):
 * the state-dict names and shapes (BatchNorm's {@code num_batches_tracked} included) and the
 * parameter count of {@code mobilenet_v3_small}, {@code mobilenet_v3_large}, {@code efficientnet_b0}
 * and {@code efficientnet_v2_s} are torchvision's, and on small variants (width 0.25; EfficientNet
 * tables of three stages, one with width and depth multipliers, one with fused stages and eps 1e-3)
 * with the same synthetic weights ({@link SyntheticWeights}) the evaluation logits, the training
 * logits and the evaluation logits after one SGD step agree with torchvision's float64 ones.
 * MobileNetV1, which torchvision lacks, is compared the same way with a torch.nn twin written in
 * the script.
 */
class EfficientZooTest {
  private static final SafeTensors F = Conformance.load("zoo_efficient");

  private static final Map<String, Supplier<Layer>> MODELS = Map.of(
      "mobilenet_v3_small", () -> MobileNetV3.small().classes(10).seed(1).build(),
      "mobilenet_v3_large", () -> MobileNetV3.large().classes(10).seed(1).build(),
      "efficientnet_b0", () -> EfficientNet.b0().classes(10).seed(1).build(),
      "efficientnet_v2_s", () -> EfficientNet.v2S().classes(10).seed(1).build(),
      "mobilenet_v3_small_w025", () -> MobileNetV3.small().widthMultiplier(0.25).dropout(0).classes(10).seed(1)
          .build(),
      "mobilenet_v3_large_w025", () -> MobileNetV3.large().widthMultiplier(0.25).dropout(0).classes(10).seed(1)
          .build(),
      "efficientnet_tiny", EfficientZooTest::efficientNetTiny,
      "efficientnet_v2_tiny", EfficientZooTest::efficientNetV2Tiny,
      "mobilenet_v1_w025", () -> MobileNetV1.builder().widthMultiplier(0.25).classes(10).seed(1).build());

  /** The script's {@code efficientnet_tiny}: MBConv stages at width 0.5, depth 1.5. */
  private static Layer efficientNetTiny() {
    return EfficientNet.custom("EfficientNet-tiny", EfficientNet.Stage.mbConv(1, 3, 1, 32, 16, 1),
        EfficientNet.Stage.mbConv(6, 5, 2, 16, 32, 1), EfficientNet.Stage.mbConv(4, 3, 2, 32, 48, 2))
        .widthMultiplier(0.5).depthMultiplier(1.5).dropout(0).stochasticDepth(0).classes(10).seed(1).build();
  }

  /** The script's {@code efficientnet_v2_tiny}: two fused stages and one MBConv, eps 1e-3. */
  private static Layer efficientNetV2Tiny() {
    return EfficientNet.custom("EfficientNetV2-tiny", EfficientNet.Stage.fused(1, 3, 1, 8, 8, 2),
        EfficientNet.Stage.fused(4, 3, 2, 8, 16, 1), EfficientNet.Stage.mbConv(4, 3, 2, 16, 24, 2))
        .lastChannel(32).eps(1e-3).dropout(0).stochasticDepth(0).classes(10).seed(1).build();
  }

  static Stream<String> models() {
    return Arrays.stream(F.metadata().get("models").split(","));
  }

  @Test
  void everyModelOfTheFileIsHere() {
    assertEquals(new TreeSet<>(MODELS.keySet()), models().collect(Collectors.toCollection(TreeSet::new)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void namesShapesAndParameterCountAreTorchvisions(String key) {
    Layer model = MODELS.get(key).get();
    String names = StateDict.of(model).entrySet().stream()
        .map(e -> e.getKey() + ":" + Arrays.stream(e.getValue().shape().dims()).mapToObj(Integer::toString)
            .collect(Collectors.joining("x")))
        .sorted().collect(Collectors.joining(";"));
    assertEquals(F.metadata().get(key + ".names"), names, key + ": state-dict names and shapes");
    long count = model.parameters().stream().mapToLong(p -> p.value().size()).sum();
    assertEquals(Long.parseLong(F.metadata().get(key + ".params")), count, key + ": parameters");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"mobilenet_v3_small_w025", "mobilenet_v3_large_w025", "efficientnet_tiny",
      "efficientnet_v2_tiny", "mobilenet_v1_w025"})
  void logitsAndOneTrainingStepAreTorchvisions(String key) {
    Layer model = MODELS.get(key).get();
    SyntheticWeights.fill(model);
    // The script's input is the formula too; only its shape is stored.
    Tensor x = SyntheticWeights.of("x", Shape.of(Arrays.stream(F.metadata().get(key + ".input").split("x"))
        .mapToInt(Integer::parseInt).toArray()));
    Conformance.assertClose(key + " evaluation logits", F.tensor(key + ".eval"), model.forward(x, false));

    Sgd sgd = new Sgd(model.parameters(), 0.1, 0, 0, 0, false);
    sgd.zeroGrad();
    Tensor logits = model.forward(x, true);
    // Batch statistics over few values amplify float32 rounding: the bound is twice PyTorch's own
    // float32 error, or the tolerance.
    Conformance.assertClose(key + " training logits", F.tensor(key + ".train"), logits, bound(key + ".train"));
    float[] labelValues = F.tensor(key + ".labels").toArray();
    int[] labels = new int[labelValues.length];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = (int) labelValues[i];
    }
    CrossEntropyLoss loss = new CrossEntropyLoss();
    loss.forward(logits, labels);
    model.backward(loss.backward());
    sgd.step();
    Conformance.assertClose(key + " evaluation logits after one SGD step", F.tensor(key + ".step"),
        model.forward(x, false), bound(key + ".step"));
  }

  private static double bound(String key) {
    return Math.max(Conformance.TOLERANCE, 2 * Double.parseDouble(F.metadata().get(key + "_f32_error")));
  }

  @Test
  void modelsAreNamedAndTheirOptionsChecked() {
    assertEquals("MobileNetV3-Small", MobileNetV3.small().classes(3).seed(2).build().typeName());
    assertEquals("EfficientNet-B0", EfficientNet.b0().classes(3).seed(2).build().typeName());
    assertEquals("EfficientNetV2-S", EfficientNet.v2S().classes(3).seed(2).build().typeName());
    MobileNetV3 large = MobileNetV3.large().classes(7).inChannels(1).widthMultiplier(0.25).seed(2).build();
    assertEquals("MobileNetV3-Large", large.typeName());
    assertEquals(Shape.of(2, 7), large.outputShape(Shape.of(2, 1, 32, 32)));
    // Every width rounds up to 8 at width 0.25 but the head's 1280 * 0.25 = 320.
    assertEquals(Shape.of(8, 1, 3, 3), StateDict.of(large).get("features.0.0.weight").shape());
    assertEquals(Shape.of(320, 240), StateDict.of(large).get("classifier.0.weight").shape());
    assertEquals(Shape.of(7, 320), StateDict.of(large).get("classifier.3.weight").shape());

    var e = assertThrows(IllegalArgumentException.class, () -> MobileNetV3.small().classes(0));
    assertEquals("MobileNetV3-Small: classes 0 (expected: >= 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> MobileNetV3.large().widthMultiplier(0));
    assertEquals("MobileNetV3-Large: widthMultiplier 0.0 (expected: 0 < widthMultiplier <= 1e4)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> MobileNetV3.small().dropout(1));
    assertEquals("MobileNetV3-Small: dropout 1.0 (expected: 0 <= dropout < 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> EfficientNet.b0().inChannels(0));
    assertEquals("EfficientNet-B0: inChannels 0 (expected: >= 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> EfficientNet.v2S().stochasticDepth(-0.5));
    assertEquals("EfficientNetV2-S: stochasticDepth -0.5 (expected: 0 <= p <= 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> EfficientNet.custom("E"));
    assertEquals("E: no stages (expected: >= 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> EfficientNet.Stage.fused(4, 3, 3, 8, 8, 1));
    assertEquals("EfficientNet: stage FusedMBConv(expand 4.0, kernel 3, stride 3, in 8, out 8, layers 1) (expected:"
        + " expand > 0, odd kernel, stride 1 or 2, in, out, layers >= 1)", e.getMessage());
    Layer tiny = efficientNetV2Tiny();
    e = assertThrows(IllegalArgumentException.class, () -> tiny.forward(Tensor.zeros(1, 1, 32, 32), false));
    assertTrue(e.getMessage().startsWith("EfficientNetV2-tiny: ") && e.getMessage().contains("[1, 1, 32, 32]"),
        e.getMessage());
  }

  @Test
  void stochasticDepthGrowsLinearlyOverTheBlocks() {
    // B0 has 16 blocks: block i has p = 0.2 * i / 16; only the blocks with a residual (stride 1,
    // in == out) hold a DropPath: blocks 2, 4, 6, 7, 9, 10, 12, 13 and 14.
    double[] p = LayerTree.all(EfficientNet.b0().classes(3).seed(3).build(), DropPath.class).stream()
        .mapToDouble(DropPath::p).toArray();
    double[] expected = java.util.stream.IntStream.of(2, 4, 6, 7, 9, 10, 12, 13, 14).mapToDouble(i -> 0.2 * i / 16)
        .toArray();
    assertEquals(Arrays.toString(expected), Arrays.toString(p));
    assertEquals(0, LayerTree.all(EfficientNet.b0().stochasticDepth(0).classes(3).seed(3).build(), DropPath.class)
        .size());
  }
}

package org.autoprop.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.autoprop.io.SafeTensors;
import org.autoprop.io.StateDict;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.testing.Conformance;
import org.autoprop.testing.SyntheticWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * MobileNetV2 against torchvision 0.14's {@code mobilenet_v2} ({@code tools/conformance/mobilenet_zoo.py}):
 * the state-dict names and shapes and the parameter count are torchvision's at width 1.0 and 0.5,
 * and with the same synthetic weights ({@link SyntheticWeights}) the evaluation logits of a fixed
 * batch agree with torchvision's, computed in float64. Training mode is not compared: the
 * classifier's dropout draws a random mask on each side.
 */
class MobileNetZooTest {
  private static final SafeTensors F = Conformance.load("zoo_mobilenet");

  private static final Map<String, Double> MODELS = Map.of("mobilenet_v2", 1.0, "mobilenet_v2_w05", 0.5);

  static Stream<String> models() {
    return Arrays.stream(F.metadata().get("models").split(","));
  }

  private static MobileNetV2 build(String key) {
    return MobileNetV2.builder().classes(10).widthMultiplier(MODELS.get(key)).seed(1).build();
  }

  @Test
  void everyModelOfTheFileIsHere() {
    assertEquals(new TreeSet<>(MODELS.keySet()), models().collect(Collectors.toCollection(TreeSet::new)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void namesShapesAndParameterCountAreTorchvisions(String key) {
    MobileNetV2 model = build(key);
    String names = StateDict.of(model).entrySet().stream()
        .map(e -> e.getKey() + ":" + Arrays.stream(e.getValue().shape().dims()).mapToObj(Integer::toString)
            .collect(Collectors.joining("x")))
        .sorted().collect(Collectors.joining(";"));
    assertEquals(F.metadata().get(key + ".names"), names, key + ": state-dict names and shapes");
    long count = model.parameters().stream().mapToLong(p -> p.value().size()).sum();
    assertEquals(Long.parseLong(F.metadata().get(key + ".params")), count, key + ": parameters");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void evaluationLogitsWithTheSameWeightsAreTorchvisions(String key) {
    MobileNetV2 model = build(key);
    SyntheticWeights.fill(model);
    Tensor x = F.tensor(key + ".x");
    Conformance.assertClose(key + " input (the formula)", x, SyntheticWeights.of("x", x.shape()), 0);
    Conformance.assertClose(key + " evaluation logits", F.tensor(key + ".eval"), model.forward(x, false));
  }

  /**
   * torchvision's {@code _make_divisible(v, 8)}: the values torchvision 0.14 prints, among them the
   * 10% rule (11.9 and 19.9 round up) and rounding down (35.2, 75.9).
   */
  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({"32, 32", "16, 16", "12, 16", "11.9, 16", "3.2, 8", "0.1, 8", "44, 48", "20, 24", "19.9, 24",
      "35.2, 32", "17.6, 16", "1280, 1280", "1600, 1600", "160, 160", "76, 80", "75.9, 72"})
  void widthsRoundAsMakeDivisible(double v, int expected) {
    assertEquals(expected, MobileNetV2.makeDivisible(v));
  }

  @Test
  void modelsAreNamedAndTheirOptionsChecked() {
    MobileNetV2 small = MobileNetV2.builder().classes(3).inChannels(1).widthMultiplier(0.1).dropout(0).seed(2).build();
    assertEquals("MobileNetV2", small.typeName());
    assertEquals(Shape.of(2, 3), small.outputShape(Shape.of(2, 1, 28, 28)));
    assertEquals(Shape.of(8, 1, 3, 3), StateDict.of(small).get("features.0.0.weight").shape());
    assertEquals(Shape.of(3, 1280), StateDict.of(small).get("classifier.1.weight").shape());
    // Every width rounds up to 8, the last stays 1280 (torchvision scales it only up).
    assertEquals(Shape.of(8, 8, 1, 1), StateDict.of(small).get("features.1.conv.1.weight").shape());
    assertEquals(Shape.of(48, 1, 3, 3), StateDict.of(small).get("features.2.conv.1.0.weight").shape());
    var e = assertThrows(IllegalArgumentException.class, () -> MobileNetV2.builder().classes(0));
    assertEquals("MobileNetV2: classes 0 (expected: >= 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> MobileNetV2.builder().inChannels(-1));
    assertEquals("MobileNetV2: inChannels -1 (expected: >= 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> MobileNetV2.builder().widthMultiplier(0));
    assertEquals("MobileNetV2: widthMultiplier 0.0 (expected: 0 < widthMultiplier <= 1e6)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> MobileNetV2.builder().dropout(1));
    assertEquals("MobileNetV2: dropout 1.0 (expected: 0 <= dropout < 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> small.forward(Tensor.zeros(1, 3, 32, 32), true));
    assertTrue(e.getMessage().startsWith("MobileNetV2: ") && e.getMessage().contains("[1, 3, 32, 32]"), e.getMessage());
  }
}

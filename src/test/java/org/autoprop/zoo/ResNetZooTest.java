package org.autoprop.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.autoprop.io.SafeTensors;
import org.autoprop.io.StateDict;
import org.autoprop.layer.Parameter;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.testing.Conformance;
import org.autoprop.testing.SyntheticWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The ResNet zoo against torchvision 0.14 ({@code tools/conformance/resnet_zoo.py}): every model's
 * state-dict names and shapes and its parameter count are torchvision's, and with the same
 * synthetic weights ({@link SyntheticWeights}) the logits of a fixed batch
 * agree in evaluation and in training mode, computed by torchvision in float64.
 */
class ResNetZooTest {
  private static final SafeTensors F = Conformance.load("zoo_resnet");

  private static final Map<String, Supplier<ResNet.Builder>> MODELS = Map.of(
      "resnet18", ResNet::resnet18,
      "resnet34", ResNet::resnet34,
      "resnet50", ResNet::resnet50,
      "resnet101", ResNet::resnet101,
      "resnet152", ResNet::resnet152,
      "resnext50_32x4d", ResNet::resnext50x32x4d,
      "wide_resnet50_2", ResNet::wideResnet50x2,
      "resnet18_small_1ch", () -> ResNet.resnet18().smallImages().inChannels(1));

  static Stream<String> models() {
    return Arrays.stream(F.metadata().get("models").split(","));
  }

  private static ResNet build(String key) {
    return MODELS.get(key).get().classes(10).seed(1).build();
  }

  @Test
  void everyModelOfTheFileIsHere() {
    assertEquals(new TreeSet<>(MODELS.keySet()), models().collect(Collectors.toCollection(TreeSet::new)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void namesShapesAndParameterCountAreTorchvisions(String key) {
    ResNet model = build(key);
    String names = StateDict.of(model).entrySet().stream()
        .map(e -> e.getKey() + ":" + Arrays.stream(e.getValue().shape().dims()).mapToObj(Integer::toString)
            .collect(Collectors.joining("x")))
        .sorted().collect(Collectors.joining(";"));
    assertEquals(F.metadata().get(key + ".names"), names, key + ": state-dict names and shapes");
    long count = model.parameters().stream().mapToLong(p -> p.value().size()).sum();
    assertEquals(Long.parseLong(F.metadata().get(key + ".params")), count, key + ": parameters");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"resnet18", "resnet50", "resnext50_32x4d", "resnet18_small_1ch"})
  void logitsWithTheSameWeightsAreTorchvisions(String key) {
    ResNet model = build(key);
    SyntheticWeights.fill(model);
    Tensor x = F.tensor(key + ".x");
    Conformance.assertClose(key + " input (the formula)", x, SyntheticWeights.of("x", x.shape()), 0);
    Conformance.assertClose(key + " evaluation logits", F.tensor(key + ".eval"), model.forward(x, false));
    // Training mode normalises layer4 over batch 2 x 2x2 positions, which amplifies float32
    // rounding in the deep models: the bound is twice PyTorch's own float32 error, or 1e-4.
    Tensor train = F.tensor(key + ".train");
    double pytorchError = Double.parseDouble(F.metadata().get(key + ".train_f32_error"));
    Conformance.assertClose(key + " training logits (PyTorch float32 is off by " + pytorchError + ")", train,
        model.forward(x, true), Math.max(Conformance.TOLERANCE, 2 * pytorchError / train.maxAbs()));
  }

  @Test
  void modelsAreNamedAndTheirOptionsChecked() {
    assertEquals("ResNet-50", ResNet.resnet50().classes(3).build().typeName());
    assertEquals(Shape.of(2, 7), ResNet.resnet18().classes(7).inChannels(1).smallImages().seed(2).build()
        .outputShape(Shape.of(2, 1, 28, 28)));
    var e = assertThrows(IllegalArgumentException.class, () -> ResNet.custom("ResNet-10", false, 1, 1, 1));
    assertEquals("ResNet-10: 3 stages (expected: 4 block counts)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ResNet.resnet18().classes(0));
    assertEquals("ResNet-18: classes 0 (expected: >= 1)", e.getMessage());
    ResNet small = ResNet.custom("ResNet-10", false, 1, 1, 1, 1).classes(2).seed(3).build();
    e = assertThrows(IllegalArgumentException.class, () -> small.forward(Tensor.zeros(1, 1, 32, 32), true));
    assertEquals(true, e.getMessage().startsWith("ResNet-10: "), e.getMessage());
    for (Parameter p : small.parameters()) {
      assertEquals(true, p.name().matches("(conv1|bn1|layer[1-4]\\.0\\.(conv[12]|bn[12]|downsample\\.[01])|fc)\\.(weight|bias)"),
          p.name());
    }
  }
}

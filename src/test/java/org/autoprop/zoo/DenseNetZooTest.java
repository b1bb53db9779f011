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
import org.autoprop.layer.Parameter;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.testing.Conformance;
import org.autoprop.testing.SyntheticWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The DenseNet zoo against torchvision 0.14 ({@code tools/conformance/densenet_zoo.py}): every
 * model's state-dict names and shapes and its parameter count are torchvision's, and with the same
 * synthetic weights ({@link SyntheticWeights}) DenseNet-121's logits of fixed batches of 32x32 and
 * 64x64 images agree in evaluation and in training mode with torchvision's, computed in float64.
 */
class DenseNetZooTest {
  private static final SafeTensors F = Conformance.load("zoo_densenet");

  private static final Map<String, Supplier<DenseNet.Builder>> MODELS = Map.of(
      "densenet121", DenseNet::densenet121,
      "densenet161", DenseNet::densenet161,
      "densenet169", DenseNet::densenet169,
      "densenet201", DenseNet::densenet201);

  static Stream<String> models() {
    return Arrays.stream(F.metadata().get("models").split(","));
  }

  private static DenseNet build(String key) {
    return MODELS.get(key).get().classes(10).seed(1).build();
  }

  @Test
  void everyModelOfTheFileIsHere() {
    assertEquals(new TreeSet<>(MODELS.keySet()), models().collect(Collectors.toCollection(TreeSet::new)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void namesShapesAndParameterCountAreTorchvisions(String key) {
    DenseNet model = build(key);
    String names = StateDict.of(model).entrySet().stream()
        .map(e -> e.getKey() + ":" + Arrays.stream(e.getValue().shape().dims()).mapToObj(Integer::toString)
            .collect(Collectors.joining("x")))
        .sorted().collect(Collectors.joining(";"));
    assertEquals(F.metadata().get(key + ".names"), names, key + ": state-dict names and shapes");
    long count = model.parameters().stream().mapToLong(p -> p.value().size()).sum();
    assertEquals(Long.parseLong(F.metadata().get(key + ".params")), count, key + ": parameters");
  }

  static Stream<String> runs() {
    return Arrays.stream(F.metadata().get("runs").split(","));
  }

  @Test
  void bothRunsAreInTheFile() {
    assertEquals(java.util.List.of("densenet121", "densenet121_64px"), runs().toList());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("runs")
  void logitsWithTheSameWeightsAreTorchvisions(String key) {
    DenseNet model = build(F.metadata().get(key + ".model"));
    SyntheticWeights.fill(model);
    Tensor x = F.tensor(key + ".x");
    Conformance.assertClose(key + " input (the formula)", x, SyntheticWeights.of("x", x.shape()), 0);
    Conformance.assertClose(key + " evaluation logits", F.tensor(key + ".eval"), model.forward(x, false));
    // On 32x32 images the last dense block runs at 1x1: training mode normalises each channel
    // over the batch's 2 values, which amplifies float32 rounding (PyTorch's own float32 is off by
    // about 10%): the bound is twice PyTorch's own float32 error, or 1e-4. At 64x64 that is 1e-4.
    Tensor train = F.tensor(key + ".train");
    double pytorchError = Double.parseDouble(F.metadata().get(key + ".train_f32_error"));
    Conformance.assertClose(key + " training logits (PyTorch float32 is off by " + pytorchError + ")", train,
        model.forward(x, true), Math.max(Conformance.TOLERANCE, 2 * pytorchError / train.maxAbs()));
  }

  @Test
  void modelsAreNamedAndTheirOptionsChecked() {
    assertEquals("DenseNet-121", DenseNet.densenet121().classes(3).build().typeName());
    DenseNet small = DenseNet.custom("DenseNet-tiny", 4, 8, 2, 2).bnSize(2).classes(5).inChannels(1).seed(3).build();
    assertEquals(Shape.of(2, 5), small.outputShape(Shape.of(2, 1, 16, 16)));
    // 8 + 2 * 4 = 16 -> transition 8 -> 8 + 2 * 4 = 16 features into the classifier.
    assertEquals(Shape.of(5, 16), small.parameters().get(small.parameters().size() - 2).value().shape());
    Parameter bias = small.parameters().get(small.parameters().size() - 1);
    assertEquals("classifier.bias", bias.name());
    assertEquals(0.0, bias.value().maxAbs(), "torchvision starts the classifier's bias at zero");
    String summary = small.summary(Shape.of(2, 1, 16, 16));
    assertTrue(summary.contains("features") && summary.contains("classifier"), summary);
    for (Parameter p : small.parameters()) {
      assertTrue(p.name().matches("features\\.(conv0|norm0|norm5|transition1\\.(norm|conv)"
          + "|denseblock[12]\\.denselayer[12]\\.(norm|conv)[12])\\.(weight|bias)|classifier\\.(weight|bias)"), p.name());
    }
    var e = assertThrows(IllegalArgumentException.class, () -> DenseNet.custom("DenseNet-0", 32, 64));
    assertEquals("DenseNet-0: no dense blocks (expected: >= 1 layer counts)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> DenseNet.custom("DenseNet-x", 32, 64, 6, 0));
    assertEquals("DenseNet-x: [6, 0] dense layers per block (expected: >= 1 each)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> DenseNet.custom("DenseNet-y", 0, 64, 6));
    assertEquals("DenseNet-y: growth 0, initFeatures 64 (expected: >= 1 each)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> DenseNet.densenet121().classes(0));
    assertEquals("DenseNet-121: classes 0 (expected: >= 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> DenseNet.densenet169().inChannels(0));
    assertEquals("DenseNet-169: inChannels 0 (expected: >= 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> DenseNet.densenet201().bnSize(0));
    assertEquals("DenseNet-201: bnSize 0 (expected: >= 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> small.forward(Tensor.zeros(1, 3, 16, 16), true));
    assertTrue(e.getMessage().startsWith("DenseNet-tiny: ") && e.getMessage().contains("[1, 3, 16, 16]"),
        e.getMessage());
  }
}

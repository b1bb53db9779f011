package org.autoprop.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.autoprop.io.SafeTensors;
import org.autoprop.io.StateDict;
import org.autoprop.layer.Layer;
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
 * The VGG zoo and AlexNet against torchvision 0.14 ({@code tools/conformance/vgg_zoo.py}): every
 * model's state-dict names and shapes and its parameter count are torchvision's, and with the same
 * synthetic weights ({@link SyntheticWeights}) the logits of a fixed batch agree in evaluation mode,
 * computed by torchvision in float64. Training mode draws dropout masks no two libraries share, so
 * it is compared only on a small batch-norm VGG with dropout 0.
 *
 * <p>The full-size models are built one at a time (VGG-19 holds 143M parameters and as many
 * gradients, 1.1 GB).
 */
class VggZooTest {
  private static final SafeTensors F = Conformance.load("zoo_vgg");

  private static final Map<String, Supplier<Layer>> MODELS = Map.of(
      "vgg11", () -> VGG.vgg11().classes(10).seed(1).build(),
      "vgg13", () -> VGG.vgg13().classes(10).seed(1).build(),
      "vgg16", () -> VGG.vgg16().classes(10).seed(1).build(),
      "vgg19", () -> VGG.vgg19().classes(10).seed(1).build(),
      "vgg11_bn", () -> VGG.vgg11Bn().classes(10).seed(1).build(),
      "vgg13_bn", () -> VGG.vgg13Bn().classes(10).seed(1).build(),
      "vgg16_bn", () -> VGG.vgg16Bn().classes(10).seed(1).build(),
      "vgg19_bn", () -> VGG.vgg19Bn().classes(10).seed(1).build(),
      "alexnet", () -> AlexNet.alexnet().classes(10).seed(1).build(),
      "vgg_small_bn", () -> VGG.custom("VGG-small", true, new int[] {8}, new int[] {16, 16}).hidden(32)
          .dropout(0).classes(10).seed(1).build());

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
  @ValueSource(strings = {"vgg11", "vgg11_bn", "alexnet", "vgg_small_bn"})
  void evaluationLogitsWithTheSameWeightsAreTorchvisions(String key) {
    Layer model = MODELS.get(key).get();
    SyntheticWeights.fill(model);
    Tensor x = F.tensor(key + ".x");
    Conformance.assertClose(key + " input (the formula)", x, SyntheticWeights.of("x", x.shape()), 0);
    Conformance.assertClose(key + " evaluation logits", F.tensor(key + ".eval"), model.forward(x, false));
  }

  @Test
  void trainingLogitsWithoutDropoutAreTorchvisions() {
    Layer model = MODELS.get("vgg_small_bn").get();
    SyntheticWeights.fill(model);
    Tensor x = F.tensor("vgg_small_bn.x");
    Conformance.assertClose("vgg_small_bn training logits", F.tensor("vgg_small_bn.train"), model.forward(x, true));
  }

  @Test
  void torchvisionsIndicesNameTheLayers() {
    VGG small = VGG.custom("VGG-tiny", true, new int[] {2}, new int[] {3}).hidden(4).classes(2).seed(3).build();
    for (Parameter p : small.parameters()) {
      // conv 0, bn 1, relu 2, pool 3, conv 4, bn 5, ...; linear 0, relu, dropout, linear 3, ..., linear 6
      assertTrue(p.name().matches("(features\\.[0145]|classifier\\.[036])\\.(weight|bias)"), p.name());
    }
    VGG plain = VGG.custom("VGG-tiny", false, new int[] {2, 2}).hidden(4).classes(2).seed(3).build();
    assertEquals(Set.of("features.0.bias", "features.0.weight", "features.2.bias", "features.2.weight"),
        StateDict.of(plain).keySet().stream().filter(k -> k.startsWith("features")).collect(Collectors.toSet()));
  }

  @Test
  void modelsAreNamedAndTheirOptionsChecked() {
    VGG small = VGG.custom("VGG-tiny", false, new int[] {2}, new int[] {3, 3}).hidden(4).classes(5).inChannels(1)
        .seed(2).build();
    assertEquals("VGG-tiny", small.typeName());
    assertEquals(Shape.of(2, 5), small.outputShape(Shape.of(2, 1, 9, 9)));
    assertEquals(Shape.of(3, 7), AlexNet.alexnet().hidden(8).classes(7).inChannels(1).seed(2).build()
        .outputShape(Shape.of(3, 1, 63, 63)));

    var e = assertThrows(IllegalArgumentException.class, () -> VGG.custom("VGG-0", false));
    assertEquals("VGG-0: no stages (expected: >= 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> VGG.custom("VGG-x", false, new int[] {4}, new int[0]));
    assertEquals("VGG-x: stage 1 has no convolution (expected: >= 1 width)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> VGG.custom("VGG-x", true, new int[] {4, 0}));
    assertEquals("VGG-x: stage 0 widths [4, 0] (expected: >= 1 each)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> VGG.vgg11().classes(0));
    assertEquals("VGG-11: classes 0 (expected: >= 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> VGG.vgg13Bn().inChannels(-1));
    assertEquals("VGG-13-BN: inChannels -1 (expected: >= 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> VGG.vgg19().hidden(0));
    assertEquals("VGG-19: hidden 0 (expected: >= 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> VGG.vgg16().dropout(1));
    assertEquals("VGG-16: dropout 1.0 (expected: in [0, 1))", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> AlexNet.alexnet().classes(-2));
    assertEquals("AlexNet: classes -2 (expected: >= 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> AlexNet.alexnet().inChannels(0));
    assertEquals("AlexNet: inChannels 0 (expected: >= 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> AlexNet.alexnet().hidden(0));
    assertEquals("AlexNet: hidden 0 (expected: >= 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> AlexNet.alexnet().widths(64, 192, 384, 256));
    assertEquals("AlexNet: widths [64, 192, 384, 256] (expected: 5 widths, >= 1 each)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> AlexNet.alexnet().widths(8, 8, 0, 8, 8));
    assertEquals("AlexNet: widths [8, 8, 0, 8, 8] (expected: 5 widths, >= 1 each)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> AlexNet.alexnet().dropout(Double.NaN));
    assertEquals("AlexNet: dropout NaN (expected: in [0, 1))", e.getMessage());

    // Too small an input is an error naming the model, the node, the layer and the shapes: two 2x2
    // pools need 4x4, AlexNet's last 3x3 pool needs 63x63.
    e = assertThrows(IllegalArgumentException.class, () -> small.forward(Tensor.zeros(1, 1, 3, 3), false));
    assertEquals("VGG-tiny: LayerGraph: node 'features' (Sequential) cannot take input [1, 1, 3, 3]: Sequential"
        + " child '7' (MaxPool2D): MaxPool2D(k=2x2, s=2x2, p=0x0): input [1, 3, 1, 1] has padded spatial size 1x1"
        + " (expected: at least the kernel 2x2)", e.getMessage());
    AlexNet alex = AlexNet.alexnet().widths(2, 3, 3, 3, 5).hidden(4).classes(2).seed(4).build();
    e = assertThrows(IllegalArgumentException.class, () -> alex.outputShape(Shape.of(1, 3, 62, 62)));
    assertEquals("AlexNet: LayerGraph: node 'features' (Sequential) cannot take input [1, 3, 62, 62]: Sequential"
        + " child '12' (MaxPool2D): MaxPool2D(k=3x3, s=2x2, p=0x0): input [1, 5, 2, 2] has padded spatial size 2x2"
        + " (expected: at least the kernel 3x3)", e.getMessage());
  }
}

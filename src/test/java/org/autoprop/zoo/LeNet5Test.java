package org.autoprop.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.autoprop.io.StateDict;
import org.autoprop.layer.GradCheck;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * LeNet-5 as Luma defines it. There is no torchvision model to compare with, so the structure is
 * checked by its shapes and its parameter count worked out by hand, and the gradients by finite
 * differences.
 */
class LeNet5Test {
  @Test
  void shapesNamesAndParameterCountAreLumas() {
    LeNet5 model = LeNet5.lenet5().seed(1).build();
    assertEquals("LeNet-5", model.typeName());
    assertEquals(Shape.of(4, 10), model.outputShape(Shape.of(4, 1, 32, 32)));
    assertEquals(Shape.of(4, 10), model.forward(Tensor.uniform(Shape.of(4, 1, 32, 32), -1f, 1f, 2), true).shape());
    // 32x32 -conv5-> 28x28 -pool-> 14x14 -conv5-> 10x10 -pool-> 5x5, 16 channels: 400 features.
    Map<String, String> shapes = new TreeMap<>();
    StateDict.of(model).forEach((k, v) -> shapes.put(k, v.shape().toString()));
    assertEquals(new TreeMap<>(Map.of(
        "features.0.weight", Shape.of(6, 1, 5, 5).toString(), "features.0.bias", Shape.of(6).toString(),
        "features.3.weight", Shape.of(16, 6, 5, 5).toString(), "features.3.bias", Shape.of(16).toString(),
        "classifier.0.weight", Shape.of(120, 400).toString(), "classifier.0.bias", Shape.of(120).toString(),
        "classifier.2.weight", Shape.of(84, 120).toString(), "classifier.2.bias", Shape.of(84).toString(),
        "classifier.4.weight", Shape.of(10, 84).toString(), "classifier.4.bias", Shape.of(10).toString())), shapes);
    // conv1 6*1*25 + 6 = 156; conv2 16*6*25 + 16 = 2,416; fc1 400*120 + 120 = 48,120;
    // fc2 120*84 + 84 = 10,164; fc3 84*10 + 10 = 850: 61,706 in all.
    assertEquals(61_706L, model.parameters().stream().mapToLong(p -> p.value().size()).sum());
    // Three input channels add 6*2*25 = 300 weights; 3 classes remove 84*7 + 7 = 595.
    assertEquals(61_706L + 300 - 595, LeNet5.lenet5().inChannels(3).classes(3).seed(1).build().parameters().stream()
        .mapToLong(p -> p.value().size()).sum());
  }

  @Test
  void gradientsPassAFiniteDifferenceCheck() {
    LeNet5 model = LeNet5.lenet5().classes(3).seed(5).build();
    GradCheck.Report r = GradCheck.forLayer(model).seed(6).check(Tensor.uniform(Shape.of(2, 1, 32, 32), -1f, 1f, 7));
    assertTrue(r.passed(), r::toString);
    List<String> checked = r.entries().stream().filter(e -> e.checked() > 0).map(GradCheck.Entry::name)
        .collect(Collectors.toList());
    assertEquals(11, checked.size(), "the input and all ten parameters are checked: " + checked);
  }

  @Test
  void badOptionsAndInputsAreNamed() {
    var e = assertThrows(IllegalArgumentException.class, () -> LeNet5.lenet5().classes(0));
    assertEquals("LeNet-5: classes 0 (expected: >= 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> LeNet5.lenet5().inChannels(0));
    assertEquals("LeNet-5: inChannels 0 (expected: >= 1)", e.getMessage());
    LeNet5 model = LeNet5.lenet5().seed(3).build();
    e = assertThrows(IllegalArgumentException.class, () -> model.outputShape(Shape.of(1, 1, 28, 28)));
    // 28x28 leaves 4x4 after the second pool: 256 features, not 400.
    assertEquals("LeNet-5: LayerGraph: node 'classifier' (Sequential) cannot take input [1, 256]: Sequential child"
        + " '0' (Dense): Dense(400->120): input [1, 256] has 256 features (expected: 400, [..., 400])", e.getMessage());
  }
}

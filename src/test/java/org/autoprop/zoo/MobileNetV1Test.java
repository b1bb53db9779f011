package org.autoprop.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.autoprop.io.StateDict;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * MobileNetV1 (not in torchvision) against the paper's Table 1 and the published parameter counts
 * of the reference network (TensorFlow/Keras {@code MobileNet}: 4,231,976 trainable parameters at
 * width 1.0 and 1000 classes, 470,072 at width 0.25), and its names and options.
 */
class MobileNetV1Test {
  @ParameterizedTest(name = "width {0}: {1} parameters")
  @CsvSource({"1.0, 4231976", "0.25, 470072"})
  void parameterCountIsTheReferenceNetworks(double width, long params) {
    MobileNetV1 model = MobileNetV1.builder().widthMultiplier(width).seed(1).build();
    assertEquals(params, model.parameters().stream().mapToLong(p -> p.value().size()).sum());
  }

  @Test
  void layersFollowTableOne() {
    MobileNetV1 model = MobileNetV1.builder().classes(10).seed(2).build();
    Map<String, Tensor> state = StateDict.of(model);
    assertEquals(Shape.of(32, 3, 3, 3), state.get("features.0.0.weight").shape());
    assertEquals(Shape.of(32, 1, 3, 3), state.get("features.1.0.weight").shape());
    assertEquals(Shape.of(64, 32, 1, 1), state.get("features.1.3.weight").shape());
    assertEquals(Shape.of(1024, 1, 3, 3), state.get("features.13.0.weight").shape());
    assertEquals(Shape.of(1024, 1024, 1, 1), state.get("features.13.3.weight").shape());
    assertEquals(Shape.of(10, 1024), state.get("classifier.1.weight").shape());
    assertTrue(state.containsKey("features.13.4.num_batches_tracked"));
    // Five stride-2 stages: 224 -> 7 before the pool.
    assertEquals(Shape.of(2, 10), model.outputShape(Shape.of(2, 3, 224, 224)));
  }

  @Test
  void optionsAreChecked() {
    MobileNetV1 small = MobileNetV1.builder().classes(3).inChannels(1).widthMultiplier(0.1).seed(3).build();
    assertEquals("MobileNetV1", small.typeName());
    // max(8, floor(32 * 0.1)) = 8, floor(1024 * 0.1) = 102.
    assertEquals(Shape.of(8, 1, 3, 3), StateDict.of(small).get("features.0.0.weight").shape());
    assertEquals(Shape.of(3, 102), StateDict.of(small).get("classifier.1.weight").shape());
    var e = assertThrows(IllegalArgumentException.class, () -> MobileNetV1.builder().classes(0));
    assertEquals("MobileNetV1: classes 0 (expected: >= 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> MobileNetV1.builder().inChannels(0));
    assertEquals("MobileNetV1: inChannels 0 (expected: >= 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> MobileNetV1.builder().widthMultiplier(-1));
    assertEquals("MobileNetV1: widthMultiplier -1.0 (expected: 0 < widthMultiplier <= 1e4)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> MobileNetV1.builder().dropout(1));
    assertEquals("MobileNetV1: dropout 1.0 (expected: 0 <= dropout < 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> small.forward(Tensor.zeros(1, 3, 32, 32), false));
    assertTrue(e.getMessage().startsWith("MobileNetV1: ") && e.getMessage().contains("[1, 3, 32, 32]"),
        e.getMessage());
  }
}

package org.autoprop.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.autoprop.io.StateDict;
import org.autoprop.layer.Layer;
import org.autoprop.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The zoo's names and what they build. */
class ZooTest {
  @Test
  void namesAreTorchvisionsFunctionNames() {
    assertEquals(new TreeSet<>(List.of("alexnet", "convnext_small", "convnext_tiny", "densenet121", "densenet161",
        "densenet169", "densenet201", "efficientnet_b0", "efficientnet_v2_s", "googlenet", "inception_v3", "mobilenet_v1", "mobilenet_v2",
        "mobilenet_v3_large", "mobilenet_v3_small", "regnet_x_400mf", "regnet_x_800mf", "regnet_y_400mf",
        "regnet_y_800mf", "resnet101", "resnet152", "resnet18", "resnet34", "resnet50", "resnext50_32x4d",
        "seresnet50", "shufflenet_v2_x0_5", "shufflenet_v2_x1_0", "shufflenet_v2_x1_5", "shufflenet_v2_x2_0",
        "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn", "wide_resnet50_2",
        "xception")),
        Zoo.names());
  }

  /** A name builds its builder's model with 1000 classes, seeded: the same state dict, bit for bit. */
  @Test
  void aNameBuildsItsModel() {
    assertSameState(MobileNetV3.small().seed(4).build(), Zoo.imagenet("mobilenet_v3_small", 4));
    assertSameState(ShuffleNetV2.x0_5().seed(5).build(), Zoo.imagenet("shufflenet_v2_x0_5", 5));
    assertSameState(ResNet.resnet18().seed(6).build(), Zoo.imagenet("resnet18", 6));
  }

  @Test
  void anUnknownNameIsAnErrorListingTheNames() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Zoo.imagenet("resnet19", 0));
    assertEquals("Zoo: no model 'resnet19' (expected one of " + Zoo.names() + ")", e.getMessage());
    assertThrows(NullPointerException.class, () -> Zoo.imagenet(null, 0));
  }

  private static void assertSameState(Layer expected, Layer actual) {
    Map<String, Tensor> a = StateDict.of(expected);
    Map<String, Tensor> b = StateDict.of(actual);
    assertEquals(a.keySet(), b.keySet());
    for (String name : a.keySet()) {
      assertEquals(a.get(name).shape(), b.get(name).shape(), name);
      assertEquals(java.util.Arrays.hashCode(a.get(name).contiguous().data()),
          java.util.Arrays.hashCode(b.get(name).contiguous().data()), name);
    }
    assertEquals(1000, b.get(lastWeight(b)).shape().dim(0), "1000 classes");
  }

  private static String lastWeight(Map<String, Tensor> state) {
    String last = null;
    for (String name : state.keySet()) {
      if (name.endsWith("weight") && state.get(name).shape().rank() == 2) {
        last = name;
      }
    }
    return last;
  }
}

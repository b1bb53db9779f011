package org.autoprop.zoo;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.LongFunction;
import org.autoprop.layer.Layer;

/**
 * The zoo's ImageNet models by the names of torchvision's model functions ({@code resnet50},
 * {@code mobilenet_v3_large}, ...): 1000 classes, 3 input channels and torchvision's other
 * defaults, so that a state dict saved from {@code torchvision.models.NAME()} loads strictly. The
 * models without a torchvision counterpart go by the names their builders document
 * ({@code seresnet50}: timm's; {@code xception}: timm's legacy Xception; {@code mobilenet_v1}).
 */
public final class Zoo {
  private static final Map<String, LongFunction<Layer>> IMAGENET = new TreeMap<>(Map.ofEntries(
      Map.entry("alexnet", seed -> AlexNet.alexnet().seed(seed).build()),
      Map.entry("convnext_small", seed -> ConvNeXt.convnextSmall().seed(seed).build()),
      Map.entry("convnext_tiny", seed -> ConvNeXt.convnextTiny().seed(seed).build()),
      Map.entry("densenet121", seed -> DenseNet.densenet121().seed(seed).build()),
      Map.entry("densenet161", seed -> DenseNet.densenet161().seed(seed).build()),
      Map.entry("densenet169", seed -> DenseNet.densenet169().seed(seed).build()),
      Map.entry("densenet201", seed -> DenseNet.densenet201().seed(seed).build()),
      Map.entry("efficientnet_b0", seed -> EfficientNet.b0().seed(seed).build()),
      Map.entry("efficientnet_v2_s", seed -> EfficientNet.v2S().seed(seed).build()),
      // torchvision's pretrained GoogLeNet drops its auxiliary classifiers, Inception V3 keeps its one.
      Map.entry("googlenet", seed -> GoogLeNet.builder().seed(seed).build()),
      Map.entry("inception_v3", seed -> InceptionV3.builder().auxLogits(true).seed(seed).build()),
      Map.entry("mobilenet_v1", seed -> MobileNetV1.builder().seed(seed).build()),
      Map.entry("mobilenet_v2", seed -> MobileNetV2.builder().seed(seed).build()),
      Map.entry("mobilenet_v3_large", seed -> MobileNetV3.large().seed(seed).build()),
      Map.entry("mobilenet_v3_small", seed -> MobileNetV3.small().seed(seed).build()),
      Map.entry("regnet_x_400mf", seed -> RegNet.regnetX400mf().seed(seed).build()),
      Map.entry("regnet_x_800mf", seed -> RegNet.regnetX800mf().seed(seed).build()),
      Map.entry("regnet_y_400mf", seed -> RegNet.regnetY400mf().seed(seed).build()),
      Map.entry("regnet_y_800mf", seed -> RegNet.regnetY800mf().seed(seed).build()),
      Map.entry("resnet101", seed -> ResNet.resnet101().seed(seed).build()),
      Map.entry("resnet152", seed -> ResNet.resnet152().seed(seed).build()),
      Map.entry("resnet18", seed -> ResNet.resnet18().seed(seed).build()),
      Map.entry("resnet34", seed -> ResNet.resnet34().seed(seed).build()),
      Map.entry("resnet50", seed -> ResNet.resnet50().seed(seed).build()),
      Map.entry("resnext50_32x4d", seed -> ResNet.resnext50x32x4d().seed(seed).build()),
      Map.entry("seresnet50", seed -> ResNet.seResnet50().seed(seed).build()),
      Map.entry("shufflenet_v2_x0_5", seed -> ShuffleNetV2.x0_5().seed(seed).build()),
      Map.entry("shufflenet_v2_x1_0", seed -> ShuffleNetV2.x1_0().seed(seed).build()),
      Map.entry("shufflenet_v2_x1_5", seed -> ShuffleNetV2.x1_5().seed(seed).build()),
      Map.entry("shufflenet_v2_x2_0", seed -> ShuffleNetV2.x2_0().seed(seed).build()),
      Map.entry("vgg11", seed -> VGG.vgg11().seed(seed).build()),
      Map.entry("vgg11_bn", seed -> VGG.vgg11Bn().seed(seed).build()),
      Map.entry("vgg13", seed -> VGG.vgg13().seed(seed).build()),
      Map.entry("vgg13_bn", seed -> VGG.vgg13Bn().seed(seed).build()),
      Map.entry("vgg16", seed -> VGG.vgg16().seed(seed).build()),
      Map.entry("vgg16_bn", seed -> VGG.vgg16Bn().seed(seed).build()),
      Map.entry("vgg19", seed -> VGG.vgg19().seed(seed).build()),
      Map.entry("vgg19_bn", seed -> VGG.vgg19Bn().seed(seed).build()),
      Map.entry("wide_resnet50_2", seed -> ResNet.wideResnet50x2().seed(seed).build()),
      Map.entry("xception", seed -> Xception.builder().seed(seed).build())));

  private Zoo() {}

  /** The names, sorted. */
  public static SortedSet<String> names() {
    return Collections.unmodifiableSortedSet(new TreeSet<>(IMAGENET.keySet()));
  }

  /**
   * The ImageNet model of that name, its weights drawn from {@code seed} (to be replaced by
   * loaded ones, typically).
   *
   * @throws IllegalArgumentException for an unknown name, listing the known ones
   */
  public static Layer imagenet(String name, long seed) {
    Objects.requireNonNull(name, "name");
    LongFunction<Layer> model = IMAGENET.get(name);
    if (model == null) {
      throw new IllegalArgumentException("Zoo: no model '" + name + "' (expected one of " + names() + ")");
    }
    return model.apply(seed);
  }
}

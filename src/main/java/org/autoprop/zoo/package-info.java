/**
 * The model zoo: whole networks with torchvision's structure and state-dict names, built from
 * {@link org.autoprop.blocks} and {@link org.autoprop.layer}: {@link org.autoprop.zoo.ResNet} (ResNet-18
 * to -152, ResNeXt-50, Wide ResNet-50-2, SE-ResNet-50), {@link org.autoprop.zoo.DenseNet} (121, 161,
 * 169, 201), {@link org.autoprop.zoo.MobileNetV1}, {@link org.autoprop.zoo.MobileNetV2},
 * {@link org.autoprop.zoo.MobileNetV3}, {@link org.autoprop.zoo.EfficientNet},
 * {@link org.autoprop.zoo.ConvNeXt}, {@link org.autoprop.zoo.ShuffleNetV2}, {@link org.autoprop.zoo.RegNet},
 * {@link org.autoprop.zoo.VGG} (VGG-11 to -19, with or without batch norm), {@link org.autoprop.zoo.AlexNet},
 * and Luma's {@link org.autoprop.zoo.LeNet5}. {@link org.autoprop.zoo.Zoo} builds the ImageNet models by
 * torchvision's function names.
 */
package org.autoprop.zoo;

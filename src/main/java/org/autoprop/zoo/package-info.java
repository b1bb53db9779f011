/**
 * The model zoo: whole networks with torchvision's structure and state-dict names, built from
 * {@link org.autoprop.blocks}: {@link org.autoprop.zoo.ResNet} (ResNet-18 to -152, ResNeXt-50,
 * Wide ResNet-50-2), {@link org.autoprop.zoo.DenseNet} (121, 161, 169, 201) and
 * {@link org.autoprop.zoo.MobileNetV2}.
 */
package org.autoprop.zoo;

/**
 * The model zoo: whole networks with torchvision's structure and state-dict names, built from
 * {@link org.autoprop.blocks} ({@link org.autoprop.zoo.ResNet}: ResNet-18 to -152, ResNeXt-50,
 * Wide ResNet-50-2).
 */
package org.autoprop.zoo;

/**
 * Luma's convolutional blocks, for 1-D, 2-D and 3-D data: {@link org.autoprop.blocks.ConvBlock}
 * (convolution, batch norm, activation, pool), {@link org.autoprop.blocks.SeparableConv}
 * (depthwise then pointwise), {@link org.autoprop.blocks.SEBlock} (squeeze-and-excitation gate)
 * {@link org.autoprop.blocks.SKBlock} (selective kernels), and the blocks of the zoo's networks with
 * torchvision's names: {@link org.autoprop.blocks.ResNetBlock}, {@link org.autoprop.blocks.DenseNetBlock},
 * {@link org.autoprop.blocks.MobileNetBlock}, {@link org.autoprop.blocks.SqueezeExcitation},
 * {@link org.autoprop.blocks.EfficientBlock}, {@link org.autoprop.blocks.ConvNeXtBlock},
 * {@link org.autoprop.blocks.ShuffleNetBlock}, {@link org.autoprop.blocks.RegNetBlock},
 * {@link org.autoprop.blocks.ResNeStBlock}. Each is a
 * {@link org.autoprop.models.GraphBlock}, made by a builder of Luma's name for its rank
 * ({@code ConvBlock1D.builder(...)}, {@code SEBlock3D.builder(...)}, ...) with Luma's defaults.
 */
package org.autoprop.blocks;

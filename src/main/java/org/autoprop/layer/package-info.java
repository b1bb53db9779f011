/**
 * Layers: the {@link org.autoprop.layer.Layer} contract, its implementations (convolution,
 * normalisation, pooling, activations, shape and dropout layers), parameters, initializers and
 * {@link org.autoprop.layer.GradCheck}. A layer checks shapes once per call and calls kernels.
 */
package org.autoprop.layer;

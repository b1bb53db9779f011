/**
 * Layers: the {@link org.autoprop.layer.Layer} contract, its implementations (convolution,
 * dense, normalisation, pooling, activations, shape and dropout layers, and the sequence layers:
 * embeddings, position codes, a class token, transpose and slice), parameters, initializers and
 * {@link org.autoprop.layer.GradCheck}. A layer checks shapes once per call and calls kernels.
 */
package org.autoprop.layer;

/**
 * Tensors: a flat {@code float[]} with offset, {@link org.autoprop.tensor.Shape} and strides;
 * creation, views, contiguity and printing. Knows nothing about layers.
 */
package org.autoprop.tensor;

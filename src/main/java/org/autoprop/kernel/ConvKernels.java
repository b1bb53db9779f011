package org.autoprop.kernel;

/**
 * Convolution helpers: im2col, col2im and direct (depthwise) convolution.
 *
 * <p>Kernels assume valid arguments (callers check shapes once per call) and never allocate.
 */
public interface ConvKernels {}

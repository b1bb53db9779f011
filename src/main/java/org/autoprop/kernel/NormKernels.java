package org.autoprop.kernel;

/**
 * Normalisation kernels: per-channel statistics, apply and backward of batch normalisation.
 *
 * <p>Kernels assume valid arguments (callers check shapes once per call) and never allocate.
 */
public interface NormKernels {}

package org.autoprop.kernel;

/**
 * Pooling kernels: max and average pooling forward and backward.
 *
 * <p>Kernels assume valid arguments (callers check shapes once per call) and never allocate.
 */
public interface PoolKernels {}

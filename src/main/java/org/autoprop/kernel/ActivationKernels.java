package org.autoprop.kernel;

/**
 * Activation kernels: forward and backward of the pointwise nonlinearities and softmax.
 *
 * <p>Kernels assume valid arguments (callers check shapes once per call) and never allocate.
 */
public interface ActivationKernels {}

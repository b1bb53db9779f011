package org.autoprop.kernel;

/**
 * Merge kernels: the arithmetic of the graph's merge modes, including numpy broadcasting.
 *
 * <p>Kernels assume valid arguments (callers check shapes once per call) and never allocate.
 */
public interface MergeKernels {}

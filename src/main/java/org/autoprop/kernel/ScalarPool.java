package org.autoprop.kernel;

/** Scalar twin of the {@link PoolKernels}. */
final class ScalarPool implements PoolKernels {}

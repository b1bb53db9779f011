package org.autoprop.kernel;

/** Scalar twin of the {@link NormKernels}. */
final class ScalarNorm implements NormKernels {}

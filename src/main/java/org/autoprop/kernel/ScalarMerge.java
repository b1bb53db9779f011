package org.autoprop.kernel;

/** Scalar twin of the {@link MergeKernels}. */
final class ScalarMerge implements MergeKernels {}

package org.autoprop.kernel.vector;

import org.autoprop.kernel.MergeKernels;

/** Vector API {@link MergeKernels}. */
final class VectorMerge implements MergeKernels {}

package org.autoprop.kernel.vector;

import org.autoprop.kernel.PoolKernels;

/** Vector API {@link PoolKernels}. */
final class VectorPool implements PoolKernels {}

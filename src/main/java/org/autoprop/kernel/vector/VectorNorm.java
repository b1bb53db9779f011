package org.autoprop.kernel.vector;

import org.autoprop.kernel.NormKernels;

/** Vector API {@link NormKernels}. */
final class VectorNorm implements NormKernels {}

package org.autoprop.kernel.vector;

import org.autoprop.kernel.ConvKernels;

/** Vector API {@link ConvKernels}. */
final class VectorConv implements ConvKernels {}

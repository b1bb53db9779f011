package org.autoprop.kernel.vector;

import org.autoprop.kernel.ActivationKernels;

/** Vector API {@link ActivationKernels}. */
final class VectorActivation implements ActivationKernels {}

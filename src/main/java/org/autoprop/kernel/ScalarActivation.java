package org.autoprop.kernel;

/** Scalar twin of the {@link ActivationKernels}. */
final class ScalarActivation implements ActivationKernels {}

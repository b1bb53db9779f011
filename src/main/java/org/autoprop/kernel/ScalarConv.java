package org.autoprop.kernel;

/** Scalar twin of the {@link ConvKernels}. */
final class ScalarConv implements ConvKernels {}

/**
 * Kernels: static, allocation-free loops over flat {@code float[]} ranges, each with a scalar
 * implementation (the oracle and fallback) and a Vector API one, chosen once by
 * {@link org.autoprop.kernel.KernelProvider}. Imports nothing else of the project.
 */
package org.autoprop.kernel;

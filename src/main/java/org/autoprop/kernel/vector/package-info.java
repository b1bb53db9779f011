/**
 * The Vector API ({@code jdk.incubator.vector}) kernels, loaded by name only when the module is
 * readable; nothing on the scalar path references this package.
 */
package org.autoprop.kernel.vector;

/**
 * Training: losses, optimizers, learning-rate schedules, gradient clipping, data sets and the
 * training loop.
 */
package org.autoprop.train;

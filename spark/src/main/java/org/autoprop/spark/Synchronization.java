package org.autoprop.spark;

import java.io.Serializable;

/**
 * How the workers' replicas stay together.
 *
 * <ul>
 *   <li>{@link #synchronous()}: every step, each worker computes the gradient of its own
 *       micro-batch, the gradients are averaged over the workers and every replica takes the same
 *       optimizer step. The result is a single-machine step on the union batch (up to the order of
 *       float additions), so accuracy does not depend on the number of workers. It exchanges one
 *       gradient per step: use it when a step's compute is large next to moving the gradient
 *       (convolutional networks, fast networks, few workers).
 *   <li>{@link #averageEvery(int)}: local SGD (Deeplearning4j's parameter averaging): each worker
 *       takes {@code k} optimizer steps on its own micro-batches, then the weights, buffers and
 *       optimizer state are averaged over the workers. It exchanges {@code 1/k} as often, at the
 *       cost of some accuracy per step for large {@code k}: use it when the network is slow or the
 *       model large next to a step's compute. With {@code k = 1} and plain SGD it is synchronous
 *       training.
 * </ul>
 */
public final class Synchronization implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int period;

  private Synchronization(int period) {
    this.period = period;
  }

  /** Gradients averaged every step. */
  public static Synchronization synchronous() {
    return new Synchronization(0);
  }

  /** Local SGD: weights and optimizer state averaged every {@code k} steps ({@code k >= 1}). */
  public static Synchronization averageEvery(int k) {
    if (k < 1) {
      throw new IllegalArgumentException("Synchronization.averageEvery: k = " + k + " (expected: k >= 1)");
    }
    return new Synchronization(k);
  }

  /** Whether gradients are averaged every step. */
  public boolean isSynchronous() {
    return period == 0;
  }

  /** The averaging period of local SGD; 0 when synchronous. */
  public int period() {
    return period;
  }

  @Override
  public String toString() {
    return isSynchronous() ? "synchronous" : "local SGD, averaging every " + period + " steps";
  }
}

package org.autoprop.spark;

import java.io.Serializable;

/** What one worker's task sends back to the driver. */
final class WorkerResult implements Serializable {
  private static final long serialVersionUID = 1L;

  final int worker;
  /** Sum over the task's steps of mean loss x batch size. */
  final double lossSum;
  final long correct;
  final long seen;
  final long computeNanos;
  /**
   * Synchronous: the gradient of the mean loss of the worker's micro-batch, flat in parameter
   * order. Local SGD: the worker's state after its steps, the model's state dict then the
   * optimizer's state, flat.
   */
  final float[] payload;
  /** Synchronous, worker 0 only: its buffers (BatchNorm's running statistics) after the step; else null. */
  final float[] buffers;
  /** The worker's optimizer step count after the task (local SGD: the driver's optimizer takes it). */
  final long optimizerSteps;

  WorkerResult(int worker, double lossSum, long correct, long seen, long computeNanos, float[] payload,
      float[] buffers, long optimizerSteps) {
    this.worker = worker;
    this.lossSum = lossSum;
    this.correct = correct;
    this.seen = seen;
    this.computeNanos = computeNanos;
    this.payload = payload;
    this.buffers = buffers;
    this.optimizerSteps = optimizerSteps;
  }
}

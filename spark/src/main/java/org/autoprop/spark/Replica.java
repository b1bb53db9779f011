package org.autoprop.spark;

import java.util.List;
import org.autoprop.layer.Layer;
import org.autoprop.layer.Parameter;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.train.Loss;
import org.autoprop.train.Metrics;
import org.autoprop.train.Optimizer;

/**
 * One worker's copy of the model, its loss and its optimizer, with the buffers a step reuses:
 * the batch, the labels and the flat gradient. Used by one task at a time.
 */
final class Replica {
  final Layer model;
  final Optimizer optimizer;
  private final Loss<int[]> loss;
  private final List<Parameter> parameters;
  private final int[] sampleDims;
  private final int features;
  private final float[] gradient;
  private Tensor batch;
  private int[] labels;
  private int lastCorrect;

  Replica(TrainingSpec spec) {
    this.model = spec.model.create();
    this.loss = spec.loss.create();
    this.parameters = model.parameters();
    this.optimizer = spec.optimizer.create(parameters);
    this.sampleDims = spec.inputShape.clone();
    this.features = Shape.of(sampleDims).size();
    int n = 0;
    for (Parameter p : parameters) {
      n += p.value().size();
    }
    this.gradient = new float[n];
  }

  /** Forward and backward on {@code examples[order[from .. from + count)]}; returns the mean loss. */
  double forwardBackward(List<Example> examples, int[] order, int from, int count) {
    fill(examples, order, from, count);
    optimizer.zeroGrad();
    Tensor y = model.forward(batch, true);
    double l = loss.forward(y, labels);
    lastCorrect = Metrics.countCorrect(y, labels);
    model.backward(loss.backward(), false);
    return l;
  }

  /** A forward pass in training mode, no backward: it updates the running statistics of BatchNorm. */
  void forwardTraining(List<Example> examples, int[] order, int from, int count) {
    fill(examples, order, from, count);
    model.forward(batch, true);
  }

  /** Correct predictions of the latest {@link #forwardBackward} or {@link #evaluate}. */
  int lastCorrect() {
    return lastCorrect;
  }

  /** The mean loss of a forward pass in evaluation mode. */
  double evaluate(List<Example> examples, int[] order, int from, int count) {
    fill(examples, order, from, count);
    Tensor y = model.forward(batch, false);
    double l = loss.forward(y, labels);
    lastCorrect = Metrics.countCorrect(y, labels);
    return l;
  }

  private void fill(List<Example> examples, int[] order, int from, int count) {
    if (batch == null || batch.shape().dim(0) != count) {
      int[] dims = new int[sampleDims.length + 1];
      dims[0] = count;
      System.arraycopy(sampleDims, 0, dims, 1, sampleDims.length);
      batch = Tensor.zeros(dims);
      labels = new int[count];
    }
    float[] data = batch.data();
    for (int i = 0; i < count; i++) {
      Example e = examples.get(order[from + i]);
      System.arraycopy(e.features(), 0, data, i * features, features);
      labels[i] = e.label();
    }
  }

  /** The parameters' gradients, flat in parameter order (a buffer reused by the next call). */
  float[] gradients() {
    int at = 0;
    for (Parameter p : parameters) {
      Tensor g = p.grad().contiguous();
      System.arraycopy(g.data(), g.offset(), gradient, at, g.size());
      at += g.size();
    }
    return gradient;
  }

  /** Replaces the parameters' gradients by {@code flat} (in {@link #gradients()} layout). */
  void setGradients(float[] flat) {
    int at = 0;
    for (Parameter p : parameters) {
      Tensor g = p.grad();
      if (g.isContiguous()) {
        System.arraycopy(flat, at, g.data(), g.offset(), g.size());
      } else {
        g.copyFrom(Tensor.wrap(java.util.Arrays.copyOfRange(flat, at, at + g.size()), g.shape()));
      }
      at += g.size();
    }
  }

  int gradientSize() {
    return gradient.length;
  }
}

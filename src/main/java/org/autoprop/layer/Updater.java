package org.autoprop.layer;

import java.util.List;

/**
 * What a model needs from an optimizer to update itself, Luma style ({@code graph.update()}):
 * every {@code org.autoprop.train.Optimizer} is one. Defined here so that the graph can hold an
 * optimizer without depending on the training package.
 */
public interface Updater {
  /** Applies one update to every parameter from its current gradient. */
  void step();

  /** The current learning rate. */
  double learningRate();

  /** Sets the learning rate used from the next {@link #step()} on. */
  void setLearningRate(double lr);

  /** The parameters this updater changes. */
  List<Parameter> parameters();
}

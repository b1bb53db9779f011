package org.autoprop.graph;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import org.autoprop.layer.Parameter;
import org.autoprop.layer.Updater;
import org.autoprop.tensor.Tensor;

/**
 * The optimizer behind Luma's {@code setOptimizer} / {@code update()} / {@code update_lr(lr)} on a
 * {@link LayerGraph}: it accepts only an optimizer over exactly the graph's parameters, so that an
 * update can neither miss a layer nor move weights of another model.
 */
final class GraphOptimizer {
  private Updater updater;

  /**
   * Attaches {@code updater}, which must update exactly {@code parameters} (the same tensors).
   *
   * @throws IllegalArgumentException naming the parameters it misses or has in excess
   */
  void attach(List<Parameter> parameters, Updater updater) {
    Set<Tensor> mine = Collections.newSetFromMap(new IdentityHashMap<>());
    for (Parameter p : parameters) {
      mine.add(p.value());
    }
    Set<Tensor> theirs = Collections.newSetFromMap(new IdentityHashMap<>());
    List<String> foreign = new ArrayList<>();
    for (Parameter p : updater.parameters()) {
      theirs.add(p.value());
      if (!mine.contains(p.value())) {
        foreign.add(p.name());
      }
    }
    List<String> missing = new ArrayList<>();
    for (Parameter p : parameters) {
      if (!theirs.contains(p.value())) {
        missing.add(p.name());
      }
    }
    if (!missing.isEmpty() || !foreign.isEmpty()) {
      throw new IllegalArgumentException("setOptimizer: the optimizer does not cover this graph's parameters"
          + (missing.isEmpty() ? "" : "; missing: " + missing)
          + (foreign.isEmpty() ? "" : "; not in this graph: " + foreign)
          + " (build it over graph.parameters())");
    }
    this.updater = updater;
  }

  /** The attached optimizer, or null. */
  Updater get() {
    return updater;
  }

  /** One step of the attached optimizer; the caller zeroes the gradients after it. */
  void step() {
    require("update()");
    updater.step();
  }

  /** Sets the attached optimizer's learning rate, a finite number >= 0. */
  void setLearningRate(double lr) {
    require("updateLr()");
    if (!(lr >= 0) || Double.isInfinite(lr)) {
      throw new IllegalArgumentException("updateLr: learning rate " + lr + " (expected: a finite number >= 0)");
    }
    updater.setLearningRate(lr);
  }

  private void require(String what) {
    if (updater == null) {
      throw new IllegalStateException("LayerGraph." + what + " needs an optimizer: call setOptimizer(...) first");
    }
  }
}

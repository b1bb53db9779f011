package org.autoprop.spark;

import java.io.Serializable;
import java.util.List;
import org.autoprop.layer.Parameter;
import org.autoprop.train.Optimizer;

/**
 * Makes the optimizer of a model's replica on each worker, e.g.
 * {@code params -> Sgd.builder(params).lr(0.05).momentum(0.9).build()}.
 */
@FunctionalInterface
public interface OptimizerFactory extends Serializable {
  /** An optimizer over these parameters (in the model's order). */
  Optimizer create(List<Parameter> parameters);
}

package org.autoprop.models;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.autoprop.graph.LayerGraph;
import org.autoprop.layer.Layer;
import org.autoprop.layer.Parameter;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * A named block whose computation is a built {@link LayerGraph}: every {@link Layer} method runs
 * the graph, so the parameter names are the graph's ({@code NODE.PARAM}) and the block adds a type
 * name, its documentation and {@link #summary}. The graph is open to inspection through
 * {@link #graph()} (its nodes, order, export), not to editing: changing it would change the block.
 */
public abstract class GraphBlock implements Layer {
  private final LayerGraph graph;

  /**
   * For subclasses.
   *
   * @param graph the built graph that is the block's computation
   */
  protected GraphBlock(LayerGraph graph) {
    this.graph = Objects.requireNonNull(graph, "graph");
  }

  /** The graph this block runs (built). */
  public LayerGraph graph() {
    return graph;
  }

  /** The graph's table for an input of shape {@code input} ({@link LayerGraph#summary}). */
  public String summary(Shape input) {
    return graph.summary(input);
  }

  // The graph's errors name its nodes; these name the block first.

  @Override
  public Shape outputShape(Shape input) {
    try {
      return graph.outputShape(input);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(this + ": " + e.getMessage(), e);
    }
  }

  @Override
  public Tensor forward(Tensor x, boolean training) {
    try {
      return graph.forward(x, training);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(this + ": " + e.getMessage(), e);
    }
  }

  @Override
  public Tensor backward(Tensor gradOut) {
    return backward(gradOut, true);
  }

  @Override
  public Tensor backward(Tensor gradOut, boolean inputGradient) {
    try {
      return graph.backward(gradOut, inputGradient);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(this + ": " + e.getMessage(), e);
    } catch (IllegalStateException e) {
      throw new IllegalStateException(this + ": " + e.getMessage(), e);
    }
  }

  @Override
  public List<Parameter> parameters() {
    return graph.parameters();
  }

  @Override
  public Map<String, Tensor> buffers() {
    return graph.buffers();
  }

  @Override
  public void zeroGrad() {
    graph.zeroGrad();
  }

  @Override
  public long flops(Shape input) {
    return graph.flops(input);
  }

  @Override
  public void detectAnomalies(boolean on) {
    graph.detectAnomalies(on);
  }

  @Override
  public boolean detectsAnomalies() {
    return graph.detectsAnomalies();
  }

  @Override
  public String toString() {
    return typeName();
  }
}

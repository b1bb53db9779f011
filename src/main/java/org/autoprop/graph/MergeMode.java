package org.autoprop.graph;

import java.util.List;
import org.autoprop.layer.Merge;
import org.autoprop.tensor.Shape;

/**
 * How a node combines the outputs of its predecessors before its layer runs. For inputs
 * {@code x0..xk} (ordered by edge declaration) and upstream gradient {@code g}:
 *
 * <ul>
 *   <li>{@link #SUM}: sum; each input gets {@code g}.
 *   <li>{@link #SUB}: {@code x0 - x1 - ... - xk}; {@code x0} gets {@code g}, the others {@code -g}.
 *   <li>{@link #HADAMARD}: product; {@code xi} gets {@code g} times the product of the others.
 *   <li>{@link #AVG}: mean; each input gets {@code g / (k + 1)}.
 *   <li>{@link #MAX}, {@link #MIN}: elementwise extreme; {@code g} goes to the extreme inputs,
 *       split equally among ties.
 *   <li>{@link #DOT}: matrix product over the last two axes, batched over equal leading axes;
 *       exactly two inputs.
 *   <li>{@link #CHCAT}: concatenation on axis 1; each input gets its slice of {@code g}.
 * </ul>
 *
 * <p>The elementwise modes broadcast like numpy (a {@code [N, C, 1, 1]} gate times a
 * {@code [N, C, H, W]} map); the gradient of a broadcast input is summed over the broadcast axes.
 * A node with a single input passes it through unchanged whatever its mode, except that DOT
 * always needs exactly two inputs (the root, fed by the graph input, ignores its mode). The
 * arithmetic lives in {@link Merge}; {@link #newMerge()} makes the stateful operator a node runs.
 */
public enum MergeMode {
  /** Elementwise sum. */
  SUM(Merge.Op.SUM),
  /** {@code x0 - x1 - ... - xk}. */
  SUB(Merge.Op.SUB),
  /** Elementwise product. */
  HADAMARD(Merge.Op.HADAMARD),
  /** Elementwise mean. */
  AVG(Merge.Op.AVG),
  /** Elementwise maximum, ties share the gradient. */
  MAX(Merge.Op.MAX),
  /** Elementwise minimum, ties share the gradient. */
  MIN(Merge.Op.MIN),
  /** Batched matrix product of exactly two inputs. */
  DOT(Merge.Op.DOT),
  /** Concatenation on axis 1. */
  CHCAT(Merge.Op.CHCAT);

  private final Merge.Op op;

  MergeMode(Merge.Op op) {
    this.op = op;
  }

  /** The operation of the layer-level {@link Merge}. */
  public Merge.Op op() {
    return op;
  }

  /** True when a non-root node with {@code count} inputs may use this mode. */
  public boolean acceptsInputs(int count) {
    return this == DOT ? count == 2 : count >= 1;
  }

  /** What {@link #acceptsInputs} expects, in words. */
  String expectedInputs() {
    return this == DOT ? "exactly 2" : "at least 1";
  }

  /**
   * The merged shape of inputs with the given shapes, or an {@link IllegalArgumentException}
   * naming the mode and every shape.
   */
  public Shape outputShape(List<Shape> inputs) {
    java.util.Objects.requireNonNull(inputs, "inputs");
    return Merge.outputShape(op, inputs);
  }

  /** The FLOPs of merging inputs of the given shapes; see {@link Merge#flops}. */
  public long flops(List<Shape> inputs) {
    java.util.Objects.requireNonNull(inputs, "inputs");
    return Merge.flops(op, inputs);
  }

  /** A new merge operator of this mode, with its own reusable buffers. */
  public Merge newMerge() {
    return new Merge(op);
  }
}

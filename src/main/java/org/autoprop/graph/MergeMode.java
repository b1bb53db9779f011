package org.autoprop.graph;

import java.util.List;
import org.autoprop.layer.merge.Avg;
import org.autoprop.layer.merge.Chcat;
import org.autoprop.layer.merge.Dot;
import org.autoprop.layer.merge.Hadamard;
import org.autoprop.layer.merge.Max;
import org.autoprop.layer.merge.Merge;
import org.autoprop.layer.merge.MergeRule;
import org.autoprop.layer.merge.Min;
import org.autoprop.layer.merge.Sub;
import org.autoprop.layer.merge.Sum;
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
 * always needs exactly two inputs (the root, fed by the graph input, ignores its mode). Each mode
 * is a {@link MergeRule} of the layer level, which holds its arithmetic (the graph never touches
 * {@code float[]}); {@link #newMerge()} makes the stateful operator a node runs.
 */
public enum MergeMode {
  /** Elementwise sum. */
  SUM(new Sum()),
  /** {@code x0 - x1 - ... - xk}. */
  SUB(new Sub()),
  /** Elementwise product. */
  HADAMARD(new Hadamard()),
  /** Elementwise mean. */
  AVG(new Avg()),
  /** Elementwise maximum, ties share the gradient. */
  MAX(new Max()),
  /** Elementwise minimum, ties share the gradient. */
  MIN(new Min()),
  /** Batched matrix product of exactly two inputs. */
  DOT(new Dot()),
  /** Concatenation on axis 1. */
  CHCAT(new Chcat());

  private final MergeRule rule;

  MergeMode(MergeRule rule) {
    this.rule = rule;
  }

  /** The layer-level rule: this mode's shape rule, FLOPs, forward and backward. */
  public MergeRule rule() {
    return rule;
  }

  /** True when a non-root node with {@code count} inputs may use this mode. */
  public boolean acceptsInputs(int count) {
    return rule.acceptsInputs(count);
  }

  /** What {@link #acceptsInputs} expects, in words. */
  String expectedInputs() {
    return rule.expectedInputs();
  }

  /**
   * The merged shape of inputs with the given shapes, or an {@link IllegalArgumentException}
   * naming the mode and every shape.
   */
  public Shape outputShape(List<Shape> inputs) {
    return rule.outputShape(inputs);
  }

  /** The FLOPs of merging inputs of the given shapes; see {@link MergeRule#flops}. */
  public long flops(List<Shape> inputs) {
    return rule.flops(inputs);
  }

  /**
   * A new merge operator of this mode, with its own reusable buffers, on the kernels of
   * {@link org.autoprop.kernel.KernelProvider#current()}.
   */
  public Merge newMerge() {
    return new Merge(rule);
  }
}

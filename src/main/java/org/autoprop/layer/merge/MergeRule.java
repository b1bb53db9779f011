package org.autoprop.layer.merge;

import java.util.List;
import java.util.Objects;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * One merge mode, whole: which inputs it accepts and the shape it makes of them (with the error
 * messages), its FLOPs, its forward and its backward. A rule is stateless and shared; the
 * {@link Merge} that runs it owns the buffers, the broadcasting plans and the parallel split.
 *
 * <p>Each mode is one final class of this package, named by {@code graph.MergeMode}. A new mode
 * is one more subclass (of the package's {@code ElementwiseRule} when it combines elementwise with
 * broadcasting) plus one {@code MergeMode} constant.
 */
public abstract class MergeRule {
  private final String name;

  /** The rules live in this package: {@link Merge} calls their package-private hooks. */
  MergeRule(String name) {
    this.name = name;
  }

  /** The mode's name ({@code "SUM"}, ...), as in error messages and {@code graph.MergeMode}. */
  public final String name() {
    return name;
  }

  /** The mode's name. */
  @Override
  public final String toString() {
    return name;
  }

  /**
   * True for the modes that combine element by element and broadcast like numpy: the
   * {@link Merge} expands a broadcast input to the output shape before the forward, and sums its
   * gradient back over the broadcast axes.
   */
  public boolean elementwise() {
    return false;
  }

  /** True when a graph node with {@code count} inputs may use this mode (default: at least 1). */
  public boolean acceptsInputs(int count) {
    return count >= 1;
  }

  /** What {@link #acceptsInputs} expects, in words ({@code "at least 1"}). */
  public String expectedInputs() {
    return "at least 1";
  }

  /**
   * The output shape for inputs of the given shapes, or an {@link IllegalArgumentException} that
   * names the mode and every input shape.
   */
  public final Shape outputShape(List<Shape> inputs) {
    Objects.requireNonNull(inputs, "inputs");
    if (inputs.isEmpty()) {
      throw new IllegalArgumentException(name + " merge needs at least one input (got none)");
    }
    return shape(inputs);
  }

  /**
   * The FLOPs of merging inputs of the given shapes, by the convention of
   * {@link org.autoprop.layer.Layer#flops}; checks the shapes like {@link #outputShape}.
   */
  public final long flops(List<Shape> inputs) {
    return flops(inputs, outputShape(inputs));
  }

  /** The output shape of one or more inputs; throws {@link #error} when they do not fit. */
  abstract Shape shape(List<Shape> inputs);

  /** The FLOPs of merging inputs of these shapes into {@code out}. */
  abstract long flops(List<Shape> inputs, Shape out);

  /**
   * Writes the merge of {@link Merge#operand}s into {@link Merge#output()}. The operands are
   * contiguous and, for an {@link #elementwise} rule, already expanded to the output shape.
   */
  abstract void forward(Merge m);

  /**
   * Writes the gradient of every input for the upstream gradient {@code g} (contiguous, of the
   * output's shape) into {@link Merge#gradient}, or hands a shared tensor back instead with
   * {@link Merge#handBack}.
   */
  abstract void backward(Merge m, Tensor g);

  /** The shape error: {@code "<MODE> cannot merge input shapes <s0>, <s1>: <why>"}. */
  final IllegalArgumentException error(List<Shape> shapes, String why) {
    StringBuilder sb = new StringBuilder(name).append(" cannot merge input shapes ");
    for (int i = 0; i < shapes.size(); i++) {
      sb.append(i == 0 ? "" : ", ").append(shapes.get(i));
    }
    return new IllegalArgumentException(sb.append(": ").append(why).toString());
  }
}

package org.autoprop.layer;

import java.util.Arrays;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * Reorders the axes of its input into a contiguous output: {@code new Transpose(a, b)} swaps two
 * axes (PyTorch's {@code x.transpose(a, b).contiguous()}), {@link #permute} takes a whole order
 * (Luma's {@code Transpose(axes)}, numpy's {@code np.transpose(x, axes)}, PyTorch's
 * {@code x.permute(*axes)}): output axis {@code i} is input axis {@code order[i]}. Negative axes
 * count from the end.
 *
 * <p>Every axis may move, the batch axis (0) too: the layer treats all axes alike, so moving the
 * batch axis makes a tensor whose first axis is no longer the batch, which the next layers
 * will take for one. The backward pass moves the gradient back with the inverse order. Both copy
 * into buffers this layer reuses (runs of the innermost axes that stay in place are copied whole),
 * so a warm step allocates nothing.
 */
public final class Transpose extends AbstractLayer {
  /** The order as given (negative entries allowed), or null for a swap. */
  private final int[] order;
  private final int a;
  private final int b;
  private final String description;
  private StridedCopy forwardPlan;
  private StridedCopy backwardPlan;

  /**
   * Swaps axes {@code a} and {@code b} (negative values count from the end; checked against the
   * input's rank in {@link #outputShape}).
   *
   * @param a one axis
   * @param b the other axis
   */
  public Transpose(int a, int b) {
    this.order = null;
    this.a = a;
    this.b = b;
    this.description = "Transpose(" + a + ", " + b + ")";
  }

  private Transpose(int[] order) {
    this.order = order;
    this.a = 0;
    this.b = 0;
    this.description = order.length == 0 ? "Transpose(reversed)" : "Transpose(order=" + Arrays.toString(order) + ")";
  }

  /**
   * The layer that puts input axis {@code order[i]} at output axis {@code i}, for an input whose
   * rank is the length of {@code order}; with no order, the axes reversed (numpy's and Luma's
   * default: {@code [a, b, c] -> [c, b, a]}, for any rank).
   *
   * @param order a permutation of the axes; negative entries count from the end
   * @return the layer
   * @throws IllegalArgumentException when {@code order} is not a permutation of
   *     {@code 0 .. order.length - 1} (negative entries counted from the end)
   */
  public static Transpose permute(int... order) {
    int n = java.util.Objects.requireNonNull(order, "order").length;
    boolean[] seen = new boolean[n];
    for (int axis : order) {
      int i = axis < 0 ? axis + n : axis;
      if (i < 0 || i >= n || seen[i]) {
        throw new IllegalArgumentException("Transpose: order " + Arrays.toString(order)
            + " is not a permutation (expected: each axis of 0.." + (n - 1) + " once, negative ones counted from the end)");
      }
      seen[i] = true;
    }
    return new Transpose(order.clone());
  }

  /** {@code Transpose(1, 2)} (a swap), {@code Transpose(order=[0, 2, 1])} or {@code Transpose(reversed)}. */
  @Override
  public String toString() {
    return description;
  }

  /** The input with its extents reordered. */
  @Override
  public Shape outputShape(Shape input) {
    int[] p = permutation(input);
    int[] in = input.dims();
    int[] out = new int[p.length];
    for (int i = 0; i < p.length; i++) {
      out[i] = in[p[i]];
    }
    return Shape.of(out);
  }

  /** Output axis i is input axis p[i], for an input of this shape; checks the rank. */
  private int[] permutation(Shape input) {
    int rank = input.rank();
    int[] p = new int[rank];
    for (int i = 0; i < rank; i++) {
      p[i] = i;
    }
    if (order == null) {
      if (a < -rank || a >= rank || b < -rank || b >= rank) {
        throw new IllegalArgumentException(description + ": input " + input + " has rank " + rank
            + " (expected: axes " + a + " and " + b + " in [" + -rank + ", " + rank + "))");
      }
      int ia = a < 0 ? a + rank : a;
      int ib = b < 0 ? b + rank : b;
      p[ia] = ib;
      p[ib] = ia;
    } else if (order.length == 0) {
      for (int i = 0; i < rank; i++) {
        p[i] = rank - 1 - i;
      }
    } else {
      if (order.length != rank) {
        throw new IllegalArgumentException(description + ": input " + input + " has rank " + rank
            + " (expected: " + order.length + ", one axis per entry of the order)");
      }
      for (int i = 0; i < rank; i++) {
        p[i] = order[i] < 0 ? order[i] + rank : order[i];
      }
    }
    return p;
  }

  /** 0: data movement only (the shape is checked as by {@link #outputShape}). */
  @Override
  public long flops(Shape input) {
    outputShape(input);
    return 0;
  }

  @Override
  protected void prepare(Shape input, Shape output) {
    int[] p = permutation(input);
    int[] inStrides = input.contiguousStrides();
    int[] outStrides = output.contiguousStrides();
    int rank = p.length;
    int[] forwardStrides = new int[rank];
    int[] backwardStrides = new int[rank];
    int[] inDims = input.dims();
    for (int i = 0; i < rank; i++) {
      // Output axis i walks input axis p[i]; input axis p[i] walks output axis i.
      forwardStrides[i] = inStrides[p[i]];
      backwardStrides[p[i]] = outStrides[i];
    }
    forwardPlan = new StridedCopy(0, output.dims(), forwardStrides);
    backwardPlan = new StridedCopy(0, inDims, backwardStrides);
  }

  @Override
  protected void forward(Tensor x, Tensor y, boolean training) {
    forwardPlan.gather(x.data(), x.offset(), y.data(), 0);
  }

  @Override
  protected void backward(Tensor x, Tensor y, Tensor gy, Tensor gx) {
    backwardPlan.gather(gy.data(), gy.offset(), gx.data(), 0);
  }
}

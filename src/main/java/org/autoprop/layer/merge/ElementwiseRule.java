package org.autoprop.layer.merge;

import java.util.Arrays;
import java.util.List;
import org.autoprop.kernel.ElementwiseKernels;
import org.autoprop.kernel.MergeKernels;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * A mode that combines its inputs element by element, broadcasting like numpy: the shape rule,
 * the FLOPs ({@code k - 1} operations per output element for {@code k} inputs) and the forward
 * (a fold of a two-input kernel, or one pass of a three-input kernel) are shared; a mode gives
 * its kernels and its backward. Its operands arrive expanded to the output shape, and a
 * broadcast input's gradient goes back through {@link Merge#reduceInto}.
 */
abstract class ElementwiseRule extends MergeRule {
  private final Merge.Loop onePassForward = this::onePassForward;

  ElementwiseRule(String name) {
    super(name);
  }

  @Override
  public final boolean elementwise() {
    return true;
  }

  @Override
  final Shape shape(List<Shape> inputs) {
    Shape s = inputs.get(0);
    try {
      for (int i = 1; i < inputs.size(); i++) {
        s = Shape.broadcast(s, inputs.get(i));
      }
    } catch (IllegalArgumentException e) {
      throw error(inputs, e.getMessage() + reshapeHint(inputs));
    }
    return s;
  }

  @Override
  long flops(List<Shape> inputs, Shape out) {
    return (inputs.size() - 1) * (long) out.size();
  }

  /** {@code y := y (op) e} over {@code n} elements: folds one more input into the result. */
  abstract void fold(ElementwiseKernels ew, float[] y, float[] e, int eOff, int n);

  /** Called once the {@code k} inputs are folded into {@code y} (AVG divides by {@code k}). */
  void finishFold(ElementwiseKernels ew, float[] y, int k, int n) {}

  /** {@code out := a (op) b (op) c} in one pass (the mode's {@link MergeKernels} three-input kernel). */
  abstract void combine3(MergeKernels mk, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff,
      float[] out, int oOff, int n);

  @Override
  final void forward(Merge m) {
    Tensor out = m.output();
    if (m.onePass()) {
      m.split(out.size(), onePassForward);
      return;
    }
    float[] y = out.data();
    int n = out.size();
    int k = m.inputs();
    Tensor e0 = m.operand(0);
    System.arraycopy(e0.data(), e0.offset(), y, 0, n);
    for (int i = 1; i < k; i++) {
      fold(m.ew, y, m.operand(i).data(), m.operand(i).offset(), n);
    }
    finishFold(m.ew, y, k, n);
  }

  private void onePassForward(Merge m, int from, int to) {
    Tensor a = m.operand(0);
    Tensor b = m.operand(1);
    Tensor c = m.operand(2);
    combine3(m.mk, a.data(), a.offset() + from, b.data(), b.offset() + from, c.data(), c.offset() + from,
        m.output().data(), from, to - from);
  }

  /**
   * Broadcasting aligns trailing axes, so a {@code [N, C]} gate meant for {@code [N, C, H, W]}
   * meets H and W instead of N and C: when a shorter input matches the leading axes of a longer
   * one, point to the Reshape that gives it trailing 1s.
   */
  private static String reshapeHint(List<Shape> shapes) {
    Shape longest = shapes.get(0);
    for (Shape s : shapes) {
      if (s.rank() > longest.rank()) {
        longest = s;
      }
    }
    for (Shape s : shapes) {
      if (s.rank() == 0 || s.rank() >= longest.rank()) {
        continue;
      }
      boolean leading = true;
      for (int a = 0; a < s.rank(); a++) {
        leading &= s.dim(a) == longest.dim(a);
      }
      if (leading) {
        int[] dims = new int[longest.rank()];
        Arrays.fill(dims, 1);
        System.arraycopy(s.dims(), 0, dims, 0, s.rank());
        StringBuilder perSample = new StringBuilder();
        for (int a = 1; a < dims.length; a++) {
          perSample.append(a > 1 ? ", " : "").append(dims[a]);
        }
        return "; broadcasting aligns trailing axes: to apply " + s + " along the leading axes of " + longest
            + ", reshape it to " + Shape.of(dims) + " first (new Reshape(" + perSample + ") before the merge)";
      }
    }
    return "";
  }
}

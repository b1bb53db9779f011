package org.autoprop.layer.merge;

import org.autoprop.kernel.Gemm;
import java.util.List;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * DOT: {@code y = x0 @ x1}, the matrix product over the last two axes, batched over equal leading
 * axes; exactly two inputs, no broadcasting. {@code gx0 = g @ x1^T}, {@code gx1 = x0^T @ g}.
 * Counts {@code 2 * K} FLOPs per output element for the inner dimension {@code K}.
 */
public final class Dot extends MergeRule {
  /** The rule of {@code MergeMode.DOT}. */
  public Dot() {
    super("DOT");
  }

  @Override
  public boolean acceptsInputs(int count) {
    return count == 2;
  }

  @Override
  public String expectedInputs() {
    return "exactly 2";
  }

  @Override
  Shape shape(List<Shape> inputs) {
    if (inputs.size() != 2) {
      throw error(inputs, "takes exactly 2 inputs (got " + inputs.size() + ")");
    }
    Shape a = inputs.get(0);
    Shape b = inputs.get(1);
    if (a.rank() < 2 || a.rank() != b.rank()) {
      throw error(inputs, "needs two inputs of equal rank >= 2 (got ranks " + a.rank() + " and " + b.rank() + ")");
    }
    for (int i = 0; i < a.rank() - 2; i++) {
      if (a.dim(i) != b.dim(i)) {
        throw error(inputs, "batch axis " + i + " has " + a.dim(i) + " vs " + b.dim(i) + " (expected: equal)");
      }
    }
    if (a.dim(-1) != b.dim(-2)) {
      throw error(inputs, "inner dimensions " + a.dim(-1) + " and " + b.dim(-2) + " differ");
    }
    return a.withDim(-1, b.dim(-1));
  }

  @Override
  long flops(List<Shape> inputs, Shape out) {
    return 2L * out.size() * inputs.get(0).dim(-1);
  }

  @Override
  void forward(Merge m) {
    Tensor a = m.operand(0);
    Tensor b = m.operand(1);
    Tensor y = m.output();
    int rows = a.dim(-2);
    int inner = a.dim(-1);
    int cols = b.dim(-1);
    int batch = a.shape().sizeOf(0, a.rank() - 2);
    for (int t = 0; t < batch; t++) {
      Gemm.multiplySerial(m.gemm, false, false, rows, cols, inner, a.data(), a.offset() + t * rows * inner, inner,
          b.data(), b.offset() + t * inner * cols, cols, y.data(), t * rows * cols, cols, false);
    }
  }

  @Override
  void backward(Merge m, Tensor g) {
    Tensor a = m.operand(0);
    Tensor b = m.operand(1);
    int rows = a.dim(-2);
    int inner = a.dim(-1);
    int cols = b.dim(-1);
    int batch = a.shape().sizeOf(0, a.rank() - 2);
    float[] ga = m.gradient(0).data();
    float[] gb = m.gradient(1).data();
    for (int t = 0; t < batch; t++) {
      int go = g.offset() + t * rows * cols;
      // gA[rows x inner] = g[rows x cols] * B^T, B stored inner x cols
      Gemm.multiplySerial(m.gemm, false, true, rows, inner, cols, g.data(), go, cols, b.data(), b.offset() + t * inner * cols, cols,
          ga, t * rows * inner, inner, false);
      // gB[inner x cols] = A^T * g, A stored rows x inner
      Gemm.multiplySerial(m.gemm, true, false, inner, cols, rows, a.data(), a.offset() + t * rows * inner, inner, g.data(), go, cols,
          gb, t * inner * cols, cols, false);
    }
  }
}

package org.autoprop.layer;

import org.autoprop.kernel.ElementwiseKernels;
import org.autoprop.kernel.Parallel;
import org.autoprop.kernel.ParallelPolicy;
import org.autoprop.tensor.Tensor;

/** y = max(x, 0); gx = g where y &gt; 0, else 0 (from the output). */
public final class ReLU extends Activation implements FusableActivation {

  private final ElementwiseKernels elementwise = kernels.elementwise();
  private final Pass pass = new Pass();

  /** A ReLU. */
  public ReLU() {}

  /** {@link FusableActivation.Kind#RELU}: a batch norm before it may apply it ({@link BatchNormReLU2D}). */
  @Override
  public Kind kind() {
    return Kind.RELU;
  }

  @Override
  protected void apply(Tensor x, Tensor y) {
    pass.run(x, y, null, y.size());
  }

  @Override
  protected void applyBackward(Tensor x, Tensor y, Tensor g, Tensor gx) {
    pass.run(y, g, gx, gx.size());
  }

  /**
   * One pass over a range of elements, reused so that a parallel pass allocates nothing: forward
   * {@code b := relu(a)} when {@code c} is null, else backward {@code c := b where a > 0}.
   */
  private final class Pass implements Parallel.Chunk {
    private Tensor a;
    private Tensor b;
    private Tensor c;

    void run(Tensor a, Tensor b, Tensor c, int n) {
      this.a = a;
      this.b = b;
      this.c = c;
      try {
        ParallelPolicy.ELEMENTWISE.forChunks(n, n, this);
      } finally {
        this.a = null;
        this.b = null;
        this.c = null;
      }
    }

    @Override
    public void run(int from, int to) {
      int n = to - from;
      if (c == null) {
        elementwise.relu(a.data(), a.offset() + from, b.data(), b.offset() + from, n);
      } else {
        elementwise.reluBackward(a.data(), a.offset() + from, b.data(), b.offset() + from, c.data(),
            c.offset() + from, n);
      }
    }
  }
}

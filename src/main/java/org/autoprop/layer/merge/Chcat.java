package org.autoprop.layer.merge;

import java.util.List;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * CHCAT: concatenation along axis 1 (channels) of inputs that agree on every other axis; each
 * input gets its slice of {@code g}. A copy: 0 FLOPs.
 *
 * <p>The copies are split into blocks: block {@code q} is image {@code q / k} of input
 * {@code q % k}, one contiguous run in both the input (or its gradient) and the output (or
 * {@code g}); large merges copy blocks on several threads.
 */
public final class Chcat extends MergeRule {
  private static final Merge.Loop FORWARD = (m, from, to) -> copyBlocks(m, true, from, to);
  private static final Merge.Loop BACKWARD = (m, from, to) -> copyBlocks(m, false, from, to);

  /** The rule of {@code MergeMode.CHCAT}. */
  public Chcat() {
    super("CHCAT");
  }

  @Override
  Shape shape(List<Shape> inputs) {
    Shape first = inputs.get(0);
    if (first.rank() < 2) {
      throw error(inputs, "needs inputs of rank >= 2 (axis 1 is the channel axis)");
    }
    int channels = 0;
    for (int i = 0; i < inputs.size(); i++) {
      Shape s = inputs.get(i);
      if (s.rank() != first.rank()) {
        throw error(inputs, "input " + i + " has rank " + s.rank() + " (expected: " + first.rank() + ")");
      }
      for (int a = 0; a < s.rank(); a++) {
        if (a != 1 && s.dim(a) != first.dim(a)) {
          throw error(inputs, "input " + i + " has " + s.dim(a) + " at axis " + a
              + " (expected: " + first.dim(a) + ", all axes but 1 must match)");
        }
      }
      channels += s.dim(1);
    }
    return first.withDim(1, channels);
  }

  @Override
  long flops(List<Shape> inputs, Shape out) {
    return 0;
  }

  @Override
  void forward(Merge m) {
    m.split(m.output().dim(0) * m.inputs(), FORWARD);
  }

  @Override
  void backward(Merge m, Tensor g) {
    m.split(g.dim(0) * m.inputs(), BACKWARD);
  }

  /** Copies blocks {@code [from, to)} into the output ({@code forward}) or from g into the gradients. */
  private static void copyBlocks(Merge m, boolean forward, int from, int to) {
    int k = m.inputs();
    Tensor whole = forward ? m.output() : m.upstream();
    Shape outShape = whole.shape();
    int inner = outShape.sizeOf(2, outShape.rank());
    int total = outShape.dim(1) * inner;
    float[] big = whole.data();
    int bigOff = whole.offset();
    int b = from / k;
    int i = from % k;
    int at = 0;
    for (int j = 0; j < i; j++) {
      at += m.operand(j).dim(1) * inner;
    }
    for (int q = from; q < to; q++) {
      Tensor x = m.operand(i);
      int block = x.dim(1) * inner;
      if (forward) {
        System.arraycopy(x.data(), x.offset() + b * block, big, bigOff + b * total + at, block);
      } else {
        System.arraycopy(big, bigOff + b * total + at, m.gradient(i).data(), b * block, block);
      }
      at += block;
      if (++i == k) {
        i = 0;
        at = 0;
        b++;
      }
    }
  }
}

package org.autoprop.layer;

import java.util.SplittableRandom;
import org.autoprop.kernel.ElementwiseKernels;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * The shared logic of {@link Dropout} and {@link Dropout2D}: the input is split into groups of
 * equal size (single elements, or whole channel planes) and each group is kept with probability
 * {@code 1 - p} and scaled by {@code 1 / (1 - p)} in training, or zeroed.
 */
abstract class DropoutCore extends AbstractLayer {
  private final double p;
  private final float keepScale;
  private final SplittableRandom random;
  private final ElementwiseKernels elementwise = kernels.elementwise();

  private float[] mask = new float[0];

  DropoutCore(String type, double p, long seed) {
    if (!(p >= 0 && p < 1)) {
      throw new IllegalArgumentException(type + ": p " + p + " (expected: 0 <= p < 1)");
    }
    this.p = p;
    this.keepScale = (float) (1 / (1 - p));
    this.random = new SplittableRandom(seed);
  }

  /** The number of elements sharing one mask value (1 or a channel plane); checks the shape. */
  abstract int groupSize(Shape input);

  /** The drop probability. */
  public final double p() {
    return p;
  }

  String describe() {
    return typeName() + "(p=" + p + ")";
  }

  @Override
  public Shape outputShape(Shape input) {
    groupSize(input);
    return input;
  }

  @Override
  protected void forward(Tensor x, Tensor y, boolean training) {
    if (training) {
      int group = groupSize(x.shape());
      int groups = group == 0 ? 0 : x.size() / group;
      if (mask.length != groups) {
        mask = new float[groups];
      }
      for (int i = 0; i < groups; i++) {
        mask[i] = random.nextDouble() < p ? 0f : keepScale;
      }
      apply(x.data(), x.offset(), group, y.data());
    } else {
      y.copyFrom(x);
    }
  }

  private void apply(float[] src, int off, int group, float[] dst) {
    if (group == 1) {
      elementwise.mul(src, off, mask, 0, dst, 0, mask.length);
    } else {
      for (int i = 0; i < mask.length; i++) {
        elementwise.scale(mask[i], src, off + i * group, dst, i * group, group);
      }
    }
  }

  @Override
  protected void backward(Tensor x, Tensor y, Tensor gy, Tensor gx) {
    if (lastForwardTraining()) {
      apply(gy.data(), gy.offset(), groupSize(x.shape()), gx.data());
    } else {
      gx.copyFrom(gy);
    }
  }

  /** 0: data movement only (inference-time dropout is the identity). */
  @Override
  public long flops(Shape input) {
    outputShape(input);
    return 0;
  }

  @Override
  public String toString() {
    return describe();
  }
}

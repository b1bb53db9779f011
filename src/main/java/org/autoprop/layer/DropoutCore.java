package org.autoprop.layer;

import java.util.SplittableRandom;
import org.autoprop.kernel.ElementwiseKernels;
import org.autoprop.kernel.KernelProvider;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * The shared logic of {@link Dropout} and {@link Dropout2D}: the input is split into groups of
 * equal size (single elements, or whole channel planes) and each group is kept with probability
 * {@code 1 - p} and scaled by {@code 1 / (1 - p)} in training, or zeroed.
 */
abstract class DropoutCore implements Layer {
  private final double p;
  private final float keepScale;
  private final SplittableRandom random;
  private final ElementwiseKernels kernels = KernelProvider.get().elementwise();

  private float[] mask = new float[0];
  private Tensor output;
  private Tensor gradInput;
  private Shape lastShape;
  private boolean lastTraining;

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
  public Tensor forward(Tensor x, boolean training) {
    Shape shape = x.shape();
    int group = groupSize(shape);
    Tensor in = x.contiguous();
    output = Tensor.reuse(output, shape);
    if (training) {
      int groups = group == 0 ? 0 : shape.size() / group;
      if (mask.length != groups) {
        mask = new float[groups];
      }
      for (int i = 0; i < groups; i++) {
        mask[i] = random.nextDouble() < p ? 0f : keepScale;
      }
      apply(in.data(), in.offset(), group, output.data());
    } else {
      output.copyFrom(in);
    }
    lastShape = shape;
    lastTraining = training;
    return output;
  }

  private void apply(float[] src, int off, int group, float[] dst) {
    if (group == 1) {
      kernels.mul(src, off, mask, 0, dst, 0, mask.length);
    } else {
      for (int i = 0; i < mask.length; i++) {
        kernels.scale(mask[i], src, off + i * group, dst, i * group, group);
      }
    }
  }

  @Override
  public Tensor backward(Tensor gradOut) {
    if (lastShape == null) {
      throw new IllegalStateException(describe() + ": backward called before forward");
    }
    if (!gradOut.shape().equals(lastShape)) {
      throw new IllegalArgumentException(describe() + ": gradient shape " + gradOut.shape()
          + " (expected: " + lastShape + ", the output shape of the latest forward)");
    }
    Tensor g = gradOut.contiguous();
    gradInput = Tensor.reuse(gradInput, lastShape);
    if (lastTraining) {
      apply(g.data(), g.offset(), groupSize(lastShape), gradInput.data());
    } else {
      gradInput.copyFrom(g);
    }
    return gradInput;
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

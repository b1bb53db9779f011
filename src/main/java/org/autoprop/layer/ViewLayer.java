package org.autoprop.layer;

import java.util.Objects;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * The base of the layers that only reinterpret the shape ({@link Flatten}, {@link Reshape},
 * {@link Identity}): a subclass writes its shape rule, and this class owns the rest of the
 * lifecycle. The output is a view of a contiguous input (no copy), or a copy into a reused buffer
 * when the input is strided; the input gradient is a view of the upstream gradient reshaped back,
 * the same way. Views are cached, so a warm step allocates nothing.
 *
 * <p>Package-private: a layer that computes something extends {@link AbstractLayer}.
 */
abstract class ViewLayer implements Layer {
  private final ShapeCache shapes = new ShapeCache(this, (in, out) -> {});
  private Shape inShape;
  private Shape outShape;
  private final ViewOf forwardView = new ViewOf();
  private final ViewOf backwardView = new ViewOf();

  /** The input as a tensor of the output shape: a view of it when it is contiguous. */
  @Override
  public final Tensor forward(Tensor x, boolean training) {
    Objects.requireNonNull(x, "x");
    Shape target = shapes.outputShape(x.shape());
    inShape = x.shape();
    outShape = target;
    return forwardView.of(x, target);
  }

  /**
   * The upstream gradient as a tensor of the latest input's shape: a view of it when it is
   * contiguous.
   *
   * @throws IllegalStateException before any forward
   * @throws IllegalArgumentException if {@code gradOut}'s shape is not the latest output's
   */
  @Override
  public final Tensor backward(Tensor gradOut) {
    Objects.requireNonNull(gradOut, "gradOut");
    LayerChecks.checkGradient(this, outShape, gradOut.shape());
    return backwardView.of(gradOut, inShape);
  }

  /** 0: data movement only. */
  @Override
  public final long flops(Shape input) {
    outputShape(input);
    return 0;
  }

  /** The type name and settings. */
  @Override
  public String toString() {
    return typeName();
  }

  /** One direction's latest view and its source: the same source and shape give the same view back. */
  private static final class ViewOf {
    private Tensor source;
    private Tensor view;
    private Tensor copy;

    Tensor of(Tensor t, Shape target) {
      if (t.isContiguous()) {
        if (t.shape().equals(target)) {
          return t;
        }
        // Tensors are mutable only in their values, so the same object and shape give the same view.
        if (source != t || !view.shape().equals(target)) {
          view = t.reshape(target);
          source = t;
        }
        return view;
      }
      copy = Tensor.reuse(copy, target);
      // copyFrom needs equal shapes: copy through a view of the buffer with t's shape.
      copy.reshape(t.shape()).copyFrom(t);
      return copy;
    }
  }
}

package org.autoprop.layer;

import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * The forward and backward of a pure reshape ({@link Flatten}, {@link Reshape}): a view when the
 * tensor is contiguous, otherwise a copy into a reused buffer.
 */
final class ViewBuffers {
  private Tensor outCopy;
  private Tensor gradCopy;
  private Shape inShape;
  private Shape outShape;

  Tensor forward(Tensor x, Shape target) {
    inShape = x.shape();
    outShape = target;
    return view(x, target, true);
  }

  Tensor backward(Tensor gradOut, String layer) {
    if (inShape == null) {
      throw new IllegalStateException(layer + ": backward called before forward");
    }
    if (!gradOut.shape().equals(outShape)) {
      throw new IllegalArgumentException(layer + ": gradient shape " + gradOut.shape()
          + " (expected: " + outShape + ", the output shape of the latest forward)");
    }
    return view(gradOut, inShape, false);
  }

  // The latest views and their sources: a reused source buffer gets the same view back.
  private Tensor outSource;
  private Tensor outView;
  private Tensor gradSource;
  private Tensor gradView;

  private Tensor view(Tensor t, Shape target, boolean forward) {
    if (t.isContiguous()) {
      Tensor source = forward ? outSource : gradSource;
      Tensor v = forward ? outView : gradView;
      // Tensors are mutable only in their values, so same object and same shapes = same view.
      if (source != t || !v.shape().equals(target)) {
        v = t.reshape(target);
        if (forward) {
          outSource = t;
          outView = v;
        } else {
          gradSource = t;
          gradView = v;
        }
      }
      return v;
    }
    Tensor buf = Tensor.reuse(forward ? outCopy : gradCopy, target);
    if (forward) {
      outCopy = buf;
    } else {
      gradCopy = buf;
    }
    // copyFrom needs equal shapes: copy through a view of the buffer with t's shape.
    buf.reshape(t.shape()).copyFrom(t);
    return buf;
  }
}

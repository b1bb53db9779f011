package org.autoprop.graph;

import org.autoprop.layer.Layer;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/** Test fixture: y = tanh(x), a smooth parameter-free layer of any shape. */
final class Smooth implements Layer {
  private Tensor out;
  private Tensor gradIn;

  @Override
  public Shape outputShape(Shape input) {
    return input;
  }

  @Override
  public Tensor forward(Tensor x, boolean training) {
    out = Tensor.reuse(out, x.shape());
    for (int i = 0, n = x.size(); i < n; i++) {
      out.data()[i] = (float) Math.tanh(x.getFlat(i));
    }
    return out;
  }

  @Override
  public Tensor backward(Tensor gradOut) {
    gradIn = Tensor.reuse(gradIn, gradOut.shape());
    for (int i = 0, n = gradOut.size(); i < n; i++) {
      float y = out.data()[i];
      gradIn.data()[i] = gradOut.getFlat(i) * (1 - y * y);
    }
    return gradIn;
  }

  @Override
  public String typeName() {
    return "Smooth";
  }
}

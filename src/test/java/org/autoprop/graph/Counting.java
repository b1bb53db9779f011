package org.autoprop.graph;

import org.autoprop.layer.Layer;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/** Test fixture: the identity, counting its forward and backward calls. */
final class Counting implements Layer {
  int forwards;
  int backwards;

  @Override
  public Shape outputShape(Shape input) {
    return input;
  }

  @Override
  public Tensor forward(Tensor x, boolean training) {
    forwards++;
    return x;
  }

  @Override
  public Tensor backward(Tensor gradOut) {
    backwards++;
    return gradOut;
  }
}

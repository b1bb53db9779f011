package org.autoprop.graph;

import java.util.List;
import org.autoprop.layer.Layer;
import org.autoprop.layer.Parameter;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/** Test fixture: per-channel affine map y[n, c, ...] = x[n, c, ...] * weight[c] + bias[c]. */
final class Scale implements Layer {
  private final int channels;
  private final Parameter weight;
  private final Parameter bias;
  private Tensor x;
  private Tensor out;
  private Tensor gradIn;

  Scale(int channels, long seed) {
    this.channels = channels;
    this.weight = new Parameter("weight", Tensor.uniform(Shape.of(channels), 0.5f, 1.5f, seed));
    this.bias = new Parameter("bias", Tensor.uniform(Shape.of(channels), -0.5f, 0.5f, seed + 1));
  }

  @Override
  public Shape outputShape(Shape input) {
    if (input.rank() < 2 || input.dim(1) != channels) {
      throw new IllegalArgumentException("Scale(" + channels + "): input " + input + " has "
          + (input.rank() < 2 ? "no channel axis" : input.dim(1) + " channels") + " (expected: " + channels + ")");
    }
    return input;
  }

  @Override
  public Tensor forward(Tensor input, boolean training) {
    outputShape(input.shape());
    x = input.contiguous();
    out = Tensor.reuse(out, input.shape());
    int inner = input.shape().sizeOf(2, input.rank());
    float[] xd = x.data();
    float[] w = weight.value().data();
    float[] b = bias.value().data();
    for (int i = 0, n = input.size(); i < n; i++) {
      int c = (i / inner) % channels;
      out.data()[i] = xd[x.offset() + i] * w[c] + b[c];
    }
    return out;
  }

  @Override
  public Tensor backward(Tensor gradOut) {
    Tensor g = gradOut.contiguous();
    gradIn = Tensor.reuse(gradIn, g.shape());
    int inner = g.shape().sizeOf(2, g.rank());
    float[] w = weight.value().data();
    for (int i = 0, n = g.size(); i < n; i++) {
      int c = (i / inner) % channels;
      float gi = g.data()[g.offset() + i];
      gradIn.data()[i] = gi * w[c];
      weight.grad().data()[c] += gi * x.data()[x.offset() + i];
      bias.grad().data()[c] += gi;
    }
    return gradIn;
  }

  @Override
  public List<Parameter> parameters() {
    return List.of(weight, bias);
  }

  @Override
  public String typeName() {
    return "Scale";
  }
}

package org.autoprop.graph;

import java.util.List;
import org.autoprop.layer.Layer;
import org.autoprop.layer.Parameter;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * Test fixture: channel mixing (a 1x1 convolution without the kernel), y[n, o, ...] =
 * sum_i weight[o, i] x[n, i, ...] + bias[o]; changes the channel count.
 */
final class Mix implements Layer {
  private final int in;
  private final int outC;
  private final Parameter weight;
  private final Parameter bias;
  private Tensor x;
  private Tensor out;
  private Tensor gradIn;
  private Shape lastIn;
  private Shape lastOut;

  Mix(int in, int out, long seed) {
    this.in = in;
    this.outC = out;
    this.weight = new Parameter("weight", Tensor.uniform(Shape.of(out, in), -1f, 1f, seed));
    this.bias = new Parameter("bias", Tensor.uniform(Shape.of(out), -0.5f, 0.5f, seed + 1));
  }

  @Override
  public Shape outputShape(Shape input) {
    if (input.rank() < 2 || input.dim(1) != in) {
      throw new IllegalArgumentException("Mix(" + in + "->" + outC + "): input " + input + " has "
          + (input.rank() < 2 ? "no channel axis" : input.dim(1) + " channels") + " (expected: " + in + ")");
    }
    return input.withDim(1, outC);
  }

  @Override
  public Tensor forward(Tensor input, boolean training) {
    if (!input.shape().equals(lastIn)) {
      lastOut = outputShape(input.shape()); // once per input shape: no allocation in steady state
      lastIn = input.shape();
    }
    Shape os = lastOut;
    x = input.contiguous();
    out = Tensor.reuse(out, os);
    int batch = os.dim(0);
    int inner = os.sizeOf(2, os.rank());
    float[] w = weight.value().data();
    for (int b = 0; b < batch; b++) {
      for (int o = 0; o < outC; o++) {
        for (int s = 0; s < inner; s++) {
          float acc = bias.value().data()[o];
          for (int i = 0; i < in; i++) {
            acc += w[o * in + i] * x.data()[x.offset() + (b * in + i) * inner + s];
          }
          out.data()[(b * outC + o) * inner + s] = acc;
        }
      }
    }
    return out;
  }

  @Override
  public Tensor backward(Tensor gradOut) {
    Tensor g = gradOut.contiguous();
    gradIn = Tensor.reuse(gradIn, x.shape());
    gradIn.fill(0f);
    int batch = g.dim(0);
    int inner = g.shape().sizeOf(2, g.rank());
    float[] w = weight.value().data();
    float[] gw = weight.grad().data();
    for (int b = 0; b < batch; b++) {
      for (int o = 0; o < outC; o++) {
        for (int s = 0; s < inner; s++) {
          float go = g.data()[g.offset() + (b * outC + o) * inner + s];
          bias.grad().data()[o] += go;
          for (int i = 0; i < in; i++) {
            int xi = (b * in + i) * inner + s;
            gw[o * in + i] += go * x.data()[x.offset() + xi];
            gradIn.data()[xi] += go * w[o * in + i];
          }
        }
      }
    }
    return gradIn;
  }

  @Override
  public List<Parameter> parameters() {
    return List.of(weight, bias);
  }

  @Override
  public String typeName() {
    return "Mix";
  }
}

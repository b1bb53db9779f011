package org.autoprop.train;

import java.util.List;
import java.util.Map;
import org.autoprop.layer.Layer;
import org.autoprop.layer.Parameter;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * A plain fully connected layer for training tests (the real layers live elsewhere):
 * {@code y = x W^T + b}, W {@code [out, in]}, x {@code [n, in]} (or {@code [n, ...]} flattened).
 * It keeps a buffer {@code running_mean} of the output's batch mean (momentum 0.1, training only)
 * so state dicts have a buffer to carry, and counts its training forwards.
 */
public final class DenseFixture implements Layer {
  private final int in;
  private final int out;
  private final Parameter weight;
  private final Parameter bias;
  private final Tensor runningMean;
  private Tensor x;
  private Tensor y;
  private Tensor gx;
  private Shape inputShape;
  int trainingForwards;
  int evalForwards;

  /** Weights uniform in +-1/sqrt(in) from {@code seed}, bias zero. */
  public DenseFixture(String prefix, int in, int out, long seed) {
    this.in = in;
    this.out = out;
    float bound = (float) (1 / Math.sqrt(in));
    String p = prefix.isEmpty() ? "" : prefix + ".";
    weight = new Parameter(p + "weight", Tensor.uniform(Shape.of(out, in), -bound, bound, seed));
    bias = new Parameter(p + "bias", Tensor.zeros(out));
    runningMean = Tensor.zeros(out);
    this.prefix = p;
  }

  private final String prefix;

  @Override
  public Shape outputShape(Shape input) {
    if (input.rank() < 2 || input.size() / input.dim(0) != in) {
      throw new IllegalArgumentException("DenseFixture(" + in + "->" + out + "): input " + input
          + " (expected: [batch, " + in + "])");
    }
    return Shape.of(input.dim(0), out);
  }

  @Override
  public Tensor forward(Tensor input, boolean training) {
    Shape s = outputShape(input.shape());
    inputShape = input.shape();
    x = input.contiguous().reshape(input.dim(0), in);
    y = Tensor.reuse(y, s);
    int n = s.dim(0);
    float[] w = weight.value().data();
    float[] b = bias.value().data();
    float[] xd = x.data();
    float[] yd = y.data();
    for (int i = 0; i < n; i++) {
      for (int o = 0; o < out; o++) {
        double acc = b[o];
        for (int k = 0; k < in; k++) {
          acc += (double) xd[x.offset() + i * in + k] * w[o * in + k];
        }
        yd[i * out + o] = (float) acc;
      }
    }
    if (training) {
      trainingForwards++;
      float[] rm = runningMean.data();
      for (int o = 0; o < out; o++) {
        double mean = 0;
        for (int i = 0; i < n; i++) {
          mean += yd[i * out + o];
        }
        rm[o] = (float) (0.9 * rm[o] + 0.1 * mean / n);
      }
    } else {
      evalForwards++;
    }
    return y;
  }

  @Override
  public Tensor backward(Tensor gradOut) {
    int n = x.dim(0);
    gx = Tensor.reuse(gx, Shape.of(n, in));
    float[] g = gradOut.contiguous().data();
    int go = gradOut.contiguous().offset();
    float[] w = weight.value().data();
    float[] gw = weight.grad().data();
    float[] gb = bias.grad().data();
    float[] xd = x.data();
    float[] gxd = gx.data();
    java.util.Arrays.fill(gxd, 0f);
    for (int i = 0; i < n; i++) {
      for (int o = 0; o < out; o++) {
        float gi = g[go + i * out + o];
        gb[o] += gi;
        for (int k = 0; k < in; k++) {
          gw[o * in + k] += gi * xd[x.offset() + i * in + k];
          gxd[i * in + k] += gi * w[o * in + k];
        }
      }
    }
    return gx.reshape(inputShape);
  }

  @Override
  public List<Parameter> parameters() {
    return List.of(weight, bias);
  }

  @Override
  public Map<String, Tensor> buffers() {
    return Map.of(prefix + "running_mean", runningMean);
  }

  @Override
  public String typeName() {
    return "DenseFixture";
  }
}

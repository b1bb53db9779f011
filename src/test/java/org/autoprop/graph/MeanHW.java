package org.autoprop.graph;

import java.util.Map;
import org.autoprop.layer.Layer;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * Test fixture: global average over the spatial axes, [N, C, H, W] to [N, C, 1, 1] (the squeeze
 * of a squeeze-excitation block); also exposes a buffer (the count of forwards) to test buffer names.
 */
final class MeanHW implements Layer {
  private final Tensor calls = Tensor.zeros(1);
  private Shape in;
  private Tensor out;
  private Tensor gradIn;
  private Shape lastOut;

  @Override
  public Shape outputShape(Shape input) {
    if (input.rank() != 4) {
      throw new IllegalArgumentException("MeanHW: input " + input + " has rank " + input.rank() + " (expected: 4)");
    }
    return Shape.of(input.dim(0), input.dim(1), 1, 1);
  }

  @Override
  public Tensor forward(Tensor x, boolean training) {
    if (!x.shape().equals(in)) {
      lastOut = outputShape(x.shape()); // once per input shape: no allocation in steady state
      in = x.shape();
    }
    Shape os = lastOut;
    out = Tensor.reuse(out, os);
    int hw = in.dim(2) * in.dim(3);
    for (int p = 0; p < os.size(); p++) {
      double s = 0;
      for (int i = 0; i < hw; i++) {
        s += x.getFlat(p * hw + i);
      }
      out.data()[p] = (float) (s / hw);
    }
    calls.data()[0]++;
    return out;
  }

  @Override
  public Tensor backward(Tensor gradOut) {
    gradIn = Tensor.reuse(gradIn, in);
    int hw = in.dim(2) * in.dim(3);
    for (int i = 0; i < gradIn.size(); i++) {
      gradIn.data()[i] = gradOut.getFlat(i / hw) / hw;
    }
    return gradIn;
  }

  @Override
  public Map<String, Tensor> buffers() {
    return Map.of("calls", calls);
  }
}

package org.autoprop.testing;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.zip.CRC32;
import org.autoprop.io.StateDict;
import org.autoprop.layer.Layer;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * The Java twin of {@code tools/conformance/synthetic.py}: every state-dict entry a formula of its
 * name (see the script), so that model parity tests commit logits, not weights. The values are
 * computed in double and rounded to float, as the script does, so both sides hold the same floats.
 */
public final class SyntheticWeights {
  private SyntheticWeights() {}

  /**
   * Overwrites every parameter and buffer of {@code model} with its synthetic value, but
   * BatchNorm's {@code num_batches_tracked} counts (the script leaves them at 0 too).
   */
  public static void fill(Layer model) {
    for (Map.Entry<String, Tensor> e : StateDict.of(model).entrySet()) {
      if (!Conformance.isBatchCounter(e.getKey())) {
        e.getValue().copyFrom(of(e.getKey(), e.getValue().shape()));
      }
    }
  }

  /** The synthetic tensor of the given name and shape. */
  public static Tensor of(String name, Shape shape) {
    CRC32 crc = new CRC32();
    crc.update(name.getBytes(StandardCharsets.UTF_8));
    long base = crc.getValue();
    int[] d = shape.dims();
    boolean weight = name.endsWith("weight");
    double scale = 1;
    boolean positive = false;
    if (d.length == 4 && weight) {
      scale = Math.sqrt(6.0 / (d[1] * d[2] * d[3]));
    } else if (d.length == 2 && weight) {
      scale = Math.sqrt(1.0 / d[1]);
    } else if (name.endsWith("bias") || name.endsWith("running_mean")) {
      scale = 0.2;
    } else if (weight || name.endsWith("running_var")) {
      positive = true;
    }
    Tensor t = Tensor.zeros(shape);
    float[] v = t.data();
    for (int i = 0; i < v.length; i++) {
      double u = ((base + i * 2654435761L) & 0xFFFFFFFFL) / 4294967296.0;
      v[i] = (float) (positive ? 0.5 + u : (2 * u - 1) * scale);
    }
    return t;
  }
}

package org.autoprop.layer;

import java.util.Arrays;
import java.util.List;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * A learnable per-channel scale of an image batch {@code [N, C, H, W]}, ConvNeXt's layer scale:
 * {@code y = gamma * x} with {@code gamma} of shape {@code [C, 1, 1]}, broadcast over the batch and
 * the positions, initialised to a small constant (1e-6 by default), so that a residual branch
 * starts near zero.
 *
 * <p>The parameter is torchvision's {@code CNBlock.layer_scale}, {@code nn.Parameter(torch.ones(dim,
 * 1, 1) * layer_scale)}, same shape and values, here under the name {@code gamma} (ConvNeXt's and
 * timm's name; timm's {@code LayerScale2d.gamma} is {@code [C]}, the same values). No buffers; the
 * same in training and evaluation. Gradients: {@code gx = gamma * gy},
 * {@code grad.gamma[c] += sum(gy x)} over samples and positions.
 */
public final class LayerScale extends AbstractLayer {
  /** ConvNeXt's default initial scale. */
  public static final double DEFAULT_INIT = 1e-6;

  private final int channels;
  private final Parameter gamma;
  private final double[] gammaGrad;
  private int batch;
  private int spatial;

  /**
   * A layer scale over {@code channels} channels, every scale 1e-6.
   *
   * @param channels the number of channels {@code C}, {@literal >=} 1
   * @throws IllegalArgumentException if channels is below 1
   */
  public LayerScale(int channels) {
    this(channels, DEFAULT_INIT);
  }

  /**
   * A layer scale over {@code channels} channels, every scale {@code init}.
   *
   * @param channels the number of channels {@code C}, {@literal >=} 1
   * @param init the initial value of every scale (torchvision's {@code layer_scale}), finite
   * @throws IllegalArgumentException if channels is below 1 or init is not finite
   */
  public LayerScale(int channels, double init) {
    this.channels = channels;
    ChannelChecks.channels(this, channels);
    if (Double.isNaN(init) || Double.isInfinite(init)) {
      throw new IllegalArgumentException(this + ": init " + init + " (expected: finite)");
    }
    gamma = new Parameter("gamma", Tensor.full(Shape.of(channels, 1, 1), (float) init));
    gammaGrad = new double[channels];
  }

  /** The number of channels. */
  public int channels() {
    return channels;
  }

  /** The per-channel scale, {@code [C, 1, 1]}. */
  public Parameter gamma() {
    return gamma;
  }

  /** {@code gamma}. */
  @Override
  public List<Parameter> parameters() {
    return List.of(gamma);
  }

  /**
   * The input shape.
   *
   * @throws IllegalArgumentException for a rank other than 4 or another channel count
   */
  @Override
  public Shape outputShape(Shape input) {
    ChannelChecks.spatial(this, input, 4, 4, "[N, C, H, W]", channels);
    return input;
  }

  @Override
  protected void prepare(Shape in, Shape out) {
    batch = in.dim(0);
    spatial = in.sizeOf(2, 4);
  }

  @Override
  protected void forward(Tensor x, Tensor y, boolean training) {
    float[] xd = x.data();
    int xo = x.offset();
    float[] yd = y.data();
    float[] g = gamma.value().data();
    for (int n = 0, i = 0; n < batch; n++) {
      for (int c = 0; c < channels; c++) {
        float gc = g[c];
        for (int s = 0; s < spatial; s++, i++) {
          yd[i] = gc * xd[xo + i];
        }
      }
    }
  }

  @Override
  protected void backward(Tensor x, Tensor y, Tensor gy, Tensor gx) {
    float[] xd = x.data();
    int xo = x.offset();
    float[] gd = gy.data();
    int go = gy.offset();
    float[] gxd = gx.data();
    float[] g = gamma.value().data();
    Arrays.fill(gammaGrad, 0);
    for (int n = 0, i = 0; n < batch; n++) {
      for (int c = 0; c < channels; c++) {
        float gc = g[c];
        double sum = 0;
        for (int s = 0; s < spatial; s++, i++) {
          float gi = gd[go + i];
          sum += (double) gi * xd[xo + i];
          gxd[i] = gc * gi;
        }
        gammaGrad[c] += sum;
      }
    }
    GroupNormCore.addInto(gamma.grad(), gammaGrad);
  }

  /** One multiply per element. */
  @Override
  public long flops(Shape input) {
    return outputShape(input).size();
  }

  @Override
  public String typeName() {
    return "LayerScale";
  }

  @Override
  public String toString() {
    return "LayerScale(" + channels + ")";
  }
}

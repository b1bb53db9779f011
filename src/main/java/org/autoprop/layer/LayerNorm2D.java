package org.autoprop.layer;

import java.util.Arrays;
import java.util.List;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * Layer normalisation over the channels of an image batch {@code [N, C, H, W]} at each position:
 * ConvNeXt's {@code LayerNorm(data_format="channels_first")} and torchvision's {@code LayerNorm2d}
 * ({@code F.layer_norm} on the input permuted to channels-last, eps 1e-6). For each sample and
 * position, {@code y[c] = (x[c] - mean) / sqrt(var + eps) * weight[c] + bias[c]}, the mean and the
 * biased variance over the {@code C} channels.
 *
 * <p>Parameters {@code weight} (ones) and {@code bias} (zeros), both {@code [C]}, when affine (the
 * default), under the names both PyTorch modules use; no buffers. eps defaults to ConvNeXt's 1e-6
 * (not {@code nn.LayerNorm}'s 1e-5). The same in training and evaluation.
 *
 * <p>{@code new LayerNorm2D(96)}; {@code LayerNorm2D.builder(96).eps(1e-5).build()}. Computation:
 * plain loops over channels with a row of per-position sums, statistics in double, on the calling
 * thread.
 */
public final class LayerNorm2D extends AbstractLayer {
  /** ConvNeXt's eps (torchvision's ConvNeXt passes the same). */
  public static final double DEFAULT_EPS = 1e-6;

  private final int channels;
  private final double eps;
  private final boolean affine;
  private final Parameter weight;
  private final Parameter bias;
  private final double[] weightGrad;
  private final double[] biasGrad;

  /** Per (sample, position) statistics of the latest forward. */
  private double[] mean = new double[0];
  private double[] rstd = new double[0];
  /** Per-position sums of one sample. */
  private double[] sumA = new double[0];
  private double[] sumB = new double[0];
  private int batch;
  private int spatial;

  /**
   * A channels-first layer norm with eps 1e-6, weight and bias.
   *
   * @param channels the number of channels {@code C}, {@literal >=} 1
   * @throws IllegalArgumentException if channels is below 1
   */
  public LayerNorm2D(int channels) {
    this(channels, DEFAULT_EPS, true);
  }

  private LayerNorm2D(int channels, double eps, boolean affine) {
    this.channels = channels;
    this.eps = eps;
    this.affine = affine;
    ChannelChecks.channels(this, channels);
    ChannelChecks.positive(this, "eps", eps);
    weight = affine ? new Parameter("weight", Tensor.full(Shape.of(channels), 1f)) : null;
    bias = affine ? new Parameter("bias", Tensor.zeros(channels)) : null;
    weightGrad = affine ? new double[channels] : null;
    biasGrad = affine ? new double[channels] : null;
  }

  /**
   * A builder with ConvNeXt's defaults (eps 1e-6, affine).
   *
   * @param channels the number of channels
   * @return the builder
   */
  public static Builder builder(int channels) {
    return new Builder(channels);
  }

  /** The number of channels. */
  public int channels() {
    return channels;
  }

  /** The constant added to the variance before the square root. */
  public double eps() {
    return eps;
  }

  /** Whether the layer has its per-channel weight and bias. */
  public boolean affine() {
    return affine;
  }

  /**
   * The per-channel scale, {@code [C]}, initialised to ones.
   *
   * @throws IllegalStateException without affine parameters
   */
  public Parameter weight() {
    if (weight == null) {
      throw new IllegalStateException(this + " has no weight (built with affine(false))");
    }
    return weight;
  }

  /**
   * The per-channel shift, {@code [C]}, initialised to zeros.
   *
   * @throws IllegalStateException without affine parameters
   */
  public Parameter bias() {
    if (bias == null) {
      throw new IllegalStateException(this + " has no bias (built with affine(false))");
    }
    return bias;
  }

  /** {@code weight} and {@code bias} when affine, else none. */
  @Override
  public List<Parameter> parameters() {
    return affine ? List.of(weight, bias) : List.of();
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
    int n = batch * spatial;
    if (mean.length < n) {
      mean = new double[n];
      rstd = new double[n];
    }
    if (sumA.length < spatial) {
      sumA = new double[spatial];
      sumB = new double[spatial];
    }
  }

  @Override
  protected void forward(Tensor x, Tensor y, boolean training) {
    float[] xd = x.data();
    int xo = x.offset();
    float[] yd = y.data();
    float[] w = affine ? weight.value().data() : null;
    float[] b = affine ? bias.value().data() : null;
    for (int n = 0; n < batch; n++) {
      int sample = n * channels * spatial;
      int stats = n * spatial;
      // Channel-outer loops keep the reads sequential; the sums of a position meet in sumA.
      Arrays.fill(sumA, 0, spatial, 0);
      for (int c = 0, i = xo + sample; c < channels; c++) {
        for (int s = 0; s < spatial; s++, i++) {
          sumA[s] += xd[i];
        }
      }
      Arrays.fill(sumB, 0, spatial, 0);
      for (int s = 0; s < spatial; s++) {
        sumA[s] /= channels;
      }
      for (int c = 0, i = xo + sample; c < channels; c++) {
        for (int s = 0; s < spatial; s++, i++) {
          double d = xd[i] - sumA[s];
          sumB[s] += d * d;
        }
      }
      for (int s = 0; s < spatial; s++) {
        mean[stats + s] = sumA[s];
        rstd[stats + s] = 1 / Math.sqrt(sumB[s] / channels + eps);
      }
      for (int c = 0, i = sample; c < channels; c++) {
        double wc = affine ? w[c] : 1;
        double bc = affine ? b[c] : 0;
        for (int s = 0; s < spatial; s++, i++) {
          yd[i] = (float) ((xd[xo + i] - mean[stats + s]) * rstd[stats + s] * wc + bc);
        }
      }
    }
  }

  /**
   * {@code gx = rstd * (gy w - mean_c(gy w) - xhat * mean_c(gy w xhat))} at each position;
   * {@code grad.weight[c] += sum(gy xhat)}, {@code grad.bias[c] += sum(gy)} over samples and positions.
   */
  @Override
  protected void backward(Tensor x, Tensor y, Tensor gy, Tensor gx) {
    float[] xd = x.data();
    int xo = x.offset();
    float[] gd = gy.data();
    int go = gy.offset();
    float[] gxd = gx.data();
    float[] w = affine ? weight.value().data() : null;
    if (affine) {
      Arrays.fill(weightGrad, 0);
      Arrays.fill(biasGrad, 0);
    }
    for (int n = 0; n < batch; n++) {
      int sample = n * channels * spatial;
      int stats = n * spatial;
      Arrays.fill(sumA, 0, spatial, 0); // sum over c of gy w
      Arrays.fill(sumB, 0, spatial, 0); // sum over c of gy w xhat
      for (int c = 0, i = sample; c < channels; c++) {
        double wc = affine ? w[c] : 1;
        double sg = 0;
        double sgx = 0;
        for (int s = 0; s < spatial; s++, i++) {
          double gi = gd[go + i];
          double xhat = (xd[xo + i] - mean[stats + s]) * rstd[stats + s];
          sumA[s] += gi * wc;
          sumB[s] += gi * wc * xhat;
          sg += gi;
          sgx += gi * xhat;
        }
        if (affine) {
          weightGrad[c] += sgx;
          biasGrad[c] += sg;
        }
      }
      for (int c = 0, i = sample; c < channels; c++) {
        double wc = affine ? w[c] : 1;
        for (int s = 0; s < spatial; s++, i++) {
          double is = rstd[stats + s];
          double xhat = (xd[xo + i] - mean[stats + s]) * is;
          gxd[i] = (float) (is * (gd[go + i] * wc - sumA[s] / channels - xhat * sumB[s] / channels));
        }
      }
    }
    if (affine) {
      GroupNormCore.addInto(weight.grad(), weightGrad);
      GroupNormCore.addInto(bias.grad(), biasGrad);
    }
  }

  /** Six operations per element (mean, variance, normalise, scale and shift), as {@link LayerNorm}. */
  @Override
  public long flops(Shape input) {
    return 6L * outputShape(input).size();
  }

  @Override
  public String typeName() {
    return "LayerNorm2D";
  }

  /** {@code LayerNorm2D(channels)}, with {@code eps} when not 1e-6 and {@code affine=false} when so. */
  @Override
  public String toString() {
    return "LayerNorm2D(" + channels + (eps != DEFAULT_EPS ? ", eps=" + eps : "") + (affine ? "" : ", affine=false")
        + ")";
  }

  /** The builder of {@link LayerNorm2D}. */
  public static final class Builder {
    private final int channels;
    private double eps = DEFAULT_EPS;
    private boolean affine = true;

    private Builder(int channels) {
      this.channels = channels;
    }

    /**
     * The constant added to the variance before the square root (default 1e-6).
     *
     * @param eps finite and positive
     * @return this
     */
    public Builder eps(double eps) {
      this.eps = eps;
      return this;
    }

    /**
     * Whether the layer has its weight and bias (default true, as ConvNeXt and torchvision).
     *
     * @param affine false for a plain normalisation
     * @return this
     */
    public Builder affine(boolean affine) {
      this.affine = affine;
      return this;
    }

    /**
     * The layer.
     *
     * @return a new LayerNorm2D
     * @throws IllegalArgumentException if channels is below 1 or eps is not finite and positive
     */
    public LayerNorm2D build() {
      return new LayerNorm2D(channels, eps, affine);
    }
  }
}

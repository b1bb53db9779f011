package org.autoprop.layer;

import java.util.Arrays;
import java.util.List;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * The shared logic of {@link GroupNorm} and {@link InstanceNorm2D} (a group norm with one channel
 * per group) on {@code [N, C, *]}: each sample's channels are split into {@code groups} runs of
 * {@code C / groups} channels; each run (with all its positions) is normalised by its own mean and
 * biased variance, then scaled and shifted per channel:
 * {@code y = (x - mean) / sqrt(var + eps) * weight[c] + bias[c]}.
 *
 * <p>Statistics and parameter-gradient sums are accumulated in double, in one fixed order (sample,
 * group, channel, position), on the calling thread, so results do not depend on the thread count.
 * The per-group statistics are sized in {@link #prepare}; the per-channel gradient sums once.
 */
abstract class GroupNormCore extends AbstractLayer {
  final int groups;
  final int channels;
  final double eps;
  final boolean affine;
  private final Parameter weight;
  private final Parameter bias;
  private final double[] weightGrad;
  private final double[] biasGrad;

  /** Per (sample, group) statistics of the latest forward. */
  private double[] mean = new double[0];
  private double[] rstd = new double[0];
  private int batch;
  private int spatial;

  GroupNormCore(int groups, int channels, double eps, boolean affine) {
    this.groups = groups;
    this.channels = channels;
    this.eps = eps;
    this.affine = affine;
    ChannelChecks.channels(this, channels);
    if (groups < 1) {
      throw new IllegalArgumentException(this + ": groups " + groups + " (expected: >= 1)");
    }
    if (channels % groups != 0) {
      throw new IllegalArgumentException(this + ": " + channels + " channels are not divisible by " + groups
          + " groups (expected: channels a multiple of groups)");
    }
    ChannelChecks.positive(this, "eps", eps);
    weight = affine ? new Parameter("weight", Tensor.full(Shape.of(channels), 1f)) : null;
    bias = affine ? new Parameter("bias", Tensor.zeros(channels)) : null;
    weightGrad = affine ? new double[channels] : null;
    biasGrad = affine ? new double[channels] : null;
  }

  /**
   * Checks an input shape.
   *
   * @return the number of positions per sample and channel
   * @throws IllegalArgumentException naming the layer, the expected and the actual shape
   */
  abstract int checkInput(Shape input);

  /** The number of channels, PyTorch's {@code num_channels} / {@code num_features}. */
  public final int channels() {
    return channels;
  }

  /** The constant added to the variance before the square root. */
  public final double eps() {
    return eps;
  }

  /** Whether the layer has its per-channel weight and bias. */
  public final boolean affine() {
    return affine;
  }

  /**
   * The per-channel scale, {@code [C]}, initialised to ones.
   *
   * @throws IllegalStateException without affine parameters
   */
  public final Parameter weight() {
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
  public final Parameter bias() {
    if (bias == null) {
      throw new IllegalStateException(this + " has no bias (built with affine(false))");
    }
    return bias;
  }

  /** {@code weight} and {@code bias} when affine, else none. */
  @Override
  public final List<Parameter> parameters() {
    return affine ? List.of(weight, bias) : List.of();
  }

  /**
   * The input shape.
   *
   * @throws IllegalArgumentException naming the layer, the expected and the actual shape
   */
  @Override
  public final Shape outputShape(Shape input) {
    checkInput(input);
    return input;
  }

  @Override
  protected final void prepare(Shape in, Shape out) {
    batch = in.dim(0);
    spatial = in.sizeOf(2, in.rank());
    int n = batch * groups;
    if (mean.length < n) {
      mean = new double[n];
      rstd = new double[n];
    }
  }

  @Override
  protected final void forward(Tensor x, Tensor y, boolean training) {
    float[] xd = x.data();
    int xo = x.offset();
    float[] yd = y.data();
    float[] w = affine ? weight.value().data() : null;
    float[] b = affine ? bias.value().data() : null;
    int per = channels / groups;
    int m = per * spatial;
    for (int n = 0; n < batch; n++) {
      for (int g = 0; g < groups; g++) {
        int start = (n * channels + g * per) * spatial;
        double sum = 0;
        for (int i = start; i < start + m; i++) {
          sum += xd[xo + i];
        }
        double mu = sum / m;
        double squares = 0; // two passes: no cancellation when |mean| >> std
        for (int i = start; i < start + m; i++) {
          double d = xd[xo + i] - mu;
          squares += d * d;
        }
        double is = 1 / Math.sqrt(squares / m + eps);
        mean[n * groups + g] = mu;
        rstd[n * groups + g] = is;
        for (int c = g * per, i = start; c < (g + 1) * per; c++) {
          double scale = affine ? w[c] * is : is;
          double shift = (affine ? b[c] : 0) - mu * scale;
          for (int end = i + spatial; i < end; i++) {
            yd[i] = (float) (xd[xo + i] * scale + shift);
          }
        }
      }
    }
  }

  /**
   * {@code gx = rstd * (gy w - mean(gy w) - xhat * mean(gy w xhat))} over each group;
   * {@code grad.weight[c] += sum(gy xhat)}, {@code grad.bias[c] += sum(gy)} over samples and positions.
   */
  @Override
  protected final void backward(Tensor x, Tensor y, Tensor gy, Tensor gx) {
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
    int per = channels / groups;
    int m = per * spatial;
    for (int n = 0; n < batch; n++) {
      for (int g = 0; g < groups; g++) {
        double mu = mean[n * groups + g];
        double is = rstd[n * groups + g];
        int start = (n * channels + g * per) * spatial;
        double sumDy = 0;
        double sumDyXhat = 0;
        for (int c = g * per, i = start; c < (g + 1) * per; c++) {
          double sg = 0;
          double sgx = 0;
          for (int end = i + spatial; i < end; i++) {
            double gi = gd[go + i];
            sg += gi;
            sgx += gi * (xd[xo + i] - mu) * is;
          }
          double wc = affine ? w[c] : 1;
          sumDy += wc * sg;
          sumDyXhat += wc * sgx;
          if (affine) {
            weightGrad[c] += sgx;
            biasGrad[c] += sg;
          }
        }
        double meanDy = sumDy / m;
        double meanDyXhat = sumDyXhat / m;
        for (int c = g * per, i = start; c < (g + 1) * per; c++) {
          double wc = affine ? w[c] : 1;
          for (int end = i + spatial; i < end; i++) {
            double xhat = (xd[xo + i] - mu) * is;
            gxd[i] = (float) (is * (wc * gd[go + i] - meanDy - xhat * meanDyXhat));
          }
        }
      }
    }
    if (affine) {
      addInto(weight.grad(), weightGrad);
      addInto(bias.grad(), biasGrad);
    }
  }

  static void addInto(Tensor grad, double[] sums) {
    float[] d = grad.data();
    int o = grad.offset();
    for (int i = 0; i < sums.length; i++) {
      d[o + i] += (float) sums[i];
    }
  }

  /** Six operations per element (mean, variance, normalise, scale and shift), as {@link LayerNorm}. */
  @Override
  public final long flops(Shape input) {
    return 6L * outputShape(input).size();
  }
}

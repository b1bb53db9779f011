package org.autoprop.layer;

import java.util.Arrays;
import java.util.List;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * Global response normalisation, ConvNeXt V2's {@code GRN}, in its channels-first form on an image
 * batch {@code [N, C, H, W]}. Per sample:
 *
 * <pre>{@code
 * Gx[c] = sqrt(sum over h, w of x[c, h, w]^2)       the L2 norm of each channel
 * Nx[c] = Gx[c] / (mean over c of Gx + 1e-6)
 * y     = gamma[c] * (x * Nx[c]) + beta[c] + x
 * }</pre>
 *
 * <p>The official code's channels-last {@code gamma * (x * Nx) + beta + x} with
 * {@code Gx = torch.norm(x, p=2, dim=(1, 2), keepdim=True)} and
 * {@code Nx = Gx / (Gx.mean(dim=-1, keepdim=True) + 1e-6)}, on NCHW; the epsilon {@link #EPS} is
 * added to the mean of the norms, outside the square roots, and is fixed as in the official code.
 * Parameters {@code gamma} and {@code beta}, both {@code [1, C, 1, 1]} and initialised to zeros, so
 * a fresh layer is the identity (the official channels-last parameters are {@code [1, 1, 1, C]}:
 * the same values). The same in training and evaluation.
 *
 * <p>Gradient: with {@code D = mean(Gx) + 1e-6} and {@code A[c] = gamma[c] * sum(gy x)} over the
 * channel's positions, {@code gx = gy (1 + gamma Nx) + (A[c] / D - sum_c(A Gx) / (C D^2)) x / Gx[c]},
 * the last term 0 for a channel whose norm is 0 (PyTorch's norm gradient there). Computation: plain
 * loops, norms and sums in double, on the calling thread.
 */
public final class GlobalResponseNorm extends AbstractLayer {
  /** The constant added to the mean of the channel norms, ConvNeXt V2's 1e-6. */
  public static final double EPS = 1e-6;

  private final int channels;
  private final Parameter gamma;
  private final Parameter beta;
  private final double[] gammaGrad;
  private final double[] betaGrad;
  /** Per-channel sums of gy x of one sample. */
  private final double[] products;

  /** Per (sample, channel) norms and per-sample divisors of the latest forward. */
  private double[] norms = new double[0];
  private double[] divisors = new double[0];
  private int batch;
  private int spatial;

  /**
   * A GRN over {@code channels} channels, gamma and beta zero.
   *
   * @param channels the number of channels {@code C}, {@literal >=} 1
   * @throws IllegalArgumentException if channels is below 1
   */
  public GlobalResponseNorm(int channels) {
    this.channels = channels;
    ChannelChecks.channels(this, channels);
    gamma = new Parameter("gamma", Tensor.zeros(1, channels, 1, 1));
    beta = new Parameter("beta", Tensor.zeros(1, channels, 1, 1));
    gammaGrad = new double[channels];
    betaGrad = new double[channels];
    products = new double[channels];
  }

  /** The number of channels. */
  public int channels() {
    return channels;
  }

  /** The scale of the normalised response, {@code [1, C, 1, 1]}, initialised to zeros. */
  public Parameter gamma() {
    return gamma;
  }

  /** The shift, {@code [1, C, 1, 1]}, initialised to zeros. */
  public Parameter beta() {
    return beta;
  }

  /** {@code gamma} and {@code beta}. */
  @Override
  public List<Parameter> parameters() {
    return List.of(gamma, beta);
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
    if (norms.length < batch * channels) {
      norms = new double[batch * channels];
    }
    if (divisors.length < batch) {
      divisors = new double[batch];
    }
  }

  @Override
  protected void forward(Tensor x, Tensor y, boolean training) {
    float[] xd = x.data();
    int xo = x.offset();
    float[] yd = y.data();
    float[] g = gamma.value().data();
    float[] b = beta.value().data();
    for (int n = 0; n < batch; n++) {
      double total = 0;
      for (int c = 0, i = xo + n * channels * spatial; c < channels; c++) {
        double squares = 0;
        for (int s = 0; s < spatial; s++, i++) {
          double v = xd[i];
          squares += v * v;
        }
        double norm = Math.sqrt(squares);
        norms[n * channels + c] = norm;
        total += norm;
      }
      double divisor = total / channels + EPS;
      divisors[n] = divisor;
      for (int c = 0, i = n * channels * spatial; c < channels; c++) {
        double factor = 1 + g[c] * (norms[n * channels + c] / divisor);
        double shift = b[c];
        for (int s = 0; s < spatial; s++, i++) {
          yd[i] = (float) (xd[xo + i] * factor + shift);
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
    Arrays.fill(betaGrad, 0);
    for (int n = 0; n < batch; n++) {
      double divisor = divisors[n];
      double weighted = 0; // sum over c of A[c] Gx[c]
      for (int c = 0, i = n * channels * spatial; c < channels; c++) {
        double sgx = 0;
        double sg = 0;
        for (int s = 0; s < spatial; s++, i++) {
          double gi = gd[go + i];
          sgx += gi * xd[xo + i];
          sg += gi;
        }
        double norm = norms[n * channels + c];
        products[c] = sgx;
        gammaGrad[c] += sgx * (norm / divisor);
        betaGrad[c] += sg;
        weighted += g[c] * sgx * norm;
      }
      double shared = weighted / (channels * divisor * divisor);
      for (int c = 0, i = n * channels * spatial; c < channels; c++) {
        double norm = norms[n * channels + c];
        double factor = 1 + g[c] * (norm / divisor);
        double viaNorm = norm == 0 ? 0 : (g[c] * products[c] / divisor - shared) / norm;
        for (int s = 0; s < spatial; s++, i++) {
          gxd[i] = (float) (gd[go + i] * factor + viaNorm * xd[xo + i]);
        }
      }
    }
    GroupNormCore.addInto(gamma.grad(), gammaGrad);
    GroupNormCore.addInto(beta.grad(), betaGrad);
  }

  /** Five operations per element: a square and an add for the norms, then a multiply, a multiply-add and an add. */
  @Override
  public long flops(Shape input) {
    return 5L * outputShape(input).size();
  }

  @Override
  public String typeName() {
    return "GlobalResponseNorm";
  }

  @Override
  public String toString() {
    return "GlobalResponseNorm(" + channels + ")";
  }
}

package org.autoprop.layer;

import java.util.Arrays;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * Local response normalisation across channels, PyTorch's {@code nn.LocalResponseNorm(size,
 * alpha=1e-4, beta=0.75, k=1.0)} (AlexNet's), on {@code [N, C, *]} of rank {@literal >=} 3:
 *
 * <pre>{@code
 * y[n, c, p] = x[n, c, p] / (k + alpha / size * sum(x[n, c', p]^2 for c' in [c - size/2, c + (size-1)/2]))^beta
 * }</pre>
 *
 * <p>with integer division in the window bounds and channels outside {@code [0, C)} counting as 0
 * (PyTorch's zero padding of the channel axis): the average of the squares over a window of
 * {@code size} channels, padded ones included, as PyTorch computes it with an average pool. No
 * parameters, no buffers; the same in training and evaluation.
 *
 * <p>Gradient: {@code gx[j] = gy[j] d[j]^-beta - 2 alpha beta / size * x[j] * sum(gy[c] x[c]
 * d[c]^(-beta-1))} over the channels {@code c} whose window holds {@code j}, with {@code d} the
 * divisor's base. Unlike PyTorch, {@code k} must be positive and {@code alpha} non-negative, so that
 * the base never reaches 0 (where PyTorch returns NaN or infinity). Computation: plain loops, sums in
 * double, on the calling thread; the divisors of the latest forward are kept for the backward.
 */
public final class LocalResponseNorm extends AbstractLayer {
  /** PyTorch's default {@code alpha}. */
  public static final double DEFAULT_ALPHA = 1e-4;
  /** PyTorch's default {@code beta}. */
  public static final double DEFAULT_BETA = 0.75;
  /** PyTorch's default {@code k}. */
  public static final double DEFAULT_K = 1.0;

  private final int size;
  private final double alpha;
  private final double beta;
  private final double k;

  /** The divisor's base {@code d} and {@code d^-beta} per element of the latest forward. */
  private double[] base = new double[0];
  private double[] scale = new double[0];
  /** Per-position window sums, then {@code gy x d^(-beta-1)} of one sample. */
  private double[] sums = new double[0];
  private double[] terms = new double[0];
  private int batch;
  private int channels;
  private int spatial;

  /**
   * A local response norm over windows of {@code size} channels with PyTorch's defaults
   * (alpha 1e-4, beta 0.75, k 1).
   *
   * @param size the number of neighbouring channels, {@literal >=} 1
   * @throws IllegalArgumentException if size is below 1
   */
  public LocalResponseNorm(int size) {
    this(size, DEFAULT_ALPHA, DEFAULT_BETA, DEFAULT_K);
  }

  private LocalResponseNorm(int size, double alpha, double beta, double k) {
    this.size = size;
    this.alpha = alpha;
    this.beta = beta;
    this.k = k;
    if (size < 1) {
      throw new IllegalArgumentException(this + ": size " + size + " (expected: >= 1)");
    }
    if (!(alpha >= 0) || Double.isInfinite(alpha)) {
      throw new IllegalArgumentException(this + ": alpha " + alpha + " (expected: finite and >= 0)");
    }
    if (Double.isNaN(beta) || Double.isInfinite(beta)) {
      throw new IllegalArgumentException(this + ": beta " + beta + " (expected: finite)");
    }
    ChannelChecks.positive(this, "k", k);
  }

  /**
   * A builder with PyTorch's defaults (alpha 1e-4, beta 0.75, k 1).
   *
   * @param size the number of neighbouring channels
   * @return the builder
   */
  public static Builder builder(int size) {
    return new Builder(size);
  }

  /** The number of neighbouring channels in a window, PyTorch's {@code size}. */
  public int size() {
    return size;
  }

  /** The multiplicative factor, PyTorch's {@code alpha}. */
  public double alpha() {
    return alpha;
  }

  /** The exponent, PyTorch's {@code beta}. */
  public double beta() {
    return beta;
  }

  /** The additive constant, PyTorch's {@code k}. */
  public double k() {
    return k;
  }

  /**
   * The input shape.
   *
   * @throws IllegalArgumentException for a rank below 3 (as PyTorch)
   */
  @Override
  public Shape outputShape(Shape input) {
    if (input.rank() < 3) {
      throw new IllegalArgumentException(this + ": input " + input + " has rank " + input.rank()
          + " (expected: at least 3, [N, C, *])");
    }
    return input;
  }

  @Override
  protected void prepare(Shape in, Shape out) {
    batch = in.dim(0);
    channels = in.dim(1);
    spatial = in.sizeOf(2, in.rank());
    if (base.length < in.size()) {
      base = new double[in.size()];
      scale = new double[in.size()];
    }
    if (sums.length < spatial || terms.length < channels * spatial) {
      sums = new double[spatial];
      terms = new double[channels * spatial];
    }
  }

  @Override
  protected void forward(Tensor x, Tensor y, boolean training) {
    float[] xd = x.data();
    int xo = x.offset();
    float[] yd = y.data();
    int before = size / 2;
    int after = (size - 1) / 2;
    double perSize = alpha / size;
    for (int n = 0; n < batch; n++) {
      int sample = n * channels * spatial;
      for (int c = 0; c < channels; c++) {
        Arrays.fill(sums, 0, spatial, 0);
        for (int w = Math.max(0, c - before); w <= Math.min(channels - 1, c + after); w++) {
          for (int s = 0, i = xo + sample + w * spatial; s < spatial; s++, i++) {
            double v = xd[i];
            sums[s] += v * v;
          }
        }
        for (int s = 0, i = sample + c * spatial; s < spatial; s++, i++) {
          double d = k + perSize * sums[s];
          double f = Math.pow(d, -beta);
          base[i] = d;
          scale[i] = f;
          yd[i] = (float) (xd[xo + i] * f);
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
    int before = size / 2;
    int after = (size - 1) / 2;
    double coef = 2 * alpha * beta / size;
    for (int n = 0; n < batch; n++) {
      int sample = n * channels * spatial;
      for (int i = 0, m = channels * spatial; i < m; i++) {
        int e = sample + i;
        terms[i] = gd[go + e] * (double) xd[xo + e] * scale[e] / base[e];
      }
      for (int j = 0; j < channels; j++) {
        // The channels whose windows hold j: [j - after, j + before].
        Arrays.fill(sums, 0, spatial, 0);
        for (int c = Math.max(0, j - after); c <= Math.min(channels - 1, j + before); c++) {
          for (int s = 0, t = c * spatial; s < spatial; s++, t++) {
            sums[s] += terms[t];
          }
        }
        for (int s = 0, i = sample + j * spatial; s < spatial; s++, i++) {
          gxd[i] = (float) (gd[go + i] * scale[i] - coef * xd[xo + i] * sums[s]);
        }
      }
    }
  }

  /**
   * Per element: a square, {@code size} adds of the window sum, a multiply-add, a power and a
   * divide ({@code size + 5}); the window sums are counted per output, as the definition reads.
   */
  @Override
  public long flops(Shape input) {
    return (size + 5L) * outputShape(input).size();
  }

  @Override
  public String typeName() {
    return "LocalResponseNorm";
  }

  /** {@code LocalResponseNorm(size, alpha=..., beta=..., k=...)}, as PyTorch's repr. */
  @Override
  public String toString() {
    return "LocalResponseNorm(" + size + ", alpha=" + alpha + ", beta=" + beta + ", k=" + k + ")";
  }

  /** The builder of {@link LocalResponseNorm}. */
  public static final class Builder {
    private final int size;
    private double alpha = DEFAULT_ALPHA;
    private double beta = DEFAULT_BETA;
    private double k = DEFAULT_K;

    private Builder(int size) {
      this.size = size;
    }

    /**
     * The multiplicative factor of the window's sum of squares, before the division by
     * {@code size} (default 1e-4).
     *
     * @param alpha finite and {@literal >=} 0
     * @return this
     */
    public Builder alpha(double alpha) {
      this.alpha = alpha;
      return this;
    }

    /**
     * The exponent of the divisor (default 0.75).
     *
     * @param beta finite
     * @return this
     */
    public Builder beta(double beta) {
      this.beta = beta;
      return this;
    }

    /**
     * The additive constant of the divisor (default 1).
     *
     * @param k finite and positive
     * @return this
     */
    public Builder k(double k) {
      this.k = k;
      return this;
    }

    /**
     * The layer.
     *
     * @return a new LocalResponseNorm
     * @throws IllegalArgumentException if size is below 1, alpha is negative or not finite, beta is
     *     not finite, or k is not finite and positive
     */
    public LocalResponseNorm build() {
      return new LocalResponseNorm(size, alpha, beta, k);
    }
  }
}

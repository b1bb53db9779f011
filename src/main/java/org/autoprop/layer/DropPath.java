package org.autoprop.layer;

import java.util.SplittableRandom;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * Stochastic depth per sample (Huang et al. 2016; torchvision's
 * {@code StochasticDepth(p, mode="row")}, timm's {@code DropPath}) on {@code [N, *]}: in training,
 * each sample is kept with probability {@code 1 - p} and then scaled by {@code 1 / (1 - p)}, or
 * zeroed whole; in evaluation, or for {@code p = 0}, the layer is the identity. For {@code p = 1}
 * every sample is zeroed (torchvision divides by nothing then). Backward applies the latest
 * forward's mask and scale.
 *
 * <p>The mask is a pure function of the seed, the number of earlier training forwards (with
 * {@code p > 0}) and the sample index: training forward {@code t} takes the {@code t}-th
 * {@code nextLong()} of a {@link SplittableRandom} seeded at construction as its key, and sample
 * {@code i} is kept when a uniform double in [0, 1) hashed from (key, i) by the SplitMix64
 * finalizer is below {@code 1 - p}. So a seed reproduces the masks whatever the batch sizes of
 * earlier calls and on any thread count, and each call draws exactly one number from the
 * generator.
 */
public final class DropPath extends AbstractLayer {
  private static final long GOLDEN_GAMMA = 0x9e3779b97f4a7c15L;

  private final double p;
  private final float keepScale;
  private final SplittableRandom random;

  // The mask of the latest training forward, one factor per sample: 0 or keepScale.
  private float[] mask = new float[0];

  /**
   * Stochastic depth with drop probability {@code p} and a seed.
   *
   * @param p the probability of zeroing a sample, in [0, 1] (torchvision's range)
   * @param seed the seed of the masks
   * @throws IllegalArgumentException if {@code p} is outside [0, 1] or NaN
   */
  public DropPath(double p, long seed) {
    if (!(p >= 0 && p <= 1)) {
      throw new IllegalArgumentException("DropPath: p " + p + " (expected: 0 <= p <= 1)");
    }
    this.p = p;
    this.keepScale = p < 1 ? (float) (1 / (1 - p)) : 0f;
    this.random = new SplittableRandom(seed);
  }

  /** The drop probability. */
  public double p() {
    return p;
  }

  @Override
  public Shape outputShape(Shape input) {
    if (input.rank() < 1) {
      throw new IllegalArgumentException(this + ": input " + input + " has rank 0 (expected: >= 1, [N, *])");
    }
    return input;
  }

  @Override
  protected void prepare(Shape input, Shape output) {
    mask = new float[input.dim(0)];
  }

  @Override
  protected void forward(Tensor x, Tensor y, boolean training) {
    if (!training || p == 0) {
      y.copyFrom(x);
      return;
    }
    long key = random.nextLong();
    double keep = 1 - p;
    for (int i = 0; i < mask.length; i++) {
      mask[i] = uniform(key, i) < keep ? keepScale : 0f;
    }
    scaleSamples(x.data(), x.offset(), y.data(), x.shape());
  }

  @Override
  protected void backward(Tensor x, Tensor y, Tensor gy, Tensor gx) {
    if (lastForwardTraining() && p != 0) {
      scaleSamples(gy.data(), gy.offset(), gx.data(), gy.shape());
    } else {
      gx.copyFrom(gy);
    }
  }

  /** {@code dst[i, ..] = mask[i] * src[i, ..]}. */
  private void scaleSamples(float[] src, int off, float[] dst, Shape shape) {
    int per = shape.sizeOf(1, shape.rank());
    for (int i = 0; i < mask.length; i++) {
      float m = mask[i];
      int base = i * per;
      for (int j = 0; j < per; j++) {
        dst[base + j] = src[off + base + j] * m;
      }
    }
  }

  /** A uniform double in [0, 1) from the key and a sample index (SplitMix64's output function). */
  static double uniform(long key, int index) {
    long z = key + (index + 1L) * GOLDEN_GAMMA;
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    z ^= z >>> 31;
    return (z >>> 11) * 0x1.0p-53;
  }

  /** 0: data movement only (inference-time stochastic depth is the identity). */
  @Override
  public long flops(Shape input) {
    outputShape(input);
    return 0;
  }

  @Override
  public String toString() {
    return "DropPath(p=" + p + ")";
  }
}

package org.autoprop.layer;

import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.autoprop.tensor.Tensor;

/**
 * Fills a parameter tensor with its initial values, given the fan-in and fan-out of the layer
 * (PyTorch's rule: for a conv weight {@code [out, in/groups, kh, kw]}, fan-in is
 * {@code in/groups*kh*kw} and fan-out {@code out*kh*kw}).
 *
 * <p>The standard schemes are the constants; a lambda makes another. Every fill is a pure
 * function of the seed.
 */
@FunctionalInterface
public interface Initializer {
  /** Overwrites every element of the contiguous tensor {@code t}. */
  void fill(Tensor t, int fanIn, int fanOut, long seed);

  /** He (Kaiming) uniform for ReLU: U(-b, b) with {@code b = sqrt(6 / fanIn)}. */
  Initializer HE_UNIFORM = Standard.HE_UNIFORM;

  /** He (Kaiming) normal for ReLU: N(0, std^2) with {@code std = sqrt(2 / fanIn)}. */
  Initializer HE_NORMAL = Standard.HE_NORMAL;

  /** Xavier (Glorot) uniform: U(-b, b) with {@code b = sqrt(6 / (fanIn + fanOut))}. */
  Initializer XAVIER_UNIFORM = Standard.XAVIER_UNIFORM;

  /** Xavier (Glorot) normal: N(0, std^2) with {@code std = sqrt(2 / (fanIn + fanOut))}. */
  Initializer XAVIER_NORMAL = Standard.XAVIER_NORMAL;

  /**
   * PyTorch's default for the weights and biases of {@code nn.Linear} and {@code nn.ConvNd}:
   * U(-b, b) with {@code b = 1 / sqrt(fanIn)} ({@code kaiming_uniform_(a=sqrt(5))} for the
   * weight gives the same bound). Use it for weights and bias to start where a PyTorch model starts.
   */
  Initializer PYTORCH_DEFAULT = Standard.PYTORCH_DEFAULT;

  /** All zeros (the default for biases). */
  Initializer ZEROS = Standard.ZEROS;

  /**
   * N(0, std^2) whatever the fans (PyTorch's {@code nn.init.normal_(t, 0, std)}; {@code nn.Embedding}
   * initializes its weight with {@code normal(1)}).
   *
   * @param std the standard deviation, finite and {@code >= 0}
   * @return the initializer
   * @throws IllegalArgumentException for a negative or non-finite {@code std}
   */
  static Initializer normal(double std) {
    return truncatedNormal(std, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY);
  }

  /**
   * N(0, std^2) restricted to {@code [lo, hi]}, drawn again until it falls inside (PyTorch's
   * {@code nn.init.trunc_normal_(t, 0, std, lo, hi)}; note that PyTorch's bounds are absolute
   * values, not multiples of {@code std}: ViT's {@code trunc_normal_(t, std=0.02)} keeps PyTorch's
   * default bounds -2 and 2, a hundred standard deviations, so it is in effect a plain normal).
   *
   * @param std the standard deviation, finite and {@code >= 0}
   * @param lo the lower bound
   * @param hi the upper bound, with {@code lo <= 0 <= hi} and {@code lo < hi} (the mean is inside,
   *     so a draw lands inside at least a third of the time for bounds of a standard deviation)
   * @return the initializer
   * @throws IllegalArgumentException for a negative or non-finite {@code std} or bounds that do
   *     not hold the mean
   */
  static Initializer truncatedNormal(double std, double lo, double hi) {
    if (!(std >= 0 && std < Double.POSITIVE_INFINITY)) {
      throw new IllegalArgumentException("normal: std " + std + " (expected: finite and >= 0)");
    }
    if (!(lo <= 0 && hi >= 0 && lo < hi)) {
      throw new IllegalArgumentException("truncated normal: bounds [" + lo + ", " + hi
          + "] (expected: lo <= 0 <= hi, lo < hi)");
    }
    return (t, fanIn, fanOut, seed) -> {
      if (!t.isContiguous()) {
        throw new IllegalArgumentException("normal: tensor " + t.shape() + " must be contiguous");
      }
      Random r = new Random(seed);
      float[] d = t.data();
      for (int i = t.offset(), end = i + t.size(); i < end; i++) {
        double v;
        do {
          v = r.nextGaussian() * std;
        } while (v < lo || v > hi);
        d[i] = (float) v;
      }
    };
  }

  /**
   * The next seed of the default sequence, for layers built without an explicit seed: the k-th
   * call in this JVM (k = 0, 1, ...) returns {@code 0x5EEDL + k * 0x9E3779B97F4A7C15L}. So a
   * program that builds its layers in the same order gets the same weights on every run, and two
   * layers never share a seed.
   */
  static long nextDefaultSeed() {
    return Standard.SEQUENCE.getAndAdd(0x9E3779B97F4A7C15L);
  }

  /** The built-in schemes. */
  enum Standard implements Initializer {
    /** See {@link Initializer#HE_UNIFORM}. */
    HE_UNIFORM,
    /** See {@link Initializer#HE_NORMAL}. */
    HE_NORMAL,
    /** See {@link Initializer#XAVIER_UNIFORM}. */
    XAVIER_UNIFORM,
    /** See {@link Initializer#XAVIER_NORMAL}. */
    XAVIER_NORMAL,
    /** See {@link Initializer#PYTORCH_DEFAULT}. */
    PYTORCH_DEFAULT,
    /** See {@link Initializer#ZEROS}. */
    ZEROS;

    static final AtomicLong SEQUENCE = new AtomicLong(0x5EEDL);

    @Override
    public void fill(Tensor t, int fanIn, int fanOut, long seed) {
      if (!t.isContiguous()) {
        throw new IllegalArgumentException(name() + ": tensor " + t.shape() + " must be contiguous");
      }
      if (fanIn < 1 || fanOut < 1) {
        throw new IllegalArgumentException(name() + ": fanIn " + fanIn + ", fanOut " + fanOut + " (expected: >= 1)");
      }
      float[] d = t.data();
      int from = t.offset();
      int to = from + t.size();
      switch (this) {
        case HE_UNIFORM:
          uniform(d, from, to, Math.sqrt(6.0 / fanIn), seed);
          break;
        case HE_NORMAL:
          normal(d, from, to, Math.sqrt(2.0 / fanIn), seed);
          break;
        case XAVIER_UNIFORM:
          uniform(d, from, to, Math.sqrt(6.0 / (fanIn + fanOut)), seed);
          break;
        case XAVIER_NORMAL:
          normal(d, from, to, Math.sqrt(2.0 / (fanIn + fanOut)), seed);
          break;
        case PYTORCH_DEFAULT:
          uniform(d, from, to, 1 / Math.sqrt(fanIn), seed);
          break;
        default:
          java.util.Arrays.fill(d, from, to, 0f);
      }
    }

    private static void uniform(float[] d, int from, int to, double bound, long seed) {
      SplittableRandom r = new SplittableRandom(seed);
      for (int i = from; i < to; i++) {
        d[i] = (float) ((2 * r.nextDouble() - 1) * bound);
      }
    }

    private static void normal(float[] d, int from, int to, double std, long seed) {
      Random r = new Random(seed);
      for (int i = from; i < to; i++) {
        d[i] = (float) (r.nextGaussian() * std);
      }
    }
  }
}

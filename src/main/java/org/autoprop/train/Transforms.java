package org.autoprop.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.SplittableRandom;
import org.autoprop.tensor.Shape;

/**
 * torchvision's tensor transforms for {@code [C, H, W]} image samples (see {@link Transform}):
 * {@link #randomCrop} ({@code RandomCrop(size, padding)}), {@link #horizontalFlip}
 * ({@code RandomHorizontalFlip(p)}), {@link #normalize} ({@code Normalize(mean, std)}) and
 * {@link #compose}.
 */
public final class Transforms {
  private Transforms() {}

  /**
   * The transforms in order, left to right (torchvision's {@code Compose}); nested compositions
   * are flattened. Each stage draws from the sample's generator in turn.
   *
   * @throws IllegalArgumentException if {@code transforms} is empty
   */
  public static Transform compose(Transform... transforms) {
    if (transforms.length == 0) {
      throw new IllegalArgumentException("Transforms.compose: no transform (expected: at least one)");
    }
    List<Transform> stages = new ArrayList<>();
    for (Transform t : transforms) {
      stages.addAll(Objects.requireNonNull(t, "transform").stages());
    }
    return stages.size() == 1 ? stages.get(0) : new Compose(Collections.unmodifiableList(stages));
  }

  /**
   * A random {@code height x width} window of the sample zero-padded by {@code padding} on every
   * side: {@code top} uniform in {@code [0, H + 2 padding - height]}, then {@code left} uniform in
   * {@code [0, W + 2 padding - width]} (torchvision's {@code RandomCrop(size, padding)}, fill 0).
   *
   * @throws IllegalArgumentException if a size is not positive or the padding is negative
   */
  public static Transform randomCrop(int height, int width, int padding) {
    if (height <= 0 || width <= 0 || padding < 0) {
      throw new IllegalArgumentException("Transforms.randomCrop: size " + height + "x" + width + ", padding " + padding
          + " (expected: sizes > 0, padding >= 0)");
    }
    return new RandomCrop(height, width, padding);
  }

  /** A random {@code size x size} crop after padding (see {@link #randomCrop(int, int, int)}). */
  public static Transform randomCrop(int size, int padding) {
    return randomCrop(size, size, padding);
  }

  /**
   * Mirrors the sample left to right (the last axis) with probability {@code p}: when the
   * sample's generator's {@code nextDouble()} is below {@code p} (torchvision's
   * {@code RandomHorizontalFlip(p)}; one draw per sample).
   *
   * @throws IllegalArgumentException if {@code p} is not in [0, 1]
   */
  public static Transform horizontalFlip(double p) {
    if (!(p >= 0 && p <= 1)) {
      throw new IllegalArgumentException("Transforms.horizontalFlip: p " + p + " (expected: 0 <= p <= 1)");
    }
    return new HorizontalFlip(p);
  }

  /** {@link #horizontalFlip(double)} with p = 0.5, torchvision's default. */
  public static Transform horizontalFlip() {
    return horizontalFlip(0.5);
  }

  /**
   * {@code out[c] = (in[c] - mean[c]) / std[c]} per channel (axis 0), computed in float as
   * torchvision's {@code Normalize} (which subtracts, then divides).
   *
   * @throws IllegalArgumentException if the arrays differ in length or are empty, a mean is not
   *     finite or a std is not finite and positive
   */
  public static Transform normalize(float[] mean, float[] std) {
    if (mean.length == 0 || mean.length != std.length) {
      throw new IllegalArgumentException("Transforms.normalize: " + mean.length + " means and " + std.length
          + " stds (expected: the same number, at least 1)");
    }
    for (int c = 0; c < mean.length; c++) {
      if (!Float.isFinite(mean[c]) || !(std[c] > 0) || !Float.isFinite(std[c])) {
        throw new IllegalArgumentException("Transforms.normalize: channel " + c + " has mean " + mean[c] + ", std "
            + std[c] + " (expected: a finite mean, a finite std > 0)");
      }
    }
    return new Normalize(mean.clone(), std.clone());
  }

  /** The {@code [C, H, W]} extents of an image sample, or an error naming the transform. */
  static int[] image(Transform t, Shape sample) {
    if (sample.rank() != 3) {
      throw new IllegalArgumentException(t + ": sample shape " + sample + " (expected: [C, H, W])");
    }
    return sample.dims();
  }

  private static final class Compose implements Transform {
    private final List<Transform> stages;

    Compose(List<Transform> stages) {
      this.stages = stages;
    }

    @Override
    public Shape outputShape(Shape sample) {
      Shape s = sample;
      for (Transform t : stages) {
        s = t.outputShape(s);
      }
      return s;
    }

    /** Applies the stages through temporary arrays (a {@link Batches} reuses its own instead). */
    @Override
    public void apply(float[] in, int inAt, Shape sample, float[] out, int outAt, SplittableRandom random) {
      float[] src = in;
      int srcAt = inAt;
      Shape shape = sample;
      for (int i = 0; i < stages.size(); i++) {
        Transform t = stages.get(i);
        Shape next = t.outputShape(shape);
        boolean last = i == stages.size() - 1;
        float[] dst = last ? out : new float[next.size()];
        t.apply(src, srcAt, shape, dst, last ? outAt : 0, random);
        src = dst;
        srcAt = 0;
        shape = next;
      }
    }

    @Override
    public List<Transform> stages() {
      return stages;
    }

    @Override
    public String toString() {
      return "Compose" + stages;
    }
  }

  private static final class RandomCrop implements Transform {
    private final int height;
    private final int width;
    private final int padding;

    RandomCrop(int height, int width, int padding) {
      this.height = height;
      this.width = width;
      this.padding = padding;
    }

    @Override
    public Shape outputShape(Shape sample) {
      int[] d = image(this, sample);
      if (d[1] + 2 * padding < height || d[2] + 2 * padding < width) {
        throw new IllegalArgumentException(this + ": sample " + sample + " padded to " + (d[1] + 2 * padding) + "x"
            + (d[2] + 2 * padding) + " is smaller than the crop (expected: at least " + height + "x" + width + ")");
      }
      return Shape.of(d[0], height, width);
    }

    @Override
    public void apply(float[] in, int inAt, Shape sample, float[] out, int outAt, SplittableRandom random) {
      int c = sample.dim(0);
      int h = sample.dim(1);
      int w = sample.dim(2);
      int top = random.nextInt(h + 2 * padding - height + 1) - padding;
      int left = random.nextInt(w + 2 * padding - width + 1) - padding;
      for (int ch = 0; ch < c; ch++) {
        for (int y = 0; y < height; y++) {
          int sy = top + y;
          int o = outAt + (ch * height + y) * width;
          if (sy < 0 || sy >= h) {
            Arrays.fill(out, o, o + width, 0f);
            continue;
          }
          int row = inAt + (ch * h + sy) * w;
          for (int x = 0; x < width; x++) {
            int sx = left + x;
            out[o + x] = sx >= 0 && sx < w ? in[row + sx] : 0f;
          }
        }
      }
    }

    @Override
    public String toString() {
      return "RandomCrop(" + height + "x" + width + ", padding=" + padding + ")";
    }
  }

  private static final class HorizontalFlip implements Transform {
    private final double p;

    HorizontalFlip(double p) {
      this.p = p;
    }

    @Override
    public Shape outputShape(Shape sample) {
      if (sample.rank() < 1) {
        throw new IllegalArgumentException(this + ": sample shape " + sample + " (expected: at least one axis)");
      }
      return sample;
    }

    @Override
    public void apply(float[] in, int inAt, Shape sample, float[] out, int outAt, SplittableRandom random) {
      int n = sample.size();
      boolean flip = random.nextDouble() < p;
      if (!flip) {
        System.arraycopy(in, inAt, out, outAt, n);
        return;
      }
      int w = sample.dim(-1);
      for (int row = 0; row < n; row += w) {
        for (int x = 0; x < w; x++) {
          out[outAt + row + x] = in[inAt + row + w - 1 - x];
        }
      }
    }

    @Override
    public String toString() {
      return "HorizontalFlip(p=" + p + ")";
    }
  }

  private static final class Normalize implements Transform {
    private final float[] mean;
    private final float[] std;

    Normalize(float[] mean, float[] std) {
      this.mean = mean;
      this.std = std;
    }

    @Override
    public Shape outputShape(Shape sample) {
      if (sample.rank() < 1 || sample.dim(0) != mean.length) {
        throw new IllegalArgumentException(this + ": sample shape " + sample + " (expected: " + mean.length
            + " channels on axis 0)");
      }
      return sample;
    }

    @Override
    public void apply(float[] in, int inAt, Shape sample, float[] out, int outAt, SplittableRandom random) {
      int plane = sample.size() / mean.length;
      for (int c = 0; c < mean.length; c++) {
        float m = mean[c];
        float s = std[c];
        for (int i = c * plane, end = i + plane; i < end; i++) {
          out[outAt + i] = (in[inAt + i] - m) / s;
        }
      }
    }

    @Override
    public String toString() {
      return "Normalize(mean=" + fmt(mean) + ", std=" + fmt(std) + ")";
    }

    private static String fmt(float[] v) {
      StringBuilder sb = new StringBuilder("[");
      for (int i = 0; i < v.length; i++) {
        sb.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%s", v[i]));
      }
      return sb.append(']').toString();
    }
  }
}

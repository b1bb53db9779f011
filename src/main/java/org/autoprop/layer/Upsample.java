package org.autoprop.layer;

import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * Upsampling (or downsampling) of {@code [N, C, H, W]} to {@code [N, C, outH, outW]}: PyTorch's
 * {@code nn.Upsample} and {@code F.interpolate} (1.13, {@code recompute_scale_factor=None}) with
 * mode {@code nearest} or {@code bilinear}, given a target {@code size} or a {@code scale_factor}
 * per axis.
 *
 * <p>The output size is the given size, or {@code floor(in * scale)} per axis. The source
 * coordinate of output index {@code d} on an axis of {@code in -> out} uses {@code r = 1 / scale}
 * when a scale factor was given (PyTorch passes the scale itself to the kernel when
 * {@code recompute_scale_factor} is None, so {@code r} may differ from {@code in / out}) and
 * {@code r = in / out} when a size was given:
 *
 * <ul>
 *   <li>nearest: {@code src = min(floor(d * r), in - 1)}, computed in float as PyTorch's kernel
 *       (whatever the tensor type), except that an axis with {@code out == in} copies and one with
 *       {@code out == 2 in} takes {@code d / 2}, whatever the scale (PyTorch's special cases);
 *   <li>bilinear, {@code align_corners=false} (the default): {@code src = max(r (d + 0.5) - 0.5, 0)};
 *       with {@code align_corners=true}: {@code src = d (in - 1) / (out - 1)} (0 when out is 1),
 *       the scale factor then only setting the size. The output blends rows {@code floor(src)} and
 *       {@code floor(src) + 1} (clamped to the last) with weights {@code 1 - frac} and
 *       {@code frac}; an axis with {@code out == in} copies.
 * </ul>
 *
 * <p>Backward is the adjoint: each output's gradient is added into the input positions it was read
 * from, with the same weights.
 */
public final class Upsample extends AbstractLayer {
  /** The interpolation of {@link Upsample}, named as PyTorch's {@code mode}. */
  public enum Mode {
    /** PyTorch's {@code "nearest"} (not {@code "nearest-exact"}). */
    NEAREST,
    /** PyTorch's {@code "bilinear"}. */
    BILINEAR;

    /** PyTorch's name: {@code nearest} or {@code bilinear}. */
    public String pytorchName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private final Mode mode;
  private final boolean alignCorners;
  // Either a size (the scales 0) or scales (the size 0).
  private final int sizeH;
  private final int sizeW;
  private final double scaleH;
  private final double scaleW;

  // For the current shape, per output row and column: the first and second source index and the
  // weight of the second (nearest uses the first index alone).
  private int[] rowLo = new int[0];
  private int[] rowHi = new int[0];
  private float[] rowFrac = new float[0];
  private int[] colLo = new int[0];
  private int[] colHi = new int[0];
  private float[] colFrac = new float[0];

  private Upsample(Builder b) {
    this.mode = b.mode;
    this.alignCorners = b.alignCorners;
    this.sizeH = b.sizeH;
    this.sizeW = b.sizeW;
    this.scaleH = b.scaleH;
    this.scaleW = b.scaleW;
  }

  /**
   * Nearest upsampling by {@code scale} on both axes, as {@code nn.Upsample(scale_factor=scale)}.
   *
   * @param scale the scale factor, finite and positive (2 doubles the size)
   * @return the layer
   */
  public static Upsample nearest(double scale) {
    return builder().scaleFactor(scale).build();
  }

  /**
   * Bilinear upsampling by {@code scale} on both axes, as
   * {@code nn.Upsample(scale_factor=scale, mode="bilinear", align_corners=alignCorners)}.
   *
   * @param scale the scale factor, finite and positive
   * @param alignCorners PyTorch's {@code align_corners}
   * @return the layer
   */
  public static Upsample bilinear(double scale, boolean alignCorners) {
    return builder().scaleFactor(scale).mode(Mode.BILINEAR).alignCorners(alignCorners).build();
  }

  /**
   * A builder; set exactly one of {@link Builder#size} and {@link Builder#scaleFactor}. The mode is
   * nearest by default.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /** The settings of an {@link Upsample}, under PyTorch's names; checked by {@link #build()}. */
  public static final class Builder {
    private Mode mode = Mode.NEAREST;
    private boolean alignCorners;
    private boolean alignCornersSet;
    private int sizeH;
    private int sizeW;
    private double scaleH;
    private double scaleW;
    private boolean sizeSet;
    private boolean scaleSet;

    private Builder() {}

    /**
     * The output size {@code size x size}, as {@code size=s}.
     *
     * @param size the output height and width, at least 1
     * @return this
     */
    public Builder size(int size) {
      return size(size, size);
    }

    /**
     * The output size, as {@code size=(h, w)}.
     *
     * @param h the output height, at least 1
     * @param w the output width, at least 1
     * @return this
     */
    public Builder size(int h, int w) {
      this.sizeH = h;
      this.sizeW = w;
      this.sizeSet = true;
      return this;
    }

    /**
     * The same scale on both axes, as {@code scale_factor=s}.
     *
     * @param scale finite and positive
     * @return this
     */
    public Builder scaleFactor(double scale) {
      return scaleFactor(scale, scale);
    }

    /**
     * A scale per axis, as {@code scale_factor=(h, w)}.
     *
     * @param h the height's scale, finite and positive
     * @param w the width's scale, finite and positive
     * @return this
     */
    public Builder scaleFactor(double h, double w) {
      this.scaleH = h;
      this.scaleW = w;
      this.scaleSet = true;
      return this;
    }

    /**
     * The interpolation (nearest by default).
     *
     * @param mode nearest or bilinear
     * @return this
     */
    public Builder mode(Mode mode) {
      this.mode = Objects.requireNonNull(mode, "mode");
      return this;
    }

    /**
     * The interpolation by PyTorch's name.
     *
     * @param mode {@code "nearest"} or {@code "bilinear"}
     * @return this
     * @throws IllegalArgumentException for any other name
     */
    public Builder mode(String mode) {
      Objects.requireNonNull(mode, "mode");
      for (Mode m : Mode.values()) {
        if (m.pytorchName().equals(mode)) {
          return mode(m);
        }
      }
      throw new IllegalArgumentException("Upsample: mode " + mode + " (expected: nearest or bilinear)");
    }

    /**
     * PyTorch's {@code align_corners} (false by default); only for bilinear.
     *
     * @param alignCorners whether the corner pixels of input and output are aligned
     * @return this
     */
    public Builder alignCorners(boolean alignCorners) {
      this.alignCorners = alignCorners;
      this.alignCornersSet = true;
      return this;
    }

    /**
     * The layer.
     *
     * @return a new Upsample
     * @throws IllegalArgumentException if both or neither of size and scale factor were given, a
     *     size is below 1, a scale is not finite and positive, or {@code align_corners} was set
     *     with mode nearest
     */
    public Upsample build() {
      if (sizeSet == scaleSet) {
        throw new IllegalArgumentException("Upsample: " + (sizeSet ? "both" : "neither")
            + " size and scale_factor given (expected: exactly one, as F.interpolate)");
      }
      if (sizeSet && (sizeH < 1 || sizeW < 1)) {
        throw new IllegalArgumentException("Upsample: size " + sizeH + "x" + sizeW + " (expected: >= 1x1)");
      }
      if (scaleSet && !(positive(scaleH) && positive(scaleW))) {
        throw new IllegalArgumentException(
            "Upsample: scale_factor " + scaleH + "x" + scaleW + " (expected: finite and > 0)");
      }
      if (alignCornersSet && mode == Mode.NEAREST) {
        throw new IllegalArgumentException(
            "Upsample: align_corners with mode nearest (expected: only with bilinear, as F.interpolate)");
      }
      return new Upsample(this);
    }

    private static boolean positive(double s) {
      return Double.isFinite(s) && s > 0;
    }
  }

  /** The interpolation. */
  public Mode mode() {
    return mode;
  }

  /** PyTorch's {@code align_corners} (false for nearest). */
  public boolean alignCorners() {
    return alignCorners;
  }

  @Override
  public Shape outputShape(Shape input) {
    if (input.rank() != 4) {
      throw new IllegalArgumentException(this + ": input " + input + " has rank " + input.rank()
          + " (expected: 4, [N, C, H, W])");
    }
    long oh = sizeH > 0 ? sizeH : (long) Math.floor(input.dim(2) * scaleH);
    long ow = sizeW > 0 ? sizeW : (long) Math.floor(input.dim(3) * scaleW);
    if (input.dim(2) < 1 || input.dim(3) < 1 || oh < 1 || ow < 1 || oh > Integer.MAX_VALUE
        || ow > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(this + ": input " + input + " gives output size " + oh + "x" + ow
          + " (expected: input and output at least 1x1, output below 2^31)");
    }
    return Shape.of(input.dim(0), input.dim(1), (int) oh, (int) ow);
  }

  @Override
  protected void prepare(Shape input, Shape output) {
    int oh = output.dim(2);
    int ow = output.dim(3);
    rowLo = new int[oh];
    rowHi = new int[oh];
    rowFrac = new float[oh];
    colLo = new int[ow];
    colHi = new int[ow];
    colFrac = new float[ow];
    plan(input.dim(2), oh, scaleH, rowLo, rowHi, rowFrac);
    plan(input.dim(3), ow, scaleW, colLo, colHi, colFrac);
  }

  /** Fills the source indices and weights of one axis of {@code in -> out} ({@code scale} 0 when a size was given). */
  private void plan(int in, int out, double scale, int[] lo, int[] hi, float[] frac) {
    for (int d = 0; d < out; d++) {
      if (mode == Mode.NEAREST) {
        lo[d] = nearestSource(d, in, out, scale);
      } else if (out == in) {
        lo[d] = d;
        hi[d] = d;
        frac[d] = 0f;
      } else {
        double src = linearSource(d, in, out, scale);
        int i0 = (int) src;
        lo[d] = i0;
        hi[d] = i0 < in - 1 ? i0 + 1 : i0;
        frac[d] = (float) (src - i0);
      }
    }
  }

  /** PyTorch's nearest source index: float arithmetic, with the copy and halving special cases. */
  static int nearestSource(int d, int in, int out, double scale) {
    if (out == in) {
      return d;
    }
    if (out == 2 * in) {
      return d >> 1;
    }
    float r = scale > 0 ? (float) (1.0 / scale) : (float) in / out;
    return Math.min((int) Math.floor(d * r), in - 1);
  }

  /** PyTorch's linear source coordinate: the ratio in float, the coordinate in double (its accumulate type). */
  private double linearSource(int d, int in, int out, double scale) {
    if (alignCorners) {
      float r = out > 1 ? (float) (in - 1) / (out - 1) : 0f;
      return (double) r * d;
    }
    float r = scale > 0 ? (float) (1.0 / scale) : (float) in / out;
    return Math.max((double) r * (d + 0.5) - 0.5, 0);
  }

  @Override
  protected void forward(Tensor x, Tensor y, boolean training) {
    float[] src = x.data();
    int off = x.offset();
    float[] dst = y.data();
    int h = x.dim(2);
    int w = x.dim(3);
    int oh = y.dim(2);
    int ow = y.dim(3);
    int planes = x.dim(0) * x.dim(1);
    int o = 0;
    for (int p = 0; p < planes; p++) {
      int plane = off + p * h * w;
      for (int i = 0; i < oh; i++) {
        int r0 = plane + rowLo[i] * w;
        if (mode == Mode.NEAREST) {
          for (int j = 0; j < ow; j++) {
            dst[o++] = src[r0 + colLo[j]];
          }
        } else {
          int r1 = plane + rowHi[i] * w;
          float b = rowFrac[i];
          float a = 1f - b;
          for (int j = 0; j < ow; j++) {
            int c0 = colLo[j];
            int c1 = colHi[j];
            float f = colFrac[j];
            float e = 1f - f;
            dst[o++] = a * (e * src[r0 + c0] + f * src[r0 + c1]) + b * (e * src[r1 + c0] + f * src[r1 + c1]);
          }
        }
      }
    }
  }

  @Override
  protected void backward(Tensor x, Tensor y, Tensor gy, Tensor gx) {
    float[] up = gy.data();
    int off = gy.offset();
    float[] dst = gx.data();
    int h = x.dim(2);
    int w = x.dim(3);
    int oh = gy.dim(2);
    int ow = gy.dim(3);
    int planes = x.dim(0) * x.dim(1);
    Arrays.fill(dst, 0, gx.size(), 0f);
    int o = off;
    for (int p = 0; p < planes; p++) {
      int plane = p * h * w;
      for (int i = 0; i < oh; i++) {
        int r0 = plane + rowLo[i] * w;
        if (mode == Mode.NEAREST) {
          for (int j = 0; j < ow; j++) {
            dst[r0 + colLo[j]] += up[o++];
          }
        } else {
          int r1 = plane + rowHi[i] * w;
          float b = rowFrac[i];
          float a = 1f - b;
          for (int j = 0; j < ow; j++) {
            int c0 = colLo[j];
            int c1 = colHi[j];
            float f = colFrac[j];
            float e = 1f - f;
            float g = up[o++];
            dst[r0 + c0] += a * e * g;
            dst[r0 + c1] += a * f * g;
            dst[r1 + c0] += b * e * g;
            dst[r1 + c1] += b * f * g;
          }
        }
      }
    }
  }

  /** Nearest: 0 (data movement); bilinear: 6 multiplies and 3 adds per output element. */
  @Override
  public long flops(Shape input) {
    Shape y = outputShape(input);
    return mode == Mode.NEAREST ? 0 : 9L * y.size();
  }

  @Override
  public String toString() {
    String target = sizeH > 0 ? "size=" + sizeH + "x" + sizeW : "scale_factor=" + scaleH + "x" + scaleW;
    return "Upsample(" + target + ", mode=" + mode.pytorchName() + (mode == Mode.BILINEAR
        ? ", align_corners=" + alignCorners : "") + ")";
  }
}

package org.autoprop.layer;

import java.util.Arrays;
import java.util.List;
import org.autoprop.kernel.Parallel;
import org.autoprop.kernel.ParallelPolicy;
import org.autoprop.kernel.RowKernels;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * The shared logic of {@link LayerNorm} and {@link RMSNorm}: a normalisation over the trailing
 * axes given by {@code normalizedShape}, i.e. over each contiguous row of {@code d} elements (their
 * product), with an optional elementwise {@code weight} (ones) and {@code bias} (zeros) of the
 * normalized shape.
 *
 * <p>The forward runs the row kernel on chunks of rows ({@link ParallelPolicy#ROWS}); the backward
 * sums the parameter gradients over the rows in {@link ParallelPolicy#parts} parts, each with its own
 * partial, added in part order ({@link Parallel#forParts}), so that the sums do not depend on the
 * thread count. Scratch (per-row statistics, partials) is sized in {@link #prepare}.
 */
abstract class TrailingNorm extends AbstractLayer {
  final int[] normalizedShape;
  final int d;
  final float eps;
  final Parameter weight;
  final Parameter bias;
  final RowKernels rows = kernels.rows();

  /** Per-row statistics of the latest forward. */
  float[] mean = new float[0];
  float[] rstd = new float[0];
  /** Per-part gradient partials: [weight (d), bias (d)] each. */
  private float[][] partials = new float[0][];
  private int rowCount;
  private int parts;

  TrailingNorm(int[] normalizedShape, double eps, boolean affine, boolean withBias) {
    String name = getClass().getSimpleName();
    if (normalizedShape == null || normalizedShape.length == 0) {
      throw new IllegalArgumentException(name + ": normalized shape " + Arrays.toString(normalizedShape)
          + " (expected: at least one axis)");
    }
    long size = 1;
    for (int dim : normalizedShape) {
      if (dim < 1) {
        throw new IllegalArgumentException(name + ": normalized shape " + Arrays.toString(normalizedShape)
            + " (expected: every size >= 1)");
      }
      size *= dim;
    }
    if (size > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(name + ": normalized shape " + Arrays.toString(normalizedShape)
          + " has " + size + " elements (expected: at most " + Integer.MAX_VALUE + ")");
    }
    if (!(eps > 0) || Double.isInfinite(eps) || (float) eps == 0f) {
      throw new IllegalArgumentException(name + ": eps " + eps + " (expected: finite and > 0 in float)");
    }
    this.normalizedShape = normalizedShape.clone();
    this.d = (int) size;
    this.eps = (float) eps;
    Shape p = Shape.of(this.normalizedShape);
    this.weight = affine ? new Parameter("weight", Tensor.full(p, 1f)) : null;
    this.bias = affine && withBias ? new Parameter("bias", Tensor.zeros(p)) : null;
  }

  /** The normalized shape (a copy). */
  public final int[] normalizedShape() {
    return normalizedShape.clone();
  }

  /** The constant added to the mean square (or the variance) before the square root, as a float. */
  public final double eps() {
    return eps;
  }

  /** Whether the layer has its elementwise parameters. */
  public final boolean affine() {
    return weight != null;
  }

  /**
   * The elementwise scale, of the normalized shape (initialised to ones).
   *
   * @throws IllegalStateException without affine parameters
   */
  public final Parameter weight() {
    if (weight == null) {
      throw new IllegalStateException(this + " has no weight (built with affine(false))");
    }
    return weight;
  }

  @Override
  public final List<Parameter> parameters() {
    if (weight == null) {
      return List.of();
    }
    return bias == null ? List.of(weight) : List.of(weight, bias);
  }

  /**
   * The input shape.
   *
   * @throws IllegalArgumentException if the input does not end in the normalized shape
   */
  @Override
  public final Shape outputShape(Shape input) {
    int rank = input.rank();
    int k = normalizedShape.length;
    boolean ok = rank >= k;
    for (int i = 0; ok && i < k; i++) {
      ok = input.dim(rank - k + i) == normalizedShape[i];
    }
    if (!ok) {
      StringBuilder want = new StringBuilder("[*");
      for (int dim : normalizedShape) {
        want.append(", ").append(dim);
      }
      throw new IllegalArgumentException(this + ": input " + input + " (expected: shape " + want
          + "], ending in the normalized shape " + Arrays.toString(normalizedShape) + ")");
    }
    return input;
  }

  @Override
  protected final void prepare(Shape in, Shape out) {
    rowCount = (int) (in.size() / d);
    if (mean.length < rowCount) {
      mean = new float[rowCount];
      rstd = new float[rowCount];
    }
    parts = ParallelPolicy.ROWS.parts(in.size(), rowCount);
    int width = weight == null ? 0 : (bias == null ? d : 2 * d);
    if (parts > 1 && (partials.length < parts || partials[0].length < width)) {
      partials = new float[parts][width];
    }
  }

  /** Forward of rows [r0, r1), saving their statistics. */
  abstract void forwardRows(float[] x, int xOff, float[] y, int r0, int r1);

  /**
   * Backward of rows [r0, r1) into gx, adding the weight gradient into {@code gw} at {@code gwOff}
   * and the bias gradient into {@code gb} at {@code gbOff} (nulls without parameters).
   */
  abstract void backwardRows(float[] x, int xOff, float[] g, int gOff, float[] gx, int r0, int r1,
      float[] gw, int gwOff, float[] gb, int gbOff);

  final float[] gamma() {
    return weight == null ? null : weight.value().data();
  }

  final float[] beta() {
    return bias == null ? null : bias.value().data();
  }

  // The arguments of the running pass, in fields so that a parallel pass allocates nothing.
  private float[] px;
  private int pxOff;
  private float[] py;
  private float[] pg;
  private int pgOff;
  private float[] pgx;
  private final Parallel.Chunk forwardChunk = this::forwardChunk;
  private final Parallel.Part backwardPart = this::backwardPart;

  private void clearPass() {
    px = null;
    py = null;
    pg = null;
    pgx = null;
  }

  @Override
  protected final void forward(Tensor x, Tensor y, boolean training) {
    px = x.data();
    pxOff = x.offset();
    py = y.data();
    try {
      ParallelPolicy.ROWS.forChunks(x.size(), rowCount, forwardChunk);
    } finally {
      clearPass();
    }
  }

  private void forwardChunk(int r0, int r1) {
    forwardRows(px, pxOff, py, r0, r1);
  }

  @Override
  protected final void backward(Tensor x, Tensor y, Tensor gy, Tensor gx) {
    if (parts <= 1) {
      float[] gw = weight == null ? null : weight.grad().data();
      float[] gb = bias == null ? null : bias.grad().data();
      backwardRows(x.data(), x.offset(), gy.data(), gy.offset(), gx.data(), 0, rowCount,
          gw, gw == null ? 0 : weight.grad().offset(), gb, gb == null ? 0 : bias.grad().offset());
      return;
    }
    px = x.data();
    pxOff = x.offset();
    pg = gy.data();
    pgOff = gy.offset();
    pgx = gx.data();
    try {
      Parallel.forParts(parts, backwardPart);
    } finally {
      clearPass();
    }
    if (weight != null) {
      Tensor gw = weight.grad();
      float[] gwd = gw.data();
      int gwo = gw.offset();
      float[] gbd = bias == null ? null : bias.grad().data();
      int gbo = bias == null ? 0 : bias.grad().offset();
      for (int p = 0; p < parts; p++) {
        float[] part = partials[p];
        for (int i = 0; i < d; i++) {
          gwd[gwo + i] += part[i];
        }
        if (gbd != null) {
          for (int i = 0; i < d; i++) {
            gbd[gbo + i] += part[d + i];
          }
        }
      }
    }
  }

  /** One part of the backward: its rows, its own zeroed partial. */
  private void backwardPart(int part, int slot) {
    int r0 = (int) ((long) rowCount * part / parts);
    int r1 = (int) ((long) rowCount * (part + 1) / parts);
    float[] partial = weight != null ? partials[part] : null;
    if (partial != null) {
      Arrays.fill(partial, 0f);
    }
    backwardRows(px, pxOff, pg, pgOff, pgx, r0, r1, partial, 0, bias == null ? null : partial, d);
  }

  /** Six operations per element (mean, variance, normalise, scale and shift). */
  @Override
  public long flops(Shape input) {
    return 6L * outputShape(input).size();
  }

  @Override
  public String toString() {
    String shape = Arrays.toString(normalizedShape);
    return typeName() + "(" + shape.substring(1, shape.length() - 1) + (weight == null ? ", affine=false" : "") + ")";
  }
}

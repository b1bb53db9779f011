package org.autoprop.layer;

import java.util.SplittableRandom;
import org.autoprop.kernel.ElementwiseKernels;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * The shared logic of {@link DropBlock1D}, {@link DropBlock2D} and {@link DropBlock3D} (Ghiasi et
 * al. 2018, "DropBlock", and Luma's {@code DropBlock*D}): in training, every position of every
 * channel is a block centre with probability
 *
 * <pre>
 * gamma = p * prod(L_a) / (b^r * prod(max(L_a - b + 1, 1)))     (at most p)
 * </pre>
 *
 * <p>({@code r} the spatial rank, {@code L_a} the extents, {@code b} the block size: the paper's
 * formula in {@code r} dimensions); each centre zeroes the {@code b^r} cube
 * {@code [c + b/2 - b + 1, c + b/2]} per axis (centred for an odd {@code b}; clipped to the input), the kept positions are scaled by
 * {@code 1 / (1 - p)}, and backward applies the same mask. In evaluation, or for {@code p = 0}, the
 * layer is the identity. The centres come from a {@link SplittableRandom} seeded at construction
 * and advanced by each training forward (one draw per element).
 *
 * <p>Luma differs in two details we do not copy: its 1-D gamma divides by {@code b^2} (we use
 * {@code b^1}), and it adds {@code 1e-7} to the denominator where we clamp each
 * {@code L_a - b + 1} to at least 1 (a block larger than the input).
 */
abstract class DropBlockCore extends AbstractLayer {
  private final double p;
  private final int block;
  private final float keepScale;
  private final SplittableRandom random;
  private final ElementwiseKernels elementwise = kernels.elementwise();

  // For the current shape: 1 where a centre (then a block) is, and the mask of the last training forward.
  private float[] centres = new float[0];
  private float[] spread = new float[0];
  private float[] mask = new float[0];
  private double gamma;

  DropBlockCore(String type, double p, int blockSize, long seed) {
    if (!(p >= 0 && p < 1)) {
      throw new IllegalArgumentException(type + ": p " + p + " (expected: 0 <= p < 1)");
    }
    if (blockSize < 1) {
      throw new IllegalArgumentException(type + ": block_size " + blockSize + " (expected: >= 1)");
    }
    this.p = p;
    this.block = blockSize;
    this.keepScale = (float) (1 / (1 - p));
    this.random = new SplittableRandom(seed);
  }

  /** The spatial rank: 1, 2 or 3. */
  abstract int rank();

  /** The input layout for messages, e.g. {@code [N, C, L]}. */
  abstract String layout();

  /** The drop probability. */
  public final double p() {
    return p;
  }

  /** The block extent per axis. */
  public final int blockSize() {
    return block;
  }

  /** The centre probability gamma of the class comment for an input of this shape. */
  public final double gamma(Shape input) {
    outputShape(input);
    int r = rank();
    double num = p;
    double den = Math.pow(block, r);
    for (int a = 0; a < r; a++) {
      int len = input.dim(2 + a);
      num *= len;
      den *= Math.max(len - block + 1, 1);
    }
    return num / den;
  }

  @Override
  public String toString() {
    return typeName() + "(p=" + p + ", block_size=" + block + ")";
  }

  @Override
  public Shape outputShape(Shape input) {
    if (input.rank() != rank() + 2) {
      throw new IllegalArgumentException(this + ": input " + input + " has rank " + input.rank() + " (expected: "
          + (rank() + 2) + ", " + layout() + ")");
    }
    return input;
  }

  @Override
  protected void prepare(Shape input, Shape output) {
    int n = input.size();
    centres = new float[n];
    spread = new float[n];
    mask = new float[n];
    gamma = gamma(input);
  }

  @Override
  protected void forward(Tensor x, Tensor y, boolean training) {
    if (!training || p == 0) {
      y.copyFrom(x);
      return;
    }
    int n = x.size();
    for (int i = 0; i < n; i++) {
      centres[i] = random.nextDouble() < gamma ? 1f : 0f;
    }
    // The b^r cube around each centre, as r separable passes (a box dilation is the product of 1-D ones).
    float[] from = centres;
    float[] to = spread;
    int r = rank();
    for (int a = 0; a < r; a++) {
      int len = x.dim(2 + a);
      int inner = x.shape().sizeOf(3 + a, 2 + r);
      dilate(from, to, n / (len * inner), len, inner);
      float[] t = from;
      from = to;
      to = t;
    }
    for (int i = 0; i < n; i++) {
      mask[i] = from[i] == 0f ? keepScale : 0f;
    }
    elementwise.mul(x.data(), x.offset(), mask, 0, y.data(), 0, n);
  }

  /** {@code dst[.., i, ..] = max over t in [0, b) of src[.., i + t - b/2, ..]} along one axis (0 outside). */
  private void dilate(float[] src, float[] dst, int outer, int len, int inner) {
    int half = block / 2;
    for (int o = 0; o < outer; o++) {
      int base = o * len * inner;
      for (int i = 0; i < len; i++) {
        int from = Math.max(i - half, 0);
        int to = Math.min(i - half + block, len);
        int at = base + i * inner;
        for (int j = 0; j < inner; j++) {
          float m = 0f;
          for (int t = from; t < to; t++) {
            m = Math.max(m, src[base + t * inner + j]);
          }
          dst[at + j] = m;
        }
      }
    }
  }

  @Override
  protected void backward(Tensor x, Tensor y, Tensor gy, Tensor gx) {
    if (lastForwardTraining() && p != 0) {
      elementwise.mul(gy.data(), gy.offset(), mask, 0, gx.data(), 0, x.size());
    } else {
      gx.copyFrom(gy);
    }
  }

  /** 0: data movement only (inference-time DropBlock is the identity). */
  @Override
  public long flops(Shape input) {
    outputShape(input);
    return 0;
  }
}

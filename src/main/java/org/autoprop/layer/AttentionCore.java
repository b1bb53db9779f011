package org.autoprop.layer;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;
import org.autoprop.kernel.ElementwiseKernels;
import org.autoprop.kernel.Gemm;
import org.autoprop.kernel.GemmKernels;
import org.autoprop.kernel.KernelProvider;
import org.autoprop.kernel.Parallel;
import org.autoprop.kernel.ParallelPolicy;
import org.autoprop.kernel.RowKernels;
import org.autoprop.tensor.Tensor;

/**
 * Scaled dot-product attention over {@code batch x heads} independent (query, key, value) blocks
 * read in place through strides, the arithmetic shared by {@link ScaledDotProductAttention} and
 * {@link MultiHeadAttention}: for block (b, h),
 * {@code P = softmax(scale * Q K^T + M[b])}, {@code O = dropout(P) V}.
 *
 * <p>An operand is addressed as {@code data[off + b * batchStride + h * headStride + t * ld + e]}:
 * a head of MultiHeadAttention's packed projection {@code [N*T, 3D]} is a column block of it
 * ({@code ld = 3D}), so no head is copied. The per-block products run on the small-product GEMM
 * ({@link Gemm#multiplySmall}), which does not pack its operands. The blocks run in parallel over
 * (b, h) when the work is
 * large ({@link ParallelPolicy#DENSE}, in multiply-adds); each block writes only its own rows and
 * columns of the outputs and gradients, so the split needs no reduction.
 *
 * <p><b>A fully masked row</b> (every key of a query removed, e.g. a padded query under a causal
 * and key-padding mask): PyTorch's softmax of a row of {@code -inf} gives NaN, which then spreads
 * through the whole backward. Here the row's attention weights are all zero, so that query's
 * output is zero (before any output projection) and no gradient flows through the row; the
 * convention of FlashAttention and of PyTorch's nested-tensor fast path, and what padding wants.
 */
final class AttentionCore {
  private final Object owner;
  private final GemmKernels gemm;
  private final ElementwiseKernels elementwise;
  private final RowKernels rows;

  // Masks (settings); the tensors are contiguous.
  boolean causal;
  Tensor userMask;
  boolean userMaskBoolean;
  AttentionMask maskFunction;
  Tensor keyPadding;

  // Geometry of the pass.
  int batch;
  int heads;
  int tq;
  int tk;
  int dk;
  int dv;
  float scale;

  // Operands: data, offset, batch stride, head stride, row stride.
  float[] q;
  int qOff;
  int qBs;
  int qHs;
  int qLd;
  float[] k;
  int kOff;
  int kBs;
  int kHs;
  int kLd;
  float[] v;
  int vOff;
  int vBs;
  int vHs;
  int vLd;
  float[] o;
  int oOff;
  int oBs;
  int oHs;
  int oLd;
  // Gradients: gq, gk, gv in the layouts of q, k, v (own offsets), go in the layout of o.
  float[] gq;
  int gqOff;
  float[] gk;
  int gkOff;
  float[] gv;
  int gvOff;
  float[] go;
  int goOff;
  /**
   * Whether gq, gk, gv alias one another (self-attention on one tensor): then every block adds into
   * them, and the caller zeroes them first; otherwise each block's region is written exactly once,
   * by the small-product kernel, and needs no zeroing.
   */
  boolean accumulateGradients = true;

  // State.
  private float[] probs = new float[0];
  private float[] dropped = new float[0];
  private float[] keep = new float[0];
  private boolean dropping;
  private float[] mask = new float[0];
  private boolean masked;
  private boolean maskPerBatch;
  private float[] scratch = new float[0];
  private int chunks;
  private final double dropout;
  private final SplittableRandom random;
  private final IntConsumer forwardBlock = this::forwardChunk;
  private final IntConsumer backwardBlock = this::backwardChunk;

  AttentionCore(Object owner, KernelProvider kernels, double dropout, long seed) {
    this.owner = owner;
    this.gemm = kernels.gemm();
    this.elementwise = kernels.elementwise();
    this.rows = kernels.rows();
    this.dropout = dropout;
    this.random = new SplittableRandom(seed);
  }

  /** Checks the mask settings against the pass's shapes; messages name the owner. */
  void checkMasks(int n, int tq, int tk) {
    if (userMask != null && (userMask.rank() != 2 || userMask.dim(0) != tq || userMask.dim(1) != tk)) {
      throw new IllegalArgumentException(owner + ": attention mask " + userMask.shape() + " (expected: [" + tq + ", "
          + tk + "], [query length, key length])");
    }
    if (keyPadding != null && (keyPadding.rank() != 2 || keyPadding.dim(0) != n || keyPadding.dim(1) != tk)) {
      throw new IllegalArgumentException(owner + ": key padding mask " + keyPadding.shape() + " (expected: [" + n
          + ", " + tk + "], [batch, key length])");
    }
  }

  /** Sizes the buffers for the geometry set above; call when a shape changes. */
  void prepare() {
    int blocks = batch * heads;
    int area = tq * tk;
    probs = ensure(probs, (long) blocks * area);
    int threads = Math.max(1, Parallel.threads());
    scratch = ensure(scratch, (long) threads * area);
  }

  private float[] ensure(float[] a, long size) {
    if (size > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(owner + ": attention weights of " + size + " elements (expected: < 2^31)");
    }
    return a.length >= size ? a : new float[(int) size];
  }

  /** Runs the forward over every block; {@code training} enables dropout. */
  void forward(boolean training) {
    buildMask();
    int area = tq * tk;
    int blocks = batch * heads;
    dropping = training && dropout > 0;
    if (dropping) {
      int size = blocks * area;
      keep = ensure(keep, size);
      dropped = ensure(dropped, size);
      float s = (float) (1 / (1 - dropout));
      for (int i = 0; i < size; i++) {
        keep[i] = random.nextDouble() < dropout ? 0f : s;
      }
    }
    chunks = chunks();
    run(forwardBlock);
  }

  /** Runs the backward: writes gq, gk, gv, or adds into them (zeroed by the caller) when {@link #accumulateGradients}. */
  void backward() {
    chunks = chunks();
    run(backwardBlock);
  }

  private int chunks() {
    int blocks = batch * heads;
    long work = (long) blocks * tq * tk * (dk + dv);
    return Math.min(ParallelPolicy.DENSE.chunks(work, blocks), Math.max(1, scratch.length / Math.max(1, tq * tk)));
  }

  private void run(IntConsumer body) {
    if (chunks == 1) {
      body.accept(0);
    } else {
      Parallel.forRange(chunks, body);
    }
  }

  private void buildMask() {
    // Causal positions are the row kernel's own flag; the buffer holds the other masks.
    masked = userMask != null || maskFunction != null || keyPadding != null;
    if (!masked) {
      return;
    }
    maskPerBatch = maskFunction != null || keyPadding != null;
    int area = tq * tk;
    int copies = maskPerBatch ? batch : 1;
    mask = ensure(mask, (long) copies * area);
    Arrays.fill(mask, 0, copies * area, 0f);
    for (int b = 0; b < copies; b++) {
      int base = b * area;
      if (userMask != null) {
        float[] md = userMask.data();
        int mo = userMask.offset();
        for (int i = 0; i < area; i++) {
          float u = md[mo + i];
          if (userMaskBoolean) {
            if (u != 0f) {
              mask[base + i] = Float.NEGATIVE_INFINITY;
            }
          } else {
            mask[base + i] += u;
          }
        }
      }
      if (keyPadding != null) {
        float[] kd = keyPadding.data();
        int ko = keyPadding.offset() + b * tk;
        for (int j = 0; j < tk; j++) {
          if (kd[ko + j] != 0f) {
            for (int i = 0; i < tq; i++) {
              mask[base + i * tk + j] = Float.NEGATIVE_INFINITY;
            }
          }
        }
      }
      if (maskFunction != null) {
        maskFunction.fill(b, tq, tk, mask, base);
      }
    }
  }

  private void forwardChunk(int t) {
    int blocks = batch * heads;
    int from = blocks * t / chunks;
    int to = blocks * (t + 1) / chunks;
    int area = tq * tk;
    for (int blk = from; blk < to; blk++) {
      int b = blk / heads;
      int h = blk % heads;
      int p = blk * area;
      Gemm.multiplySmall(gemm, false, true, tq, tk, dk, q, qOff + b * qBs + h * qHs, qLd,
          k, kOff + b * kBs + h * kHs, kLd, probs, p, tk);
      // The fused row kernel: softmax(scale * S + mask), causal positions and fully masked rows 0.
      rows.softmax(probs, p, probs, p, tq, tk, scale, masked ? mask : null, maskPerBatch ? b * area : 0, tk, causal, 0);
      float[] weights = probs;
      if (dropping) {
        elementwise.mul(probs, p, keep, p, dropped, p, area);
        weights = dropped;
      }
      Gemm.multiplySmall(gemm, false, false, tq, dv, tk, weights, p, tk, v, vOff + b * vBs + h * vHs, vLd,
          o, oOff + b * oBs + h * oHs, oLd);
    }
  }

  private void backwardChunk(int t) {
    int blocks = batch * heads;
    int from = blocks * t / chunks;
    int to = blocks * (t + 1) / chunks;
    int area = tq * tk;
    int s = t * area;
    for (int blk = from; blk < to; blk++) {
      int b = blk / heads;
      int h = blk % heads;
      int p = blk * area;
      float[] weights = dropping ? dropped : probs;
      int goAt = goOff + b * oBs + h * oHs;
      // gW = gO V^T (the gradient of the weights after dropout), gV += W^T gO
      Gemm.multiplySmall(gemm, false, true, tq, tk, dv, go, goAt, oLd, v, vOff + b * vBs + h * vHs, vLd,
          scratch, s, tk);
      product(true, false, tk, dv, tq, weights, p, tk, go, goAt, oLd, gv, gvOff + b * vBs + h * vHs, vLd);
      if (dropping) {
        elementwise.mul(scratch, s, keep, p, scratch, s, area);
      }
      // gS = scale * softmax'(P) gP; a fully masked row has P = 0, so its gS is 0.
      rows.softmaxBackward(probs, p, scratch, s, scratch, s, tq, tk, scale, causal, 0);
      // gQ += gS K, gK += gS^T Q
      product(false, false, tq, dk, tk, scratch, s, tk, k, kOff + b * kBs + h * kHs, kLd,
          gq, gqOff + b * qBs + h * qHs, qLd);
      product(true, false, tk, dk, tq, scratch, s, tk, q, qOff + b * qBs + h * qHs, qLd,
          gk, gkOff + b * kBs + h * kHs, kLd);
    }
  }

  /** A gradient product: added into C when {@link #accumulateGradients}, else written by the small-product kernel. */
  private void product(boolean transA, boolean transB, int m, int n, int kk, float[] a, int aOff, int lda,
      float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
    if (accumulateGradients) {
      Gemm.multiplySerial(gemm, transA, transB, m, n, kk, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, true);
    } else {
      Gemm.multiplySmall(gemm, transA, transB, m, n, kk, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
    }
  }

  /** The attention weights of the latest forward, [batch * heads, tq, tk] (before dropout), for tests. */
  float[] probabilities() {
    return probs;
  }
}

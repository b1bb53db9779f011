package org.autoprop.layer;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.autoprop.kernel.NormKernels;
import org.autoprop.kernel.Parallel;
import org.autoprop.kernel.ParallelPolicy;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * The shared logic of {@link BatchNorm1D} and {@link BatchNorm2D} over data viewed as
 * {@code [batch, channels, spatial]}: statistics in double, apply as one FMA per element, backward
 * as one reduction pass and one map pass. Subclasses only check shapes.
 *
 * <p>A fused mode ({@link #forwardFused}, used by {@link BatchNormReLU2D})
 * applies {@code max(., 0)} in the same pass and writes the result into this layer's own output
 * buffer; its backward recomputes the ReLU mask from the input and the same scale and shift
 * ({@code x * scale + shift > 0}, bit for bit the forward's test), so the output is not read
 * again. Statistics, running buffers and parameter gradients are computed exactly as in the plain mode. {@link #backward}
 * follows the mode of the latest forward.
 */
abstract class BatchNormCore extends AbstractLayer {
  final int channels;
  private double momentum = 0.1;
  private double eps = 1e-5;
  private final Parameter weight;
  private final Parameter bias;
  private final Tensor runningMean;
  private final Tensor runningVar;
  /**
   * PyTorch's {@code num_batches_tracked}: training forwards so far, a rank-0 buffer so that state
   * dicts carry PyTorch's names. Held as a float (exact up to 2^24 batches); AutoProp's running
   * statistics use the momentum, never this count.
   */
  private final Tensor numBatchesTracked = Tensor.zeros(Shape.of());
  private final NormKernels norm = kernels.norm();

  // Per-channel scratch, sized once.
  private final double[] mean;
  private final double[] var;
  private final float[] scale;
  private final float[] shift;
  private final float[] center;
  private final float[] invStd;
  private final double[] sumG;
  private final double[] sumGX;
  private final float[] coefG;
  private final float[] coefX;
  private final float[] gShift;

  /** Whether the forward running now applies the ReLU ({@link #forwardFused}). */
  private boolean reluRequested;
  private boolean lastRelu;

  BatchNormCore(int channels) {
    if (channels < 1) {
      throw new IllegalArgumentException(getClass().getSimpleName() + ": channels " + channels + " (expected: >= 1)");
    }
    this.channels = channels;
    this.weight = new Parameter("weight", Tensor.full(Shape.of(channels), 1f));
    this.bias = new Parameter("bias", Tensor.zeros(channels));
    this.runningMean = Tensor.zeros(channels);
    this.runningVar = Tensor.full(Shape.of(channels), 1f);
    mean = new double[channels];
    var = new double[channels];
    scale = new float[channels];
    shift = new float[channels];
    center = new float[channels];
    invStd = new float[channels];
    sumG = new double[channels];
    sumGX = new double[channels];
    coefG = new float[channels];
    coefX = new float[channels];
    gShift = new float[channels];
  }

  /** The number of elements per channel and sample: 1 for [N, C], L for [N, C, L], H*W for [N, C, H, W]. */
  abstract int spatial(Shape input);

  final void setMomentum(double m) {
    if (!(m >= 0 && m <= 1)) {
      throw new IllegalArgumentException(describe() + ": momentum " + m + " (expected: 0 <= momentum <= 1)");
    }
    momentum = m;
  }

  final void setEps(double e) {
    if (!(e > 0) || Double.isInfinite(e)) {
      throw new IllegalArgumentException(describe() + ": eps " + e + " (expected: > 0)");
    }
    eps = e;
  }

  /** The scale {@code gamma} per channel (PyTorch's {@code weight}). */
  public final Parameter weight() {
    return weight;
  }

  /** The shift {@code beta} per channel (PyTorch's {@code bias}). */
  public final Parameter bias() {
    return bias;
  }

  /** The momentum of the running statistics: running = (1 - momentum) * running + momentum * batch. */
  public final double momentum() {
    return momentum;
  }

  /** The constant added to the variance before the square root. */
  public final double eps() {
    return eps;
  }

  /** The running mean (a buffer, updated in place by training forwards). */
  public final Tensor runningMean() {
    return runningMean;
  }

  /** The running variance (a buffer, updated in place by training forwards). */
  public final Tensor runningVar() {
    return runningVar;
  }

  /** The number of channels. */
  public final int channels() {
    return channels;
  }

  final String describe() {
    return typeName() + "(" + channels + ")";
  }

  @Override
  public Shape outputShape(Shape input) {
    spatial(input); // checks
    return input;
  }

  /**
   * {@code max(forward(x), 0)} in the same pass, into this layer's output buffer; a backward after
   * it is the fused one.
   */
  final Tensor forwardFused(Tensor x, boolean training) {
    reluRequested = true;
    try {
      return forward(x, training);
    } finally {
      reluRequested = false;
    }
  }

  @Override
  protected void forward(Tensor x, Tensor y, boolean training) {
    Shape shape = x.shape();
    int sp = spatial(shape);
    int batch = shape.dim(0);
    long perChannel = (long) batch * sp;
    if (training && perChannel <= 1) {
      throw new IllegalArgumentException(describe()
          + ": Expected more than 1 value per channel when training, got input " + shape);
    }
    boolean relu = reluRequested;
    float[] xd = x.data();
    int xo = x.offset();
    float[] yd = y.data();
    if (training) {
      numBatchesTracked.data()[0] += 1;
      // Statistics, affine and apply in one parallel job: each chunk of channels is independent.
      runPass(FORWARD_TRAIN, shape, relu, xd, xo, batch, sp, null, 0, yd, null);
    } else {
      float[] w = weight.value().data();
      float[] b = bias.value().data();
      float[] rm = runningMean.data();
      float[] rv = runningVar.data();
      for (int c = 0; c < channels; c++) {
        setAffine(c, rm[c], rv[c], w[c], b[c]);
      }
      runPass(APPLY, shape, relu, xd, xo, batch, sp, null, 0, yd, null);
    }
    lastRelu = relu;
  }

  private void setAffine(int c, double m, double v, float gamma, float beta) {
    double is = 1 / Math.sqrt(v + eps);
    invStd[c] = (float) is;
    center[c] = (float) m;
    scale[c] = (float) (gamma * is);
    shift[c] = (float) (beta - m * gamma * is);
  }

  /** Whether the latest forward was fused with a ReLU (false before any forward). */
  final boolean lastForwardFused() {
    return lastRelu;
  }

  /** The backward pass of the latest forward (fused with the ReLU if that forward was). */
  @Override
  protected void backward(Tensor x, Tensor y, Tensor gy, Tensor gx) {
    Shape shape = x.shape();
    // Sums, coefficients and map in one parallel job: each chunk of channels is independent.
    runPass(BACKWARD, shape, lastRelu, x.data(), x.offset(), shape.dim(0), spatial(shape), gy.data(), gy.offset(),
        null, gx.data());
  }

  private static final int FORWARD_TRAIN = 0;
  private static final int APPLY = 1;
  private static final int BACKWARD = 2;

  /** Training statistics of channel c into the running buffers and the affine of the apply. */
  private void trainAffine(int c, long perChannel) {
    float[] rm = runningMean.data();
    float[] rv = runningVar.data();
    double unbiased = perChannel / (double) (perChannel - 1);
    rm[c] = (float) ((1 - momentum) * rm[c] + momentum * mean[c]);
    rv[c] = (float) ((1 - momentum) * rv[c] + momentum * var[c] * unbiased);
    setAffine(c, mean[c], var[c], weight.value().data()[c], bias.value().data()[c]);
  }

  /** Parameter gradients of channel c and the coefficients of its map, from its gradient sums. */
  private void backwardCoefficients(int c, long perChannel) {
    double count = perChannel;
    double is = invStd[c];
    double sgxhat = sumGX[c] * is; // sum of g * xhat
    weight.grad().data()[c] += (float) sgxhat;
    bias.grad().data()[c] += (float) sumG[c];
    double a = weight.value().data()[c] * is;
    coefG[c] = (float) a;
    if (lastForwardTraining()) {
      // gx = gamma * is * (g - mean(g) - xhat * mean(g * xhat))
      coefX[c] = (float) (-a * is * sgxhat / count);
      gShift[c] = (float) (-a * sumG[c] / count);
    } else {
      coefX[c] = 0f;
      gShift[c] = 0f;
    }
  }

  /**
   * One per-channel pass, split over the engine threads for large inputs. The arguments live in
   * the reused {@link #pass} object, so that a parallel pass allocates nothing.
   */
  private void runPass(int op, Shape shape, boolean relu, float[] xd, int xo, int batch, int sp, float[] gd, int go,
      float[] yd, float[] gxd) {
    Pass t = pass;
    t.op = op;
    t.relu = relu;
    t.xd = xd;
    t.xo = xo;
    t.batch = batch;
    t.sp = sp;
    t.gd = gd;
    t.go = go;
    t.yd = yd;
    t.gxd = gxd;
    try {
      if (ParallelPolicy.BATCH_NORM.parallel(shape.size(), channels)) {
        Parallel.forChunks(channels, t);
      } else {
        t.run(0, channels);
      }
    } finally {
      t.xd = null;
      t.gd = null;
      t.yd = null;
      t.gxd = null;
    }
  }

  private final Pass pass = new Pass();

  /** The arguments of a per-channel pass; {@link #run} handles channels [c0, c1). */
  private final class Pass implements Parallel.Chunk {
    int op;
    boolean relu;
    float[] xd;
    int xo;
    int batch;
    int sp;
    float[] gd;
    int go;
    float[] yd;
    float[] gxd;

    @Override
    public void run(int c0, int c1) {
      switch (op) {
        case FORWARD_TRAIN:
          norm.moments(xd, xo, batch, channels, sp, c0, c1, mean, var);
          for (int c = c0; c < c1; c++) {
            trainAffine(c, (long) batch * sp);
          }
          apply(relu, xd, xo, batch, sp, c0, c1, yd);
          break;
        case APPLY:
          apply(relu, xd, xo, batch, sp, c0, c1, yd);
          break;
        default:
          gradSums(relu, gd, go, xd, xo, batch, sp, c0, c1);
          for (int c = c0; c < c1; c++) {
            backwardCoefficients(c, (long) batch * sp);
          }
          backwardMap(relu, gd, go, xd, xo, batch, sp, c0, c1, gxd);
          break;
      }
    }
  }

  /** The apply pass over channels [c0, c1), with the ReLU when fused. */
  private void apply(boolean relu, float[] xd, int xo, int batch, int sp, int c0, int c1, float[] yd) {
    if (relu) {
      norm.scaleShiftRelu(xd, xo, batch, channels, sp, c0, c1, scale, shift, yd, 0);
    } else {
      norm.scaleShift(xd, xo, batch, channels, sp, c0, c1, scale, shift, yd, 0);
    }
  }

  /** The reduction pass over channels [c0, c1); with the ReLU mask recomputed from x when fused. */
  private void gradSums(boolean relu, float[] gd, int go, float[] xd, int xo, int batch, int sp,
      int c0, int c1) {
    if (relu) {
      norm.gradSumsRelu(gd, go, xd, xo, batch, channels, sp, c0, c1, scale, shift, center, sumG, sumGX);
    } else {
      norm.gradSums(gd, go, xd, xo, batch, channels, sp, c0, c1, center, sumG, sumGX);
    }
  }

  /** The map pass over channels [c0, c1); with the ReLU mask recomputed from x when fused. */
  private void backwardMap(boolean relu, float[] gd, int go, float[] xd, int xo, int batch, int sp,
      int c0, int c1, float[] gxd) {
    if (relu) {
      norm.backwardMapRelu(gd, go, xd, xo, batch, channels, sp, c0, c1, scale, shift, coefG, coefX, center, gShift,
          gxd, 0);
    } else {
      norm.backwardMap(gd, go, xd, xo, batch, channels, sp, c0, c1, coefG, coefX, center, gShift, gxd, 0);
    }
  }

  @Override
  public List<Parameter> parameters() {
    return List.of(weight, bias);
  }

  @Override
  public Map<String, Tensor> buffers() {
    Map<String, Tensor> m = new LinkedHashMap<>();
    m.put("running_mean", runningMean);
    m.put("running_var", runningVar);
    m.put("num_batches_tracked", numBatchesTracked);
    return m;
  }

  /** Two per element: the inference-time normalisation folded into one multiply-add. */
  @Override
  public long flops(Shape input) {
    return 2L * outputShape(input).size();
  }

  @Override
  public String toString() {
    return describe();
  }
}

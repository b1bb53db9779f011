package org.autoprop.kernel.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.autoprop.kernel.KernelProvider;
import org.autoprop.kernel.NormKernels;

/**
 * Vector API {@link NormKernels}: each row of {@code spatial} elements runs a {@code loopBound}
 * loop plus a scalar tail; lanes are reduced once per row, into double accumulators, so a row's
 * float partial sums never grow beyond one row.
 *
 * <p>Every row loop is a small static method taking only scalars and arrays: a large method with
 * several vector loops can exceed the JIT's inlining budget, and a vector that crosses a call that
 * was not inlined is boxed (an allocation per row, from 100 B to 300 KB per step across runs).
 * Reductions that produce two sums add them into the caller's double arrays at index c.
 *
 * <p>Rows shorter than one vector ({@code spatial < L}, e.g. BatchNorm1D on [N, C] where spatial
 * is 1) go to the scalar twin: the vector loop would never run, and the per-row setup (broadcasts,
 * zero accumulators, two {@code reduceLanes}) would be paid for every single element.
 */
final class VectorNorm implements NormKernels {
  private static final VectorSpecies<Float> S = VectorKernelProvider.SPECIES;
  private static final int L = S.length();
  private static final NormKernels SCALAR = KernelProvider.scalar().norm();
  /** Whether rows of {@code spatial} elements go to the scalar twin: shorter than one vector. */
  static boolean scalarRows(int spatial) {
    return spatial < L;
  }

  /** Per-thread scratch: each channel's shift in {@link #moments}. */
  private static final ThreadLocal<float[]> SHIFTS = ThreadLocal.withInitial(() -> new float[0]);

  @Override
  public void moments(float[] x, int xOff, int batch, int channels, int spatial, int c0, int c1,
      double[] mean, double[] var) {
    if (scalarRows(spatial)) {
      SCALAR.moments(x, xOff, batch, channels, spatial, c0, c1, mean, var);
      return;
    }
    long count = (long) batch * spatial;
    // One pass of sums shifted by the first row's mean, image-major (see gradSums); a second pass
    // (shifted by the mean itself) only for a channel whose shift lies beyond one standard
    // deviation of the mean, where the cancellation in sum(d * d) - sum(d)^2 / count would cost
    // more than the two-pass rounding.
    float[] shift = SHIFTS.get();
    if (shift.length < c1) {
      shift = new float[c1];
      SHIFTS.set(shift);
    }
    for (int c = c0; c < c1; c++) {
      shift[c] = (float) (rowSum(x, xOff + c * spatial, spatial) / spatial);
    }
    zero(mean, var, c0, c1);
    for (int n = 0; n < batch; n++) {
      for (int c = c0; c < c1; c++) {
        rowCentered(x, xOff + (n * channels + c) * spatial, spatial, shift[c], mean, var, c);
      }
    }
    for (int c = c0; c < c1; c++) {
      float k = shift[c];
      double off = mean[c] / count;
      double msq = var[c] / count;
      if (off * off > 0.5 * msq) {
        k = (float) (k + off);
        centeredSums(x, xOff, batch, channels, spatial, c, k, mean, var);
      }
      double sd = mean[c];
      double sdd = var[c];
      // sd / count is the offset of the float shift from the exact mean: the corrected two-pass formula.
      mean[c] = k + sd / count;
      var[c] = Math.max(0, (sdd - sd * sd / count) / count);
    }
  }

  /** sd[c] := sum of d, sdd[c] := sum of d * d over channel c, d = x - k. */
  private static void centeredSums(float[] x, int xOff, int batch, int channels, int spatial, int c, float k,
      double[] sd, double[] sdd) {
    sd[c] = 0;
    sdd[c] = 0;
    for (int n = 0; n < batch; n++) {
      rowCentered(x, xOff + (n * channels + c) * spatial, spatial, k, sd, sdd, c);
    }
  }

  /** The sum of x[base, base + n). */
  private static double rowSum(float[] x, int base, int n) {
    int bound = S.loopBound(n);
    FloatVector acc = FloatVector.zero(S);
    int i = 0;
    for (; i < bound; i += L) {
      acc = acc.add(FloatVector.fromArray(S, x, base + i));
    }
    double s = Lanes.sum(acc);
    for (; i < n; i++) {
      s += x[base + i];
    }
    return s;
  }

  /** sd[c] += sum of d, sdd[c] += sum of d * d over d = x[base, base + n) - m. */
  private static void rowCentered(float[] x, int base, int n, float m, double[] sd, double[] sdd, int c) {
    int bound = S.loopBound(n);
    FloatVector vm = FloatVector.broadcast(S, m);
    FloatVector accD = FloatVector.zero(S);
    FloatVector accDD = FloatVector.zero(S);
    int i = 0;
    for (; i < bound; i += L) {
      FloatVector d = FloatVector.fromArray(S, x, base + i).sub(vm);
      accD = accD.add(d);
      accDD = d.fma(d, accDD);
    }
    double s = Lanes.sum(accD);
    double ss = Lanes.sum(accDD);
    for (; i < n; i++) {
      double d = x[base + i] - m;
      s += d;
      ss += d * d;
    }
    sd[c] += s;
    sdd[c] += ss;
  }

  @Override
  public void scaleShift(float[] x, int xOff, int batch, int channels, int spatial, int c0, int c1,
      float[] scale, float[] shift, float[] y, int yOff) {
    if (scalarRows(spatial)) {
      SCALAR.scaleShift(x, xOff, batch, channels, spatial, c0, c1, scale, shift, y, yOff);
      return;
    }
    for (int n = 0; n < batch; n++) {
      for (int c = c0; c < c1; c++) {
        int off = (n * channels + c) * spatial;
        rowScaleShift(x, xOff + off, y, yOff + off, spatial, scale[c], shift[c]);
      }
    }
  }

  /** y[yb + i] := x[xb + i] * a + b for i in [0, n). */
  private static void rowScaleShift(float[] x, int xb, float[] y, int yb, int n, float a, float b) {
    int bound = S.loopBound(n);
    FloatVector va = FloatVector.broadcast(S, a);
    FloatVector vb = FloatVector.broadcast(S, b);
    int i = 0;
    for (; i < bound; i += L) {
      FloatVector.fromArray(S, x, xb + i).fma(va, vb).intoArray(y, yb + i);
    }
    for (; i < n; i++) {
      y[yb + i] = Math.fma(x[xb + i], a, b);
    }
  }

  @Override
  public void gradSums(float[] g, int gOff, float[] x, int xOff, int batch, int channels, int spatial,
      int c0, int c1, float[] center, double[] sumG, double[] sumGX) {
    if (scalarRows(spatial)) {
      SCALAR.gradSums(g, gOff, x, xOff, batch, channels, spatial, c0, c1, center, sumG, sumGX);
      return;
    }
    zero(sumG, sumGX, c0, c1);
    // Image-major, like the maps: the rows of an image follow each other in memory, so the pass
    // streams (channel-major, every row is a jump the prefetcher has to catch up with; 2x slower
    // on activations that come from DRAM). Each channel still sums its rows in image order.
    for (int n = 0; n < batch; n++) {
      for (int c = c0; c < c1; c++) {
        int off = (n * channels + c) * spatial;
        rowGradSums(g, gOff + off, x, xOff + off, spatial, center[c], sumG, sumGX, c);
      }
    }
  }

  private static void zero(double[] a, double[] b, int c0, int c1) {
    for (int c = c0; c < c1; c++) {
      a[c] = 0;
      b[c] = 0;
    }
  }

  /** sg[c] += sum of g, sgx[c] += sum of g * (x - m) over one row. */
  private static void rowGradSums(float[] g, int gb, float[] x, int xb, int n, float m, double[] sg, double[] sgx,
      int c) {
    int bound = S.loopBound(n);
    FloatVector vm = FloatVector.broadcast(S, m);
    FloatVector accG = FloatVector.zero(S);
    FloatVector accGX = FloatVector.zero(S);
    int i = 0;
    for (; i < bound; i += L) {
      FloatVector vg = FloatVector.fromArray(S, g, gb + i);
      accG = accG.add(vg);
      accGX = FloatVector.fromArray(S, x, xb + i).sub(vm).fma(vg, accGX);
    }
    double s = Lanes.sum(accG);
    double sx = Lanes.sum(accGX);
    for (; i < n; i++) {
      float gi = g[gb + i];
      s += gi;
      sx += (double) gi * (x[xb + i] - m);
    }
    sg[c] += s;
    sgx[c] += sx;
  }

  @Override
  public void backwardMap(float[] g, int gOff, float[] x, int xOff, int batch, int channels, int spatial,
      int c0, int c1, float[] coefG, float[] coefX, float[] center, float[] shift, float[] gx, int gxOff) {
    if (scalarRows(spatial)) {
      SCALAR.backwardMap(g, gOff, x, xOff, batch, channels, spatial, c0, c1, coefG, coefX, center, shift, gx, gxOff);
      return;
    }
    for (int n = 0; n < batch; n++) {
      for (int c = c0; c < c1; c++) {
        int off = (n * channels + c) * spatial;
        rowBackwardMap(g, gOff + off, x, xOff + off, gx, gxOff + off, spatial, coefG[c], coefX[c], center[c],
            shift[c]);
      }
    }
  }

  /** gx := a * g + b * (x - m) + d over one row. */
  private static void rowBackwardMap(float[] g, int gb, float[] x, int xb, float[] gx, int gxb, int n, float a,
      float b, float m, float d) {
    int bound = S.loopBound(n);
    FloatVector va = FloatVector.broadcast(S, a);
    FloatVector vb = FloatVector.broadcast(S, b);
    FloatVector vm = FloatVector.broadcast(S, m);
    FloatVector vd = FloatVector.broadcast(S, d);
    int i = 0;
    for (; i < bound; i += L) {
      FloatVector t = FloatVector.fromArray(S, x, xb + i).sub(vm).fma(vb, vd);
      FloatVector.fromArray(S, g, gb + i).fma(va, t).intoArray(gx, gxb + i);
    }
    for (; i < n; i++) {
      gx[gxb + i] = Math.fma(a, g[gb + i], Math.fma(b, x[xb + i] - m, d));
    }
  }

  @Override
  public void scaleShiftRelu(float[] x, int xOff, int batch, int channels, int spatial, int c0, int c1,
      float[] scale, float[] shift, float[] y, int yOff) {
    if (scalarRows(spatial)) {
      SCALAR.scaleShiftRelu(x, xOff, batch, channels, spatial, c0, c1, scale, shift, y, yOff);
      return;
    }
    for (int n = 0; n < batch; n++) {
      for (int c = c0; c < c1; c++) {
        int off = (n * channels + c) * spatial;
        rowScaleShiftRelu(x, xOff + off, y, yOff + off, spatial, scale[c], shift[c]);
      }
    }
  }

  /** y := max(x * a + b, 0) over one row. */
  private static void rowScaleShiftRelu(float[] x, int xb, float[] y, int yb, int n, float a, float b) {
    int bound = S.loopBound(n);
    FloatVector va = FloatVector.broadcast(S, a);
    FloatVector vb = FloatVector.broadcast(S, b);
    FloatVector zero = FloatVector.zero(S);
    int i = 0;
    for (; i < bound; i += L) {
      FloatVector.fromArray(S, x, xb + i).fma(va, vb).max(zero).intoArray(y, yb + i);
    }
    for (; i < n; i++) {
      y[yb + i] = Math.max(Math.fma(x[xb + i], a, b), 0f);
    }
  }

  @Override
  public void gradSumsRelu(float[] g, int gOff, float[] x, int xOff, int batch, int channels, int spatial,
      int c0, int c1, float[] scale, float[] shift, float[] center, double[] sumG, double[] sumGX) {
    if (scalarRows(spatial)) {
      SCALAR.gradSumsRelu(g, gOff, x, xOff, batch, channels, spatial, c0, c1, scale, shift, center, sumG, sumGX);
      return;
    }
    zero(sumG, sumGX, c0, c1);
    for (int n = 0; n < batch; n++) {
      for (int c = c0; c < c1; c++) {
        int off = (n * channels + c) * spatial;
        rowGradSumsRelu(g, gOff + off, x, xOff + off, spatial, scale[c], shift[c], center[c], sumG, sumGX, c);
      }
    }
  }

  /** sg[c] += sum of g * on, sgx[c] += sum of g * on * (x - m) over one row, on := x * sa + sb &gt; 0. */
  private static void rowGradSumsRelu(float[] g, int gb, float[] x, int xb, int n, float sa, float sb, float m,
      double[] sg, double[] sgx, int c) {
    int bound = S.loopBound(n);
    FloatVector va = FloatVector.broadcast(S, sa);
    FloatVector vb = FloatVector.broadcast(S, sb);
    FloatVector vm = FloatVector.broadcast(S, m);
    FloatVector zero = FloatVector.zero(S);
    FloatVector accG = FloatVector.zero(S);
    FloatVector accGX = FloatVector.zero(S);
    int i = 0;
    for (; i < bound; i += L) {
      FloatVector vx = FloatVector.fromArray(S, x, xb + i);
      // The forward's own test (same FMA), so the mask is bit for bit the ReLU's; a blend, not a masked load.
      VectorMask<Float> on = vx.fma(va, vb).compare(VectorOperators.GT, 0f);
      FloatVector vg = zero.blend(FloatVector.fromArray(S, g, gb + i), on);
      accG = accG.add(vg);
      accGX = vx.sub(vm).fma(vg, accGX);
    }
    double s = Lanes.sum(accG);
    double sx = Lanes.sum(accGX);
    for (; i < n; i++) {
      float xi = x[xb + i];
      if (Math.fma(xi, sa, sb) > 0f) {
        float gi = g[gb + i];
        s += gi;
        sx += (double) gi * (xi - m);
      }
    }
    sg[c] += s;
    sgx[c] += sx;
  }

  @Override
  public void backwardMapRelu(float[] g, int gOff, float[] x, int xOff, int batch, int channels, int spatial,
      int c0, int c1, float[] scale, float[] shift, float[] coefG, float[] coefX, float[] center, float[] gShift,
      float[] gx, int gxOff) {
    if (scalarRows(spatial)) {
      SCALAR.backwardMapRelu(g, gOff, x, xOff, batch, channels, spatial, c0, c1, scale, shift,
          coefG, coefX, center, gShift, gx, gxOff);
      return;
    }
    for (int n = 0; n < batch; n++) {
      for (int c = c0; c < c1; c++) {
        int off = (n * channels + c) * spatial;
        rowBackwardMapRelu(g, gOff + off, x, xOff + off, gx, gxOff + off, spatial, scale[c], shift[c],
            coefG[c], coefX[c], center[c], gShift[c]);
      }
    }
  }

  /** gx := a * (x * sa + sb &gt; 0 ? g : 0) + b * (x - m) + d over one row. */
  private static void rowBackwardMapRelu(float[] g, int gb, float[] x, int xb, float[] gx, int gxb, int n, float sa,
      float sb, float a, float b, float m, float d) {
    int bound = S.loopBound(n);
    FloatVector vsa = FloatVector.broadcast(S, sa);
    FloatVector vsb = FloatVector.broadcast(S, sb);
    FloatVector va = FloatVector.broadcast(S, a);
    FloatVector vb = FloatVector.broadcast(S, b);
    FloatVector vm = FloatVector.broadcast(S, m);
    FloatVector vd = FloatVector.broadcast(S, d);
    FloatVector zero = FloatVector.zero(S);
    int i = 0;
    for (; i < bound; i += L) {
      FloatVector vx = FloatVector.fromArray(S, x, xb + i);
      VectorMask<Float> on = vx.fma(vsa, vsb).compare(VectorOperators.GT, 0f);
      FloatVector vg = zero.blend(FloatVector.fromArray(S, g, gb + i), on);
      vg.fma(va, vx.sub(vm).fma(vb, vd)).intoArray(gx, gxb + i);
    }
    for (; i < n; i++) {
      float xi = x[xb + i];
      float gm = Math.fma(xi, sa, sb) > 0f ? g[gb + i] : 0f;
      gx[gxb + i] = Math.fma(a, gm, Math.fma(b, xi - m, d));
    }
  }
}

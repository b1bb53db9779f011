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
 * <p>Rows shorter than one vector ({@code spatial < L}, e.g. BatchNorm1D on [N, C] where spatial
 * is 1) go to the scalar twin: the vector loop would never run, and the per-row setup (broadcasts,
 * zero accumulators, two {@code reduceLanes}) would be paid for every single element.
 */
final class VectorNorm implements NormKernels {
  private static final VectorSpecies<Float> S = VectorKernelProvider.SPECIES;
  private static final int L = S.length();
  private static final NormKernels SCALAR = KernelProvider.scalar().norm();

  @Override
  public void moments(float[] x, int xOff, int batch, int channels, int spatial, int c0, int c1,
      double[] mean, double[] var) {
    if (spatial < L) {
      SCALAR.moments(x, xOff, batch, channels, spatial, c0, c1, mean, var);
      return;
    }
    long count = (long) batch * spatial;
    int bound = S.loopBound(spatial);
    for (int c = c0; c < c1; c++) {
      double s = 0;
      for (int n = 0; n < batch; n++) {
        int base = xOff + (n * channels + c) * spatial;
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (; i < bound; i += L) {
          acc = acc.add(FloatVector.fromArray(S, x, base + i));
        }
        s += acc.reduceLanes(VectorOperators.ADD);
        for (; i < spatial; i++) {
          s += x[base + i];
        }
      }
      double m = s / count;
      float mf = (float) m;
      FloatVector vm = FloatVector.broadcast(S, mf);
      double sd = 0;
      double sdd = 0;
      for (int n = 0; n < batch; n++) {
        int base = xOff + (n * channels + c) * spatial;
        FloatVector accD = FloatVector.zero(S);
        FloatVector accDD = FloatVector.zero(S);
        int i = 0;
        for (; i < bound; i += L) {
          FloatVector d = FloatVector.fromArray(S, x, base + i).sub(vm);
          accD = accD.add(d);
          accDD = d.fma(d, accDD);
        }
        sd += accD.reduceLanes(VectorOperators.ADD);
        sdd += accDD.reduceLanes(VectorOperators.ADD);
        for (; i < spatial; i++) {
          double d = x[base + i] - mf;
          sd += d;
          sdd += d * d;
        }
      }
      // sd / count is the offset of the float mean from the exact one: the corrected two-pass formula.
      mean[c] = mf + sd / count;
      var[c] = Math.max(0, (sdd - sd * sd / count) / count);
    }
  }

  @Override
  public void scaleShift(float[] x, int xOff, int batch, int channels, int spatial, int c0, int c1,
      float[] scale, float[] shift, float[] y, int yOff) {
    if (spatial < L) {
      SCALAR.scaleShift(x, xOff, batch, channels, spatial, c0, c1, scale, shift, y, yOff);
      return;
    }
    int bound = S.loopBound(spatial);
    for (int n = 0; n < batch; n++) {
      for (int c = c0; c < c1; c++) {
        int off = (n * channels + c) * spatial;
        float a = scale[c];
        float b = shift[c];
        FloatVector va = FloatVector.broadcast(S, a);
        FloatVector vb = FloatVector.broadcast(S, b);
        int i = 0;
        for (; i < bound; i += L) {
          FloatVector.fromArray(S, x, xOff + off + i).fma(va, vb).intoArray(y, yOff + off + i);
        }
        for (; i < spatial; i++) {
          y[yOff + off + i] = Math.fma(x[xOff + off + i], a, b);
        }
      }
    }
  }

  @Override
  public void gradSums(float[] g, int gOff, float[] x, int xOff, int batch, int channels, int spatial,
      int c0, int c1, float[] center, double[] sumG, double[] sumGX) {
    if (spatial < L) {
      SCALAR.gradSums(g, gOff, x, xOff, batch, channels, spatial, c0, c1, center, sumG, sumGX);
      return;
    }
    int bound = S.loopBound(spatial);
    for (int c = c0; c < c1; c++) {
      double sg = 0;
      double sgx = 0;
      float m = center[c];
      FloatVector vm = FloatVector.broadcast(S, m);
      for (int n = 0; n < batch; n++) {
        int off = (n * channels + c) * spatial;
        FloatVector accG = FloatVector.zero(S);
        FloatVector accGX = FloatVector.zero(S);
        int i = 0;
        for (; i < bound; i += L) {
          FloatVector vg = FloatVector.fromArray(S, g, gOff + off + i);
          accG = accG.add(vg);
          accGX = FloatVector.fromArray(S, x, xOff + off + i).sub(vm).fma(vg, accGX);
        }
        sg += accG.reduceLanes(VectorOperators.ADD);
        sgx += accGX.reduceLanes(VectorOperators.ADD);
        for (; i < spatial; i++) {
          float gi = g[gOff + off + i];
          sg += gi;
          sgx += (double) gi * (x[xOff + off + i] - m);
        }
      }
      sumG[c] = sg;
      sumGX[c] = sgx;
    }
  }

  @Override
  public void backwardMap(float[] g, int gOff, float[] x, int xOff, int batch, int channels, int spatial,
      int c0, int c1, float[] coefG, float[] coefX, float[] center, float[] shift, float[] gx, int gxOff) {
    if (spatial < L) {
      SCALAR.backwardMap(g, gOff, x, xOff, batch, channels, spatial, c0, c1, coefG, coefX, center, shift, gx, gxOff);
      return;
    }
    int bound = S.loopBound(spatial);
    for (int n = 0; n < batch; n++) {
      for (int c = c0; c < c1; c++) {
        int off = (n * channels + c) * spatial;
        float a = coefG[c];
        float b = coefX[c];
        float m = center[c];
        float d = shift[c];
        FloatVector va = FloatVector.broadcast(S, a);
        FloatVector vb = FloatVector.broadcast(S, b);
        FloatVector vm = FloatVector.broadcast(S, m);
        FloatVector vd = FloatVector.broadcast(S, d);
        int i = 0;
        for (; i < bound; i += L) {
          FloatVector t = FloatVector.fromArray(S, x, xOff + off + i).sub(vm).fma(vb, vd);
          FloatVector.fromArray(S, g, gOff + off + i).fma(va, t).intoArray(gx, gxOff + off + i);
        }
        for (; i < spatial; i++) {
          gx[gxOff + off + i] = Math.fma(a, g[gOff + off + i], Math.fma(b, x[xOff + off + i] - m, d));
        }
      }
    }
  }

  @Override
  public void scaleShiftRelu(float[] x, int xOff, int batch, int channels, int spatial, int c0, int c1,
      float[] scale, float[] shift, float[] y, int yOff) {
    if (spatial < L) {
      SCALAR.scaleShiftRelu(x, xOff, batch, channels, spatial, c0, c1, scale, shift, y, yOff);
      return;
    }
    int bound = S.loopBound(spatial);
    FloatVector zero = FloatVector.zero(S);
    for (int n = 0; n < batch; n++) {
      for (int c = c0; c < c1; c++) {
        int off = (n * channels + c) * spatial;
        float a = scale[c];
        float b = shift[c];
        FloatVector va = FloatVector.broadcast(S, a);
        FloatVector vb = FloatVector.broadcast(S, b);
        int i = 0;
        for (; i < bound; i += L) {
          FloatVector.fromArray(S, x, xOff + off + i).fma(va, vb).max(zero).intoArray(y, yOff + off + i);
        }
        for (; i < spatial; i++) {
          y[yOff + off + i] = Math.max(Math.fma(x[xOff + off + i], a, b), 0f);
        }
      }
    }
  }

  @Override
  public void gradSumsRelu(float[] g, int gOff, float[] y, int yOff, float[] x, int xOff, int batch, int channels,
      int spatial, int c0, int c1, float[] center, double[] sumG, double[] sumGX) {
    if (spatial < L) {
      SCALAR.gradSumsRelu(g, gOff, y, yOff, x, xOff, batch, channels, spatial, c0, c1, center, sumG, sumGX);
      return;
    }
    int bound = S.loopBound(spatial);
    FloatVector zero = FloatVector.zero(S);
    for (int c = c0; c < c1; c++) {
      double sg = 0;
      double sgx = 0;
      float m = center[c];
      FloatVector vm = FloatVector.broadcast(S, m);
      for (int n = 0; n < batch; n++) {
        int off = (n * channels + c) * spatial;
        FloatVector accG = FloatVector.zero(S);
        FloatVector accGX = FloatVector.zero(S);
        int i = 0;
        for (; i < bound; i += L) {
          // The mask selects g (a blend, not a masked load): g where y > 0, else 0.
          VectorMask<Float> on = FloatVector.fromArray(S, y, yOff + off + i).compare(VectorOperators.GT, 0f);
          FloatVector vg = zero.blend(FloatVector.fromArray(S, g, gOff + off + i), on);
          accG = accG.add(vg);
          accGX = FloatVector.fromArray(S, x, xOff + off + i).sub(vm).fma(vg, accGX);
        }
        sg += accG.reduceLanes(VectorOperators.ADD);
        sgx += accGX.reduceLanes(VectorOperators.ADD);
        for (; i < spatial; i++) {
          if (y[yOff + off + i] > 0f) {
            float gi = g[gOff + off + i];
            sg += gi;
            sgx += (double) gi * (x[xOff + off + i] - m);
          }
        }
      }
      sumG[c] = sg;
      sumGX[c] = sgx;
    }
  }

  @Override
  public void backwardMapRelu(float[] g, int gOff, float[] y, int yOff, float[] x, int xOff, int batch, int channels,
      int spatial, int c0, int c1, float[] coefG, float[] coefX, float[] center, float[] shift, float[] gx, int gxOff) {
    if (spatial < L) {
      SCALAR.backwardMapRelu(g, gOff, y, yOff, x, xOff, batch, channels, spatial, c0, c1,
          coefG, coefX, center, shift, gx, gxOff);
      return;
    }
    int bound = S.loopBound(spatial);
    FloatVector zero = FloatVector.zero(S);
    for (int n = 0; n < batch; n++) {
      for (int c = c0; c < c1; c++) {
        int off = (n * channels + c) * spatial;
        float a = coefG[c];
        float b = coefX[c];
        float m = center[c];
        float d = shift[c];
        FloatVector va = FloatVector.broadcast(S, a);
        FloatVector vb = FloatVector.broadcast(S, b);
        FloatVector vm = FloatVector.broadcast(S, m);
        FloatVector vd = FloatVector.broadcast(S, d);
        int i = 0;
        for (; i < bound; i += L) {
          VectorMask<Float> on = FloatVector.fromArray(S, y, yOff + off + i).compare(VectorOperators.GT, 0f);
          FloatVector vg = zero.blend(FloatVector.fromArray(S, g, gOff + off + i), on);
          FloatVector t = FloatVector.fromArray(S, x, xOff + off + i).sub(vm).fma(vb, vd);
          vg.fma(va, t).intoArray(gx, gxOff + off + i);
        }
        for (; i < spatial; i++) {
          float gm = y[yOff + off + i] > 0f ? g[gOff + off + i] : 0f;
          gx[gxOff + off + i] = Math.fma(a, gm, Math.fma(b, x[xOff + off + i] - m, d));
        }
      }
    }
  }
}

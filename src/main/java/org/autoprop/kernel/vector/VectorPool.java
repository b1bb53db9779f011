package org.autoprop.kernel.vector;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.autoprop.kernel.KernelProvider;
import org.autoprop.kernel.PoolKernels;

/**
 * Vector API {@link PoolKernels}.
 *
 * <p>With a horizontal stride of 1 the windows of neighbouring outputs are neighbouring input
 * columns, so each kernel tap becomes a contiguous row operation over the output columns it is
 * valid for (every lane sees the taps in the scalar order, so results match bit for bit). Other
 * strides would need gathers, which are slower than the scalar loops on current CPUs; they use the
 * scalar twin, as do the scatter of max-pool backward and adaptive windows other than global.
 */
final class VectorPool implements PoolKernels {
  private static final VectorSpecies<Float> S = VectorKernelProvider.SPECIES;
  private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, S.vectorShape());
  private static final int L = S.length();
  private static final PoolKernels SCALAR = KernelProvider.scalar().pool();

  @Override
  public void maxForward(float[] x, int xOff, int p0, int p1, Window win, float[] y, int yOff, int[] argmax, int aOff) {
    if (win.sw() != 1) {
      SCALAR.maxForward(x, xOff, p0, p1, win, y, yOff, argmax, aOff);
      return;
    }
    int h = win.h();
    int w = win.w();
    int ow = win.ow();
    IntVector iota = IntVector.zero(I).addIndex(1);
    for (int p = p0; p < p1; p++) {
      int in = xOff + p * win.inPlane();
      for (int oy = 0; oy < win.oh(); oy++) {
        int y0 = oy * win.sh() - win.ph();
        int ya = Math.max(y0, 0);
        int yb = Math.min(y0 + win.kh(), h);
        // y and argmax rows are the running maximum and its index.
        int out = p * win.outPlane() + oy * ow;
        Arrays.fill(y, yOff + out, yOff + out + ow, Float.NEGATIVE_INFINITY);
        for (int ox = 0; ox < ow; ox++) {
          argmax[aOff + out + ox] = ya * w + Math.max(ox - win.pw(), 0);
        }
        for (int iy = ya; iy < yb; iy++) {
          for (int kx = 0; kx < win.kw(); kx++) {
            int shift = kx - win.pw(); // input column = ox + shift
            int oxa = Math.max(0, -shift);
            int oxb = Math.min(ow, w - shift);
            int row = iy * w + shift;
            int ox = oxa;
            for (int bound = oxa + S.loopBound(Math.max(oxb - oxa, 0)); ox < bound; ox += L) {
              FloatVector v = FloatVector.fromArray(S, x, in + row + ox);
              FloatVector best = FloatVector.fromArray(S, y, yOff + out + ox);
              VectorMask<Float> take = v.compare(VectorOperators.GT, best).or(v.test(VectorOperators.IS_NAN));
              best.blend(v, take).intoArray(y, yOff + out + ox);
              IntVector arg = IntVector.fromArray(I, argmax, aOff + out + ox);
              arg.blend(iota.add(row + ox), take.cast(I)).intoArray(argmax, aOff + out + ox);
            }
            for (; ox < oxb; ox++) {
              float v = x[in + row + ox];
              if (v > y[yOff + out + ox] || Float.isNaN(v)) {
                y[yOff + out + ox] = v;
                argmax[aOff + out + ox] = row + ox;
              }
            }
          }
        }
      }
    }
  }

  @Override
  public void maxBackward(float[] gy, int gyOff, int[] argmax, int aOff, int p0, int p1, Window win, float[] gx, int gxOff) {
    SCALAR.maxBackward(gy, gyOff, argmax, aOff, p0, p1, win, gx, gxOff);
  }

  @Override
  public void avgForward(float[] x, int xOff, int p0, int p1, Window win, float[] y, int yOff) {
    if (win.sw() != 1) {
      SCALAR.avgForward(x, xOff, p0, p1, win, y, yOff);
      return;
    }
    int h = win.h();
    int w = win.w();
    int ow = win.ow();
    float inv = 1f / (win.kh() * win.kw());
    for (int p = p0; p < p1; p++) {
      int in = xOff + p * win.inPlane();
      for (int oy = 0; oy < win.oh(); oy++) {
        int y0 = oy * win.sh() - win.ph();
        int ya = Math.max(y0, 0);
        int yb = Math.min(y0 + win.kh(), h);
        int out = yOff + p * win.outPlane() + oy * ow;
        Arrays.fill(y, out, out + ow, 0f);
        for (int iy = ya; iy < yb; iy++) {
          for (int kx = 0; kx < win.kw(); kx++) {
            int shift = kx - win.pw();
            int oxa = Math.max(0, -shift);
            int oxb = Math.min(ow, w - shift);
            int src = in + iy * w + shift;
            int ox = oxa;
            for (int bound = oxa + S.loopBound(Math.max(oxb - oxa, 0)); ox < bound; ox += L) {
              FloatVector.fromArray(S, y, out + ox).add(FloatVector.fromArray(S, x, src + ox)).intoArray(y, out + ox);
            }
            for (; ox < oxb; ox++) {
              y[out + ox] += x[src + ox];
            }
          }
        }
        int ox = 0;
        for (int bound = S.loopBound(ow); ox < bound; ox += L) {
          FloatVector.fromArray(S, y, out + ox).mul(inv).intoArray(y, out + ox);
        }
        for (; ox < ow; ox++) {
          y[out + ox] *= inv;
        }
      }
    }
  }

  @Override
  public void avgBackward(float[] gy, int gyOff, int p0, int p1, Window win, float[] gx, int gxOff) {
    if (win.sw() != 1) {
      SCALAR.avgBackward(gy, gyOff, p0, p1, win, gx, gxOff);
      return;
    }
    int h = win.h();
    int w = win.w();
    int ow = win.ow();
    float inv = 1f / (win.kh() * win.kw());
    Arrays.fill(gx, gxOff + p0 * win.inPlane(), gxOff + p1 * win.inPlane(), 0f);
    for (int p = p0; p < p1; p++) {
      int in = gxOff + p * win.inPlane();
      for (int oy = 0; oy < win.oh(); oy++) {
        int y0 = oy * win.sh() - win.ph();
        int ya = Math.max(y0, 0);
        int yb = Math.min(y0 + win.kh(), h);
        int out = gyOff + p * win.outPlane() + oy * ow;
        for (int iy = ya; iy < yb; iy++) {
          for (int kx = 0; kx < win.kw(); kx++) {
            int shift = kx - win.pw();
            int oxa = Math.max(0, -shift);
            int oxb = Math.min(ow, w - shift);
            int dst = in + iy * w + shift;
            int ox = oxa;
            for (int bound = oxa + S.loopBound(Math.max(oxb - oxa, 0)); ox < bound; ox += L) {
              FloatVector.fromArray(S, gy, out + ox).mul(inv)
                  .add(FloatVector.fromArray(S, gx, dst + ox)).intoArray(gx, dst + ox);
            }
            for (; ox < oxb; ox++) {
              gx[dst + ox] += gy[out + ox] * inv;
            }
          }
        }
      }
    }
  }

  @Override
  public void adaptiveAvgForward(float[] x, int xOff, int p0, int p1, int h, int w, int oh, int ow, float[] y, int yOff) {
    if (oh != 1 || ow != 1) {
      SCALAR.adaptiveAvgForward(x, xOff, p0, p1, h, w, oh, ow, y, yOff);
      return;
    }
    int n = h * w;
    int bound = S.loopBound(n);
    for (int p = p0; p < p1; p++) {
      int in = xOff + p * n;
      FloatVector acc = FloatVector.zero(S);
      int i = 0;
      for (; i < bound; i += L) {
        acc = acc.add(FloatVector.fromArray(S, x, in + i));
      }
      double s = acc.reduceLanes(VectorOperators.ADD);
      for (; i < n; i++) {
        s += x[in + i];
      }
      y[yOff + p] = (float) (s / n);
    }
  }

  @Override
  public void adaptiveAvgBackward(float[] gy, int gyOff, int p0, int p1, int h, int w, int oh, int ow, float[] gx, int gxOff) {
    if (oh != 1 || ow != 1) {
      SCALAR.adaptiveAvgBackward(gy, gyOff, p0, p1, h, w, oh, ow, gx, gxOff);
      return;
    }
    int n = h * w;
    int bound = S.loopBound(n);
    for (int p = p0; p < p1; p++) {
      int in = gxOff + p * n;
      float g = gy[gyOff + p] / n;
      FloatVector vg = FloatVector.broadcast(S, g);
      int i = 0;
      for (; i < bound; i += L) {
        vg.intoArray(gx, in + i);
      }
      for (; i < n; i++) {
        gx[in + i] = g;
      }
    }
  }
}

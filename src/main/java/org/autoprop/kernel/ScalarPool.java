package org.autoprop.kernel;

import java.util.Arrays;

/** Scalar twin of the {@link PoolKernels}: plain loops, the oracle. */
final class ScalarPool implements PoolKernels {
  @Override
  public void maxForward(float[] x, int xOff, int p0, int p1, Window win, float[] y, int yOff, int[] argmax, int aOff) {
    int h = win.h();
    int w = win.w();
    for (int p = p0; p < p1; p++) {
      int in = xOff + p * win.inPlane();
      int out = p * win.outPlane();
      for (int oy = 0; oy < win.oh(); oy++) {
        int y0 = oy * win.sh() - win.ph();
        int ya = Math.max(y0, 0);
        int yb = Math.min(y0 + win.kh(), h);
        for (int ox = 0; ox < win.ow(); ox++) {
          int x0 = ox * win.sw() - win.pw();
          int xa = Math.max(x0, 0);
          int xb = Math.min(x0 + win.kw(), w);
          // PyTorch's rule: start from -inf at the first real element, take v > best or NaN.
          int best = ya * w + xa;
          float bestV = Float.NEGATIVE_INFINITY;
          for (int iy = ya; iy < yb; iy++) {
            for (int ix = xa; ix < xb; ix++) {
              float v = x[in + iy * w + ix];
              if (v > bestV || Float.isNaN(v)) {
                bestV = v;
                best = iy * w + ix;
              }
            }
          }
          y[yOff + out + oy * win.ow() + ox] = bestV;
          argmax[aOff + out + oy * win.ow() + ox] = best;
        }
      }
    }
  }

  @Override
  public void maxBackward(float[] gy, int gyOff, int[] argmax, int aOff, int p0, int p1, Window win, float[] gx, int gxOff) {
    maxScatter(gy, gyOff, argmax, aOff, p0, p1, win, gx, gxOff);
  }

  /** The scatter of max-pool backward, shared by both twins (a scatter does not vectorize). */
  static void maxScatter(float[] gy, int gyOff, int[] argmax, int aOff, int p0, int p1, Window win, float[] gx, int gxOff) {
    int inPlane = win.inPlane();
    int outPlane = win.outPlane();
    Arrays.fill(gx, gxOff + p0 * inPlane, gxOff + p1 * inPlane, 0f);
    for (int p = p0; p < p1; p++) {
      int in = gxOff + p * inPlane;
      int out = p * outPlane;
      for (int o = 0; o < outPlane; o++) {
        gx[in + argmax[aOff + out + o]] += gy[gyOff + out + o];
      }
    }
  }

  @Override
  public void avgForward(float[] x, int xOff, int p0, int p1, Window win, float[] y, int yOff) {
    int h = win.h();
    int w = win.w();
    float inv = 1f / (win.kh() * win.kw());
    for (int p = p0; p < p1; p++) {
      int in = xOff + p * win.inPlane();
      int out = yOff + p * win.outPlane();
      for (int oy = 0; oy < win.oh(); oy++) {
        int y0 = oy * win.sh() - win.ph();
        int ya = Math.max(y0, 0);
        int yb = Math.min(y0 + win.kh(), h);
        for (int ox = 0; ox < win.ow(); ox++) {
          int x0 = ox * win.sw() - win.pw();
          int xa = Math.max(x0, 0);
          int xb = Math.min(x0 + win.kw(), w);
          float s = 0;
          for (int iy = ya; iy < yb; iy++) {
            for (int ix = xa; ix < xb; ix++) {
              s += x[in + iy * w + ix];
            }
          }
          y[out + oy * win.ow() + ox] = s * inv;
        }
      }
    }
  }

  @Override
  public void avgBackward(float[] gy, int gyOff, int p0, int p1, Window win, float[] gx, int gxOff) {
    int h = win.h();
    int w = win.w();
    float inv = 1f / (win.kh() * win.kw());
    Arrays.fill(gx, gxOff + p0 * win.inPlane(), gxOff + p1 * win.inPlane(), 0f);
    for (int p = p0; p < p1; p++) {
      int in = gxOff + p * win.inPlane();
      int out = gyOff + p * win.outPlane();
      for (int oy = 0; oy < win.oh(); oy++) {
        int y0 = oy * win.sh() - win.ph();
        int ya = Math.max(y0, 0);
        int yb = Math.min(y0 + win.kh(), h);
        for (int ox = 0; ox < win.ow(); ox++) {
          int x0 = ox * win.sw() - win.pw();
          int xa = Math.max(x0, 0);
          int xb = Math.min(x0 + win.kw(), w);
          float g = gy[out + oy * win.ow() + ox] * inv;
          for (int iy = ya; iy < yb; iy++) {
            for (int ix = xa; ix < xb; ix++) {
              gx[in + iy * w + ix] += g;
            }
          }
        }
      }
    }
  }

  @Override
  public void adaptiveAvgForward(float[] x, int xOff, int p0, int p1, int h, int w, int oh, int ow, float[] y, int yOff) {
    for (int p = p0; p < p1; p++) {
      int in = xOff + p * h * w;
      int out = yOff + p * oh * ow;
      for (int oy = 0; oy < oh; oy++) {
        int ya = PoolKernels.adaptiveStart(oy, h, oh);
        int yb = PoolKernels.adaptiveEnd(oy, h, oh);
        for (int ox = 0; ox < ow; ox++) {
          int xa = PoolKernels.adaptiveStart(ox, w, ow);
          int xb = PoolKernels.adaptiveEnd(ox, w, ow);
          double s = 0;
          for (int iy = ya; iy < yb; iy++) {
            for (int ix = xa; ix < xb; ix++) {
              s += x[in + iy * w + ix];
            }
          }
          y[out + oy * ow + ox] = (float) (s / ((yb - ya) * (xb - xa)));
        }
      }
    }
  }

  @Override
  public void adaptiveAvgBackward(float[] gy, int gyOff, int p0, int p1, int h, int w, int oh, int ow, float[] gx, int gxOff) {
    Arrays.fill(gx, gxOff + p0 * h * w, gxOff + p1 * h * w, 0f);
    for (int p = p0; p < p1; p++) {
      int in = gxOff + p * h * w;
      int out = gyOff + p * oh * ow;
      for (int oy = 0; oy < oh; oy++) {
        int ya = PoolKernels.adaptiveStart(oy, h, oh);
        int yb = PoolKernels.adaptiveEnd(oy, h, oh);
        for (int ox = 0; ox < ow; ox++) {
          int xa = PoolKernels.adaptiveStart(ox, w, ow);
          int xb = PoolKernels.adaptiveEnd(ox, w, ow);
          float g = gy[out + oy * ow + ox] / ((yb - ya) * (xb - xa));
          for (int iy = ya; iy < yb; iy++) {
            for (int ix = xa; ix < xb; ix++) {
              gx[in + iy * w + ix] += g;
            }
          }
        }
      }
    }
  }
}

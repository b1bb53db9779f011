package org.autoprop.bench;

import org.autoprop.kernel.KernelProvider;
import org.autoprop.layer.Conv2D;
import org.autoprop.layer.Padding;
import org.autoprop.layer.Parameter;
import org.autoprop.tensor.Tensor;

/**
 * Reference implementations for the benchmarks' correctness checks: plain loops with double
 * accumulators, written from the formulas of DESIGN.md / PyTorch, sharing no code with the
 * library's kernels, plus {@link Conv} (a convolution on the scalar kernels,
 * {@code KernelProvider.scalar()}, carrying copies of the benchmarked layer's weights). Slow on
 * purpose: they run once per trial, outside the timed region. Tensors are contiguous NCHW.
 */
final class Ref {
  private Ref() {}

  // ---------------------------------------------------------------- direct convolution, one image

  /**
   * {@code y[o, oy, ox] = b[o] + sum_{c,i,j} w[o, c, i, j] x[n, c, oy*s - p + i, ox*s - p + j]} for
   * image {@code n}, by direct summation (no im2col, no GEMM).
   */
  static double[] convImage(Tensor x, Tensor w, Tensor b, int n, int stride, int pad) {
    int cin = x.dim(1), h = x.dim(2), wd = x.dim(3);
    int cout = w.dim(0), k = w.dim(2);
    int ho = (h + 2 * pad - k) / stride + 1, wo = (wd + 2 * pad - k) / stride + 1;
    float[] xs = x.data(), ws = w.data();
    double[] y = new double[cout * ho * wo];
    for (int o = 0; o < cout; o++) {
      for (int oy = 0; oy < ho; oy++) {
        for (int ox = 0; ox < wo; ox++) {
          double s = b == null ? 0 : b.getFlat(o);
          for (int c = 0; c < cin; c++) {
            for (int i = 0; i < k; i++) {
              int iy = oy * stride - pad + i;
              if (iy < 0 || iy >= h) {
                continue;
              }
              for (int j = 0; j < k; j++) {
                int ix = ox * stride - pad + j;
                if (ix >= 0 && ix < wd) {
                  s += (double) ws[((o * cin + c) * k + i) * k + j] * xs[((n * cin + c) * h + iy) * wd + ix];
                }
              }
            }
          }
          y[(o * ho + oy) * wo + ox] = s;
        }
      }
    }
    return y;
  }

  /**
   * The input gradient of image {@code n}: {@code gx[c, iy, ix] = sum w[o, c, i, j] g[n, o, oy, ox]}
   * over the output positions that read {@code (iy, ix)}, by direct scattering.
   */
  static double[] convInputGradImage(Tensor g, Tensor w, int n, int cin, int h, int wd, int stride, int pad) {
    int cout = w.dim(0), k = w.dim(2), ho = g.dim(2), wo = g.dim(3);
    float[] gs = g.data(), ws = w.data();
    double[] gx = new double[cin * h * wd];
    for (int o = 0; o < cout; o++) {
      for (int oy = 0; oy < ho; oy++) {
        for (int ox = 0; ox < wo; ox++) {
          double go = gs[((n * cout + o) * ho + oy) * wo + ox];
          for (int c = 0; c < cin; c++) {
            for (int i = 0; i < k; i++) {
              int iy = oy * stride - pad + i;
              if (iy < 0 || iy >= h) {
                continue;
              }
              for (int j = 0; j < k; j++) {
                int ix = ox * stride - pad + j;
                if (ix >= 0 && ix < wd) {
                  gx[(c * h + iy) * wd + ix] += go * ws[((o * cin + c) * k + i) * k + j];
                }
              }
            }
          }
        }
      }
    }
    return gx;
  }

  /** The slice of image {@code n} of an NCHW tensor, as a tensor of shape [1, C, H, W]. */
  static Tensor image(Tensor t, int n) {
    return t.slice(0, n, n + 1).contiguous();
  }

  /** {@code sum_n,h,w g[n, o, h, w]} per channel o: the bias gradient of a convolution. */
  static double[] channelSums(Tensor g) {
    int nb = g.dim(0), c = g.dim(1), hw = g.dim(2) * g.dim(3);
    double[] s = new double[c];
    for (int n = 0; n < nb; n++) {
      for (int o = 0; o < c; o++) {
        for (int i = 0; i < hw; i++) {
          s[o] += g.getFlat((n * c + o) * hw + i);
        }
      }
    }
    return s;
  }

  // ---------------------------------------------------------------- layers with state

  /**
   * A convolution on the scalar kernels with a copy of another convolution's weight and bias;
   * {@link #forward}/{@link #backward} return copies, parameter gradients accumulate in
   * {@link #layer}.
   */
  static final class Conv {
    final Conv2D layer;

    Conv(Parameter weight, Parameter bias, int stride, int pad) {
      Tensor w = weight.value();
      layer = KernelProvider.building(KernelProvider.scalar(), () -> Conv2D.builder(w.dim(1), w.dim(0))
          .kernel(w.dim(2), w.dim(3)).stride(stride).padding(Padding.of(pad)).bias(bias != null).build());
      layer.weight().value().copyFrom(w);
      if (bias != null) {
        layer.bias().value().copyFrom(bias.value());
      }
    }

    Tensor forward(Tensor x) {
      return layer.forward(x, true).copy();
    }

    Tensor backward(Tensor g) {
      return layer.backward(g).copy();
    }
  }

  /**
   * BatchNorm2D in training mode: batch mean and biased variance in double,
   * {@code y = (x - mean) / sqrt(var + eps) * gamma + beta}; running statistics from zero mean /
   * unit variance with momentum 0.1 and the unbiased variance; backward
   * {@code gx = gamma / sqrt(var + eps) / m * (m g - sum g - xhat sum(g xhat))}.
   */
  static final class Bn {
    final double[] gamma;
    final double[] beta;
    final double eps = 1e-5;
    double[] mean;
    double[] var;
    double[] xhat;
    double[] gGamma;
    double[] gBeta;
    private int nb, c, hw;

    Bn(Parameter gamma, Parameter beta) {
      this.gamma = Check.toDouble(gamma.value());
      this.beta = Check.toDouble(beta.value());
    }

    Tensor forward(Tensor x) {
      nb = x.dim(0);
      c = x.dim(1);
      hw = x.dim(2) * x.dim(3);
      int m = nb * hw;
      mean = new double[c];
      var = new double[c];
      xhat = new double[x.size()];
      float[] y = new float[x.size()];
      for (int ch = 0; ch < c; ch++) {
        double s = 0;
        for (int n = 0; n < nb; n++) {
          for (int i = 0; i < hw; i++) {
            s += x.getFlat((n * c + ch) * hw + i);
          }
        }
        mean[ch] = s / m;
        double v = 0;
        for (int n = 0; n < nb; n++) {
          for (int i = 0; i < hw; i++) {
            double d = x.getFlat((n * c + ch) * hw + i) - mean[ch];
            v += d * d;
          }
        }
        var[ch] = v / m;
        double inv = 1 / Math.sqrt(var[ch] + eps);
        for (int n = 0; n < nb; n++) {
          for (int i = 0; i < hw; i++) {
            int at = (n * c + ch) * hw + i;
            xhat[at] = (x.getFlat(at) - mean[ch]) * inv;
            y[at] = (float) (xhat[at] * gamma[ch] + beta[ch]);
          }
        }
      }
      return Tensor.wrap(y, x.shape());
    }

    /** Running mean after one training forward from the initial statistics. */
    double[] runningMean() {
      double[] r = new double[c];
      for (int ch = 0; ch < c; ch++) {
        r[ch] = 0.1 * mean[ch];
      }
      return r;
    }

    /** Running variance after one training forward from the initial statistics (unbiased batch variance). */
    double[] runningVar() {
      int m = nb * hw;
      double[] r = new double[c];
      for (int ch = 0; ch < c; ch++) {
        r[ch] = 0.9 + 0.1 * var[ch] * m / (m - 1);
      }
      return r;
    }

    Tensor backward(Tensor g) {
      int m = nb * hw;
      gGamma = new double[c];
      gBeta = new double[c];
      float[] gx = new float[g.size()];
      for (int ch = 0; ch < c; ch++) {
        double sg = 0, sgx = 0;
        for (int n = 0; n < nb; n++) {
          for (int i = 0; i < hw; i++) {
            int at = (n * c + ch) * hw + i;
            sg += g.getFlat(at);
            sgx += g.getFlat(at) * xhat[at];
          }
        }
        gBeta[ch] = sg;
        gGamma[ch] = sgx;
        double k = gamma[ch] / Math.sqrt(var[ch] + eps) / m;
        for (int n = 0; n < nb; n++) {
          for (int i = 0; i < hw; i++) {
            int at = (n * c + ch) * hw + i;
            gx[at] = (float) (k * (m * (double) g.getFlat(at) - sg - xhat[at] * sgx));
          }
        }
      }
      return Tensor.wrap(gx, g.shape());
    }
  }

  // ---------------------------------------------------------------- stateless maps

  /** {@code max(x, 0)}. */
  static Tensor relu(Tensor x) {
    float[] y = new float[x.size()];
    for (int i = 0; i < y.length; i++) {
      y[i] = Math.max(x.getFlat(i), 0f);
    }
    return Tensor.wrap(y, x.shape());
  }

  /** {@code g} where the ReLU's output {@code y} is positive, else 0. */
  static Tensor reluBackward(Tensor y, Tensor g) {
    float[] gx = new float[g.size()];
    for (int i = 0; i < gx.length; i++) {
      gx[i] = y.getFlat(i) > 0 ? g.getFlat(i) : 0f;
    }
    return Tensor.wrap(gx, g.shape());
  }

  /** {@code a + b}, same shapes. */
  static Tensor add(Tensor a, Tensor b) {
    float[] y = new float[a.size()];
    for (int i = 0; i < y.length; i++) {
      y[i] = a.getFlat(i) + b.getFlat(i);
    }
    return Tensor.wrap(y, a.shape());
  }

  /** Max pooling 2x2, stride 2, no padding; {@code arg} receives the flat index of each maximum (first one). */
  static Tensor maxPool2(Tensor x, int[] arg) {
    int nb = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3), ho = h / 2, wo = w / 2;
    float[] y = new float[nb * c * ho * wo];
    for (int p = 0; p < nb * c; p++) {
      for (int oy = 0; oy < ho; oy++) {
        for (int ox = 0; ox < wo; ox++) {
          int best = -1;
          float v = Float.NEGATIVE_INFINITY;
          for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 2; j++) {
              int at = (p * h + 2 * oy + i) * w + 2 * ox + j;
              if (x.getFlat(at) > v) {
                v = x.getFlat(at);
                best = at;
              }
            }
          }
          int o = (p * ho + oy) * wo + ox;
          y[o] = v;
          arg[o] = best;
        }
      }
    }
    return Tensor.wrap(y, nb, c, ho, wo);
  }

  /** The input gradient of {@link #maxPool2}: each output gradient to its (first) maximum. */
  static Tensor maxPool2Backward(Tensor g, int[] arg, Tensor x) {
    float[] gx = new float[x.size()];
    for (int o = 0; o < g.size(); o++) {
      gx[arg[o]] += g.getFlat(o);
    }
    return Tensor.wrap(gx, x.shape());
  }

  /** Global average pool [N, C, H, W] -> [N, C]. */
  static Tensor gap(Tensor x) {
    int nc = x.dim(0) * x.dim(1), hw = x.dim(2) * x.dim(3);
    float[] y = new float[nc];
    for (int p = 0; p < nc; p++) {
      double s = 0;
      for (int i = 0; i < hw; i++) {
        s += x.getFlat(p * hw + i);
      }
      y[p] = (float) (s / hw);
    }
    return Tensor.wrap(y, x.dim(0), x.dim(1));
  }

  /** The input gradient of {@link #gap}. */
  static Tensor gapBackward(Tensor g, Tensor x) {
    int hw = x.dim(2) * x.dim(3);
    float[] gx = new float[x.size()];
    for (int i = 0; i < gx.length; i++) {
      gx[i] = g.getFlat(i / hw) / hw;
    }
    return Tensor.wrap(gx, x.shape());
  }

  /** {@code y = x W^T + b} for x [N, in], W [out, in]. */
  static Tensor dense(Tensor x, Tensor w, Tensor b) {
    int n = x.dim(0), in = x.dim(1), out = w.dim(0);
    float[] y = new float[n * out];
    for (int r = 0; r < n; r++) {
      for (int o = 0; o < out; o++) {
        double s = b.getFlat(o);
        for (int i = 0; i < in; i++) {
          s += (double) x.getFlat(r * in + i) * w.getFlat(o * in + i);
        }
        y[r * out + o] = (float) s;
      }
    }
    return Tensor.wrap(y, n, out);
  }

  /**
   * Mean softmax cross-entropy of logits [N, C] against {@code labels}; writes the gradient
   * {@code (softmax - onehot) / N} into {@code grad}.
   */
  static double crossEntropy(Tensor logits, int[] labels, float[] grad) {
    int n = logits.dim(0), c = logits.dim(1);
    double loss = 0;
    for (int r = 0; r < n; r++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < c; j++) {
        max = Math.max(max, logits.getFlat(r * c + j));
      }
      double z = 0;
      for (int j = 0; j < c; j++) {
        z += Math.exp(logits.getFlat(r * c + j) - max);
      }
      loss -= logits.getFlat(r * c + labels[r]) - max - Math.log(z);
      for (int j = 0; j < c; j++) {
        double p = Math.exp(logits.getFlat(r * c + j) - max) / z;
        grad[r * c + j] = (float) ((p - (j == labels[r] ? 1 : 0)) / n);
      }
    }
    return loss / n;
  }
}

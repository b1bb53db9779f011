package org.autoprop.bench;

import org.autoprop.layer.Layer;
import org.autoprop.tensor.Tensor;

/**
 * One pre-norm transformer encoder layer in double precision, forward and input gradient, from the
 * formulas with plain loops (the attention through {@link AttentionRef}): the independent
 * computation ATTN-128 and ATTN-CAUSAL are checked against.
 *
 * <pre>
 * x1 = x + MHA(LN1(x));  y = x1 + W2 GELU(W1 LN2(x1) + b1) + b2     (LN eps 1e-5, GELU with erf)
 * </pre>
 */
final class EncoderRef {
  private static final double EPS = 1e-5;
  private final int rows;
  private final int d;
  private final int f;
  private final AttentionRef attn;
  private final double[] g1;
  private final double[] be1;
  private final double[] g2;
  private final double[] be2;
  private final double[] w1;
  private final double[] b1;
  private final double[] w2;
  private final double[] b2;
  private double[] x;
  private double[] x1;
  private double[] n2;
  private double[] h;

  /** The reference of {@code model} (parameters read by their PyTorch names) on [n, t, d]. */
  EncoderRef(Layer model, int n, int t, int d, int heads, int f, boolean causal) {
    this.rows = n * t;
    this.d = d;
    this.f = f;
    attn = new AttentionRef(n, t, d, heads, causal, p(model, "self_attn.in_proj_weight"),
        p(model, "self_attn.in_proj_bias"), p(model, "self_attn.out_proj.weight"), p(model, "self_attn.out_proj.bias"));
    g1 = Check.toDouble(p(model, "norm1.weight"));
    be1 = Check.toDouble(p(model, "norm1.bias"));
    g2 = Check.toDouble(p(model, "norm2.weight"));
    be2 = Check.toDouble(p(model, "norm2.bias"));
    w1 = Check.toDouble(p(model, "linear1.weight"));
    b1 = Check.toDouble(p(model, "linear1.bias"));
    w2 = Check.toDouble(p(model, "linear2.weight"));
    b2 = Check.toDouble(p(model, "linear2.bias"));
  }

  private static Tensor p(Layer model, String name) {
    return Check.param(model, name).value();
  }

  double[] forward(double[] input) {
    x = input;
    double[] a = attn.forward(layerNorm(x, g1, be1));
    x1 = new double[rows * d];
    for (int i = 0; i < x1.length; i++) {
      x1[i] = x[i] + a[i];
    }
    n2 = layerNorm(x1, g2, be2);
    h = new double[rows * f];
    for (int r = 0; r < rows; r++) {
      for (int j = 0; j < f; j++) {
        double s = b1[j];
        for (int c = 0; c < d; c++) {
          s += n2[r * d + c] * w1[j * d + c];
        }
        h[r * f + j] = s;
      }
    }
    double[] y = new double[rows * d];
    for (int r = 0; r < rows; r++) {
      for (int j = 0; j < d; j++) {
        double s = b2[j] + x1[r * d + j];
        for (int c = 0; c < f; c++) {
          s += gelu(h[r * f + c]) * w2[j * f + c];
        }
        y[r * d + j] = s;
      }
    }
    return y;
  }

  /** The input gradient for upstream gradient {@code gy}. */
  double[] backward(double[] gy) {
    double[] gh = new double[rows * f];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < f; c++) {
        double s = 0;
        for (int j = 0; j < d; j++) {
          s += gy[r * d + j] * w2[j * f + c];
        }
        gh[r * f + c] = s * geluGrad(h[r * f + c]);
      }
    }
    double[] gn2 = new double[rows * d];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < d; c++) {
        double s = 0;
        for (int j = 0; j < f; j++) {
          s += gh[r * f + j] * w1[j * d + c];
        }
        gn2[r * d + c] = s;
      }
    }
    double[] gx1 = layerNormBackward(x1, g2, gn2);
    for (int i = 0; i < gx1.length; i++) {
      gx1[i] += gy[i];
    }
    double[] gx = layerNormBackward(x, g1, attn.backward(gx1));
    for (int i = 0; i < gx.length; i++) {
      gx[i] += gx1[i];
    }
    return gx;
  }

  private double[] layerNorm(double[] in, double[] gamma, double[] beta) {
    double[] out = new double[in.length];
    for (int r = 0; r < rows; r++) {
      double mean = 0;
      for (int c = 0; c < d; c++) {
        mean += in[r * d + c];
      }
      mean /= d;
      double var = 0;
      for (int c = 0; c < d; c++) {
        double e = in[r * d + c] - mean;
        var += e * e;
      }
      double rstd = 1 / Math.sqrt(var / d + EPS);
      for (int c = 0; c < d; c++) {
        out[r * d + c] = (in[r * d + c] - mean) * rstd * gamma[c] + beta[c];
      }
    }
    return out;
  }

  /** gx = rstd * (gxhat - mean(gxhat) - xhat * mean(gxhat * xhat)), gxhat = g * gamma. */
  private double[] layerNormBackward(double[] in, double[] gamma, double[] g) {
    double[] gx = new double[in.length];
    for (int r = 0; r < rows; r++) {
      double mean = 0;
      for (int c = 0; c < d; c++) {
        mean += in[r * d + c];
      }
      mean /= d;
      double var = 0;
      for (int c = 0; c < d; c++) {
        double e = in[r * d + c] - mean;
        var += e * e;
      }
      double rstd = 1 / Math.sqrt(var / d + EPS);
      double m1 = 0;
      double m2 = 0;
      for (int c = 0; c < d; c++) {
        double gh = g[r * d + c] * gamma[c];
        double xh = (in[r * d + c] - mean) * rstd;
        m1 += gh;
        m2 += gh * xh;
      }
      m1 /= d;
      m2 /= d;
      for (int c = 0; c < d; c++) {
        double gh = g[r * d + c] * gamma[c];
        double xh = (in[r * d + c] - mean) * rstd;
        gx[r * d + c] = rstd * (gh - m1 - xh * m2);
      }
    }
    return gx;
  }

  private static double gelu(double v) {
    return 0.5 * v * (1 + erf(v / Math.sqrt(2)));
  }

  private static double geluGrad(double v) {
    return 0.5 * (1 + erf(v / Math.sqrt(2))) + v * Math.exp(-0.5 * v * v) / Math.sqrt(2 * Math.PI);
  }

  /** erf to about 1e-13 (Abramowitz-Stegun 7.1.26 is too coarse; this is the series/continued-fraction pair). */
  private static double erf(double z) {
    double t = Math.abs(z);
    double r;
    if (t < 2.5) {
      double sum = t;
      double term = t;
      for (int n = 1; n < 60; n++) {
        term *= -t * t / n;
        sum += term / (2 * n + 1);
      }
      r = 2 / Math.sqrt(Math.PI) * sum;
    } else {
      // erfc continued fraction
      double f = 0;
      for (int n = 60; n >= 1; n--) {
        f = n / 2.0 / (t + f);
      }
      r = 1 - Math.exp(-t * t) / Math.sqrt(Math.PI) / (t + f);
    }
    return z < 0 ? -r : r;
  }
}

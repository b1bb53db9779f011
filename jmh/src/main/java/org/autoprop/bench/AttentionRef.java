package org.autoprop.bench;

import org.autoprop.tensor.Tensor;

/**
 * Multi-head self-attention in double precision, forward and backward, written from the formulas
 * with plain loops (no AutoProp kernel): the independent computation the attention benchmarks are
 * checked against in their set-up.
 *
 * <pre>
 * [Q K V] = x Win^T + bin;  head h: P = softmax(Q_h K_h^T / sqrt(hd) + causal), O_h = P V_h
 * y = O Wo^T + bo
 * </pre>
 */
final class AttentionRef {
  private final int n;
  private final int t;
  private final int d;
  private final int heads;
  private final int hd;
  private final boolean causal;
  private final double[] win;
  private final double[] bin;
  private final double[] wo;
  private final double[] bo;
  // Forward state.
  private double[] x;
  private double[] qkv;
  private double[] probs;
  private double[] o;
  /** Gradients of the latest backward: in_proj_weight, in_proj_bias, out_proj.weight, out_proj.bias. */
  double[] gWin;
  double[] gBin;
  double[] gWo;
  double[] gBo;

  AttentionRef(int n, int t, int d, int heads, boolean causal, Tensor win, Tensor bin, Tensor wo, Tensor bo) {
    this.n = n;
    this.t = t;
    this.d = d;
    this.heads = heads;
    this.hd = d / heads;
    this.causal = causal;
    this.win = Check.toDouble(win);
    this.bin = Check.toDouble(bin);
    this.wo = Check.toDouble(wo);
    this.bo = Check.toDouble(bo);
  }

  /** y [n*t, d] for x [n*t, d] (row-major, flat). */
  double[] forward(double[] input) {
    x = input;
    int rows = n * t;
    qkv = new double[rows * 3 * d];
    for (int r = 0; r < rows; r++) {
      for (int j = 0; j < 3 * d; j++) {
        double s = bin[j];
        for (int c = 0; c < d; c++) {
          s += x[r * d + c] * win[j * d + c];
        }
        qkv[r * 3 * d + j] = s;
      }
    }
    probs = new double[n * heads * t * t];
    o = new double[rows * d];
    double scale = 1 / Math.sqrt(hd);
    for (int b = 0; b < n; b++) {
      for (int h = 0; h < heads; h++) {
        int p0 = (b * heads + h) * t * t;
        for (int i = 0; i < t; i++) {
          double max = Double.NEGATIVE_INFINITY;
          int last = causal ? i : t - 1;
          for (int j = 0; j <= last; j++) {
            double s = 0;
            for (int e = 0; e < hd; e++) {
              s += q(b, i, h, e) * k(b, j, h, e);
            }
            probs[p0 + i * t + j] = s * scale;
            max = Math.max(max, s * scale);
          }
          double sum = 0;
          for (int j = 0; j <= last; j++) {
            double e = Math.exp(probs[p0 + i * t + j] - max);
            probs[p0 + i * t + j] = e;
            sum += e;
          }
          for (int j = 0; j <= last; j++) {
            probs[p0 + i * t + j] /= sum;
          }
          for (int e = 0; e < hd; e++) {
            double s = 0;
            for (int j = 0; j <= last; j++) {
              s += probs[p0 + i * t + j] * v(b, j, h, e);
            }
            o[(b * t + i) * d + h * hd + e] = s;
          }
        }
      }
    }
    double[] y = new double[rows * d];
    for (int r = 0; r < rows; r++) {
      for (int j = 0; j < d; j++) {
        double s = bo[j];
        for (int c = 0; c < d; c++) {
          s += o[r * d + c] * wo[j * d + c];
        }
        y[r * d + j] = s;
      }
    }
    return y;
  }

  private double q(int b, int i, int h, int e) {
    return qkv[(b * t + i) * 3 * d + h * hd + e];
  }

  private double k(int b, int j, int h, int e) {
    return qkv[(b * t + j) * 3 * d + d + h * hd + e];
  }

  private double v(int b, int j, int h, int e) {
    return qkv[(b * t + j) * 3 * d + 2 * d + h * hd + e];
  }

  /** The input gradient for upstream gradient gy [n*t, d]; fills the parameter gradients. */
  double[] backward(double[] gy) {
    int rows = n * t;
    gWo = new double[d * d];
    gBo = new double[d];
    double[] go = new double[rows * d];
    for (int r = 0; r < rows; r++) {
      for (int j = 0; j < d; j++) {
        double g = gy[r * d + j];
        gBo[j] += g;
        for (int c = 0; c < d; c++) {
          gWo[j * d + c] += g * o[r * d + c];
          go[r * d + c] += g * wo[j * d + c];
        }
      }
    }
    double[] gqkv = new double[rows * 3 * d];
    double scale = 1 / Math.sqrt(hd);
    double[] gp = new double[t];
    for (int b = 0; b < n; b++) {
      for (int h = 0; h < heads; h++) {
        int p0 = (b * heads + h) * t * t;
        for (int i = 0; i < t; i++) {
          double dot = 0;
          for (int j = 0; j < t; j++) {
            double s = 0;
            for (int e = 0; e < hd; e++) {
              s += go[(b * t + i) * d + h * hd + e] * v(b, j, h, e);
            }
            gp[j] = s;
            dot += s * probs[p0 + i * t + j];
          }
          for (int j = 0; j < t; j++) {
            double p = probs[p0 + i * t + j];
            double gs = p * (gp[j] - dot) * scale;
            for (int e = 0; e < hd; e++) {
              gqkv[(b * t + i) * 3 * d + h * hd + e] += gs * k(b, j, h, e);
              gqkv[(b * t + j) * 3 * d + d + h * hd + e] += gs * q(b, i, h, e);
              gqkv[(b * t + j) * 3 * d + 2 * d + h * hd + e] += p * go[(b * t + i) * d + h * hd + e];
            }
          }
        }
      }
    }
    gWin = new double[3 * d * d];
    gBin = new double[3 * d];
    double[] gx = new double[rows * d];
    for (int r = 0; r < rows; r++) {
      for (int j = 0; j < 3 * d; j++) {
        double g = gqkv[r * 3 * d + j];
        gBin[j] += g;
        for (int c = 0; c < d; c++) {
          gWin[j * d + c] += g * x[r * d + c];
          gx[r * d + c] += g * win[j * d + c];
        }
      }
    }
    return gx;
  }
}

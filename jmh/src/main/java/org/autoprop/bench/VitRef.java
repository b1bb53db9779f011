package org.autoprop.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import org.autoprop.graph.LayerGraph;
import org.autoprop.tensor.Tensor;

/**
 * VIT-FMNIST ({@code ReferenceNets.vitFashion}) in double precision: the forward pass, the mean
 * softmax cross-entropy and the gradient of every parameter, written from the formulas with plain
 * loops (no AutoProp kernel, no AutoProp layer): the independent computation {@link VitBenchmark}
 * is checked against. The attention is {@link AttentionRef}.
 *
 * <pre>
 * patch:   tok[n, s, o] = b[o] + sum_{i,j} W[o, 0, i, j] x[n, 0, 7 py + i, 7 px + j],  s = 4 py + px
 * tokens:  h[n, 0, :] = cls + pos[0];  h[n, 1 + s, :] = tok[n, s, :] + pos[1 + s]
 * layer:   a = h + MHA(LN1(h));  h' = a + W2 GELU(W1 LN2(a) + b1) + b2   (4 times, pre-norm)
 * head:    logits = Wh LN(h[n, 0, :]) + bh;  loss = mean_n (logsumexp(logits) - logits[label])
 * LN(x) = (x - mean) / sqrt(var + 1e-5) w + b (biased variance);  GELU(x) = x Phi(x) (erf form)
 * </pre>
 *
 * The parameter values are read by the graph's parameter names ({@code patch.weight},
 * {@code layers.0.self_attn.in_proj_weight}, ...), and {@link #grads} holds the gradients under
 * the same names.
 */
final class VitRef {
  static final int N = 128;
  static final int T = 17;
  static final int D = 96;
  static final int F = 192;
  static final int HEADS = 4;
  static final int LAYERS = 4;
  static final int CLASSES = 10;
  private static final int PATCH = 7;
  private static final int GRID = 4;
  private static final int IMAGE = 28;
  private static final double EPS = 1e-5;

  private final LayerGraph graph;
  /** The logits [N, CLASSES] of {@link #run}. */
  double[] logits;
  /** The mean cross-entropy of {@link #run}. */
  double loss;
  /** The gradient of the loss for each parameter, by the graph's parameter names. */
  final Map<String, double[]> grads = new LinkedHashMap<>();

  VitRef(LayerGraph graph) {
    this.graph = graph;
  }

  private double[] value(String name) {
    return Check.toDouble(Check.param(graph, name).value());
  }

  /** Forward, loss and backward for the batch x [N, 1, 28, 28] and its labels. */
  void run(Tensor x, int[] labels) {
    double[] xs = Check.toDouble(x);
    double[] pw = value("patch.weight");
    double[] pb = value("patch.bias");
    double[] cls = value("cls.weight");
    double[] pos = value("pos.weight");

    // Patches and tokens.
    double[] h = new double[N * T * D];
    for (int n = 0; n < N; n++) {
      for (int o = 0; o < D; o++) {
        h[(n * T) * D + o] = cls[o] + pos[o];
      }
      for (int py = 0; py < GRID; py++) {
        for (int px = 0; px < GRID; px++) {
          int s = py * GRID + px;
          for (int o = 0; o < D; o++) {
            double v = pb[o];
            for (int i = 0; i < PATCH; i++) {
              for (int j = 0; j < PATCH; j++) {
                v += pw[(o * PATCH + i) * PATCH + j] * xs[(n * IMAGE + PATCH * py + i) * IMAGE + PATCH * px + j];
              }
            }
            h[(n * T + 1 + s) * D + o] = v + pos[(1 + s) * D + o];
          }
        }
      }
    }

    // Encoder layers.
    Layer[] layers = new Layer[LAYERS];
    for (int l = 0; l < LAYERS; l++) {
      layers[l] = new Layer("layers." + l);
      h = layers[l].forward(h);
    }

    // Head on the class token.
    double[] c = new double[N * D];
    for (int n = 0; n < N; n++) {
      System.arraycopy(h, n * T * D, c, n * D, D);
    }
    Ln norm = new Ln(value("norm.weight"), value("norm.bias"));
    double[] z = norm.forward(c, N);
    double[] hw = value("head.weight");
    double[] hb = value("head.bias");
    logits = linear(z, N, D, hw, hb, CLASSES);

    // Cross-entropy, mean over the batch, and its gradient.
    double[] gl = new double[N * CLASSES];
    loss = 0;
    for (int n = 0; n < N; n++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int k = 0; k < CLASSES; k++) {
        max = Math.max(max, logits[n * CLASSES + k]);
      }
      double sum = 0;
      for (int k = 0; k < CLASSES; k++) {
        sum += Math.exp(logits[n * CLASSES + k] - max);
      }
      loss += max + Math.log(sum) - logits[n * CLASSES + labels[n]];
      for (int k = 0; k < CLASSES; k++) {
        gl[n * CLASSES + k] = (Math.exp(logits[n * CLASSES + k] - max) / sum - (k == labels[n] ? 1 : 0)) / N;
      }
    }
    loss /= N;

    // Backward: head, final norm, class token.
    double[] ghw = new double[CLASSES * D];
    double[] ghb = new double[CLASSES];
    double[] gz = linearBackward(gl, z, N, D, hw, CLASSES, ghw, ghb);
    double[] gc = norm.backward(gz);
    double[] gh = new double[N * T * D];
    for (int n = 0; n < N; n++) {
      System.arraycopy(gc, n * D, gh, n * T * D, D);
    }
    for (int l = LAYERS - 1; l >= 0; l--) {
      gh = layers[l].backward(gh);
    }

    // Tokens and patches.
    double[] gcls = new double[D];
    double[] gpos = new double[T * D];
    double[] gpw = new double[D * PATCH * PATCH];
    double[] gpb = new double[D];
    for (int n = 0; n < N; n++) {
      for (int t = 0; t < T; t++) {
        for (int o = 0; o < D; o++) {
          gpos[t * D + o] += gh[(n * T + t) * D + o];
        }
      }
      for (int o = 0; o < D; o++) {
        gcls[o] += gh[n * T * D + o];
      }
      for (int py = 0; py < GRID; py++) {
        for (int px = 0; px < GRID; px++) {
          int s = py * GRID + px;
          for (int o = 0; o < D; o++) {
            double g = gh[(n * T + 1 + s) * D + o];
            gpb[o] += g;
            for (int i = 0; i < PATCH; i++) {
              for (int j = 0; j < PATCH; j++) {
                gpw[(o * PATCH + i) * PATCH + j] += g * xs[(n * IMAGE + PATCH * py + i) * IMAGE + PATCH * px + j];
              }
            }
          }
        }
      }
    }
    grads.put("patch.weight", gpw);
    grads.put("patch.bias", gpb);
    grads.put("cls.weight", gcls);
    grads.put("pos.weight", gpos);
    for (Layer layer : layers) {
      layer.putGrads();
    }
    grads.put("norm.weight", norm.gw);
    grads.put("norm.bias", norm.gb);
    grads.put("head.weight", ghw);
    grads.put("head.bias", ghb);
  }

  /** One pre-norm encoder layer: {@code a = h + MHA(LN1(h)); y = a + W2 GELU(W1 LN2(a) + b1) + b2}. */
  private final class Layer {
    private final String prefix;
    private final Ln norm1;
    private final Ln norm2;
    private final AttentionRef attn;
    private final double[] w1;
    private final double[] b1;
    private final double[] w2;
    private final double[] b2;
    private final double[] gw1 = new double[F * D];
    private final double[] gb1 = new double[F];
    private final double[] gw2 = new double[D * F];
    private final double[] gb2 = new double[D];
    private double[] v;
    private double[] z1;
    private double[] a1;

    Layer(String prefix) {
      this.prefix = prefix + ".";
      norm1 = new Ln(value(this.prefix + "norm1.weight"), value(this.prefix + "norm1.bias"));
      norm2 = new Ln(value(this.prefix + "norm2.weight"), value(this.prefix + "norm2.bias"));
      attn = new AttentionRef(N, T, D, HEADS, false,
          Check.param(graph, this.prefix + "self_attn.in_proj_weight").value(),
          Check.param(graph, this.prefix + "self_attn.in_proj_bias").value(),
          Check.param(graph, this.prefix + "self_attn.out_proj.weight").value(),
          Check.param(graph, this.prefix + "self_attn.out_proj.bias").value());
      w1 = value(this.prefix + "linear1.weight");
      b1 = value(this.prefix + "linear1.bias");
      w2 = value(this.prefix + "linear2.weight");
      b2 = value(this.prefix + "linear2.bias");
    }

    double[] forward(double[] h) {
      int rows = N * T;
      double[] a = add(h, attn.forward(norm1.forward(h, rows)));
      v = norm2.forward(a, rows);
      z1 = linear(v, rows, D, w1, b1, F);
      a1 = new double[z1.length];
      for (int i = 0; i < z1.length; i++) {
        a1[i] = gelu(z1[i]);
      }
      return add(a, linear(a1, rows, F, w2, b2, D));
    }

    double[] backward(double[] gy) {
      int rows = N * T;
      double[] ga1 = linearBackward(gy, a1, rows, F, w2, D, gw2, gb2);
      for (int i = 0; i < ga1.length; i++) {
        ga1[i] *= geluDerivative(z1[i]);
      }
      double[] ga = add(gy, norm2.backward(linearBackward(ga1, v, rows, D, w1, F, gw1, gb1)));
      return add(ga, norm1.backward(attn.backward(ga)));
    }

    void putGrads() {
      grads.put(prefix + "norm1.weight", norm1.gw);
      grads.put(prefix + "norm1.bias", norm1.gb);
      grads.put(prefix + "self_attn.in_proj_weight", attn.gWin);
      grads.put(prefix + "self_attn.in_proj_bias", attn.gBin);
      grads.put(prefix + "self_attn.out_proj.weight", attn.gWo);
      grads.put(prefix + "self_attn.out_proj.bias", attn.gBo);
      grads.put(prefix + "norm2.weight", norm2.gw);
      grads.put(prefix + "norm2.bias", norm2.gb);
      grads.put(prefix + "linear1.weight", gw1);
      grads.put(prefix + "linear1.bias", gb1);
      grads.put(prefix + "linear2.weight", gw2);
      grads.put(prefix + "linear2.bias", gb2);
    }
  }

  /**
   * LayerNorm over rows of D: {@code y = xhat w + b}, {@code xhat = (x - mean) rstd}; backward
   * {@code gx = rstd (gy w - mean(gy w) - xhat mean(gy w xhat))}, {@code gw = sum gy xhat},
   * {@code gb = sum gy}.
   */
  private static final class Ln {
    private final double[] w;
    private final double[] b;
    final double[] gw = new double[D];
    final double[] gb = new double[D];
    private double[] xhat;
    private double[] rstd;
    private int rows;

    Ln(double[] w, double[] b) {
      this.w = w;
      this.b = b;
    }

    double[] forward(double[] x, int rows) {
      this.rows = rows;
      xhat = new double[rows * D];
      rstd = new double[rows];
      double[] y = new double[rows * D];
      for (int r = 0; r < rows; r++) {
        double mean = 0;
        for (int j = 0; j < D; j++) {
          mean += x[r * D + j];
        }
        mean /= D;
        double var = 0;
        for (int j = 0; j < D; j++) {
          var += (x[r * D + j] - mean) * (x[r * D + j] - mean);
        }
        rstd[r] = 1 / Math.sqrt(var / D + EPS);
        for (int j = 0; j < D; j++) {
          xhat[r * D + j] = (x[r * D + j] - mean) * rstd[r];
          y[r * D + j] = xhat[r * D + j] * w[j] + b[j];
        }
      }
      return y;
    }

    double[] backward(double[] gy) {
      double[] gx = new double[rows * D];
      for (int r = 0; r < rows; r++) {
        double sh = 0;
        double shx = 0;
        for (int j = 0; j < D; j++) {
          double g = gy[r * D + j];
          double hj = g * w[j];
          sh += hj;
          shx += hj * xhat[r * D + j];
          gw[j] += g * xhat[r * D + j];
          gb[j] += g;
        }
        for (int j = 0; j < D; j++) {
          gx[r * D + j] = rstd[r] * (gy[r * D + j] * w[j] - sh / D - xhat[r * D + j] * shx / D);
        }
      }
      return gx;
    }
  }

  /** {@code y = x W^T + b} for x [rows, in], W [out, in]. */
  static double[] linear(double[] x, int rows, int in, double[] w, double[] b, int out) {
    double[] y = new double[rows * out];
    for (int r = 0; r < rows; r++) {
      for (int o = 0; o < out; o++) {
        double s = b[o];
        for (int i = 0; i < in; i++) {
          s += x[r * in + i] * w[o * in + i];
        }
        y[r * out + o] = s;
      }
    }
    return y;
  }

  /** The input gradient of {@link #linear}; adds {@code gy^T x} to gw and the column sums of gy to gb. */
  static double[] linearBackward(double[] gy, double[] x, int rows, int in, double[] w, int out, double[] gw,
      double[] gb) {
    double[] gx = new double[rows * in];
    for (int r = 0; r < rows; r++) {
      for (int o = 0; o < out; o++) {
        double g = gy[r * out + o];
        gb[o] += g;
        for (int i = 0; i < in; i++) {
          gw[o * in + i] += g * x[r * in + i];
          gx[r * in + i] += g * w[o * in + i];
        }
      }
    }
    return gx;
  }

  private static double[] add(double[] a, double[] b) {
    double[] y = new double[a.length];
    for (int i = 0; i < y.length; i++) {
      y[i] = a[i] + b[i];
    }
    return y;
  }

  /** {@code x Phi(x)}, {@code Phi(x) = (1 + erf(x / sqrt 2)) / 2}. */
  static double gelu(double x) {
    return x * 0.5 * (1 + erf(x / Math.sqrt(2)));
  }

  /** {@code Phi(x) + x phi(x)}, phi the standard normal density. */
  static double geluDerivative(double x) {
    return 0.5 * (1 + erf(x / Math.sqrt(2))) + x * Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
  }

  /**
   * The error function to about 1e-15: its Maclaurin series {@code 2/sqrt(pi) sum (-1)^k
   * z^(2k+1) / (k! (2k+1))} for |z| <= 2.5, else {@code 1 - erfc(z)} with Laplace's continued
   * fraction {@code erfc(z) = exp(-z^2)/sqrt(pi) / (z + (1/2)/(z + 1/(z + (3/2)/(z + ...))))}.
   */
  static double erf(double z) {
    double a = Math.abs(z);
    double r;
    if (a <= 2.5) {
      double term = a;
      double sum = a;
      for (int k = 1; k < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); k++) {
        term *= -a * a / k;
        sum += term / (2 * k + 1);
      }
      r = 2 / Math.sqrt(Math.PI) * sum;
    } else {
      double f = a;
      for (int k = 80; k >= 1; k--) {
        f = a + (k / 2.0) / f;
      }
      r = 1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
    }
    return z < 0 ? -r : r;
  }
}

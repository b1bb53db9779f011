package org.autoprop.kernel;

/**
 * Activation kernels: forward and backward of the pointwise nonlinearities and softmax.
 *
 * <p>Pointwise kernels take an array, the offset of its first element and a count {@code n}; the
 * forward writes {@code y}, the backward writes the input gradient {@code gx} from the upstream
 * gradient {@code g} and whichever of the saved input {@code x} and output {@code y} is cheaper.
 * Output ranges may alias an input range only when the offsets are equal. Kernels assume valid
 * arguments (callers check shapes and parameters once per call) and never allocate. ReLU itself
 * lives in {@link ElementwiseKernels#relu}.
 */
public interface ActivationKernels {
  /** SELU's scale, as PyTorch: 1.0507009873554804934193349852946. */
  float SELU_SCALE = 1.0507009873554804934193349852946f;

  /** SELU's alpha, as PyTorch: 1.6732632423543772848170429916717. */
  float SELU_ALPHA = 1.6732632423543772848170429916717f;

  /**
   * erf(x) in float: Eigen's rational approximation {@code x P(x^2) / Q(x^2)} on x clamped to
   * [-4, 4] (where float erf is +-1), absolute error below 3e-7 (about 5 float ulps near 1). The Vector API has no ERF, so
   * both kernel twins use this formula.
   */
  static float erf(float x) {
    float c = Math.max(-4f, Math.min(4f, x));
    float x2 = c * c;
    float p = Math.fma(x2, -2.72614225801306e-10f, 2.77068142495902e-08f);
    p = Math.fma(x2, p, -2.10102402082508e-06f);
    p = Math.fma(x2, p, -5.69250639462346e-05f);
    p = Math.fma(x2, p, -7.34990630326855e-04f);
    p = Math.fma(x2, p, -2.95459980854025e-03f);
    p = Math.fma(x2, p, -1.60960333262415e-02f);
    float q = Math.fma(x2, -1.45660718464996e-05f, -2.13374055278905e-04f);
    q = Math.fma(x2, q, -1.68282697438203e-03f);
    q = Math.fma(x2, q, -7.37332916720468e-03f);
    q = Math.fma(x2, q, -1.42647390514189e-02f);
    return c * p / q;
  }

  /** y := erf(x) (see {@link #erf(float)}) */
  void erf(float[] x, int xOff, float[] y, int yOff, int n);

  /** y := min(max(x, 0), 6) */
  void relu6(float[] x, int xOff, float[] y, int yOff, int n);

  /** gx := 0 &lt; x &lt; 6 ? g : 0 */
  void relu6Backward(float[] x, int xOff, float[] g, int gOff, float[] gx, int gxOff, int n);

  /** y := x &gt; 0 ? x : slope * x */
  void leakyRelu(float slope, float[] x, int xOff, float[] y, int yOff, int n);

  /** gx := x &gt; 0 ? g : slope * g */
  void leakyReluBackward(float slope, float[] x, int xOff, float[] g, int gOff, float[] gx, int gxOff, int n);

  /** y := x &gt; 0 ? x : alpha * expm1(x) */
  void elu(float alpha, float[] x, int xOff, float[] y, int yOff, int n);

  /** gx := x &gt; 0 ? g : g * (y + alpha), from the input x and the output y */
  void eluBackward(float alpha, float[] x, int xOff, float[] y, int yOff, float[] g, int gOff,
      float[] gx, int gxOff, int n);

  /** y := SELU_SCALE * (x &gt; 0 ? x : SELU_ALPHA * expm1(x)) */
  void selu(float[] x, int xOff, float[] y, int yOff, int n);

  /** gx := x &gt; 0 ? SELU_SCALE * g : g * (y + SELU_SCALE * SELU_ALPHA) */
  void seluBackward(float[] x, int xOff, float[] y, int yOff, float[] g, int gOff, float[] gx, int gxOff, int n);

  /** y := x * Phi(x) = 0.5 * x * (1 + erf(x / sqrt 2)) */
  void gelu(float[] x, int xOff, float[] y, int yOff, int n);

  /** gx := g * (Phi(x) + x * phi(x)), phi the standard normal density */
  void geluBackward(float[] x, int xOff, float[] g, int gOff, float[] gx, int gxOff, int n);

  /** y := 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 x^3))) */
  void geluTanh(float[] x, int xOff, float[] y, int yOff, int n);

  /** gx := g * d/dx of {@link #geluTanh} */
  void geluTanhBackward(float[] x, int xOff, float[] g, int gOff, float[] gx, int gxOff, int n);

  /** y := 1 / (1 + exp(-x)) */
  void sigmoid(float[] x, int xOff, float[] y, int yOff, int n);

  /** gx := g * y * (1 - y), from the output y */
  void sigmoidBackward(float[] y, int yOff, float[] g, int gOff, float[] gx, int gxOff, int n);

  /** y := tanh(x) */
  void tanh(float[] x, int xOff, float[] y, int yOff, int n);

  /** gx := g * (1 - y^2), from the output y */
  void tanhBackward(float[] y, int yOff, float[] g, int gOff, float[] gx, int gxOff, int n);

  /**
   * y := beta * x &gt; threshold ? x : log1p(exp(beta * x)) / beta (PyTorch's rule), evaluated as
   * (max(bx, 0) + log1p(exp(-|bx|))) / beta so that no threshold overflows
   */
  void softplus(float beta, float threshold, float[] x, int xOff, float[] y, int yOff, int n);

  /** gx := beta * x &gt; threshold ? g : g * sigmoid(beta * x) */
  void softplusBackward(float beta, float threshold, float[] x, int xOff, float[] g, int gOff,
      float[] gx, int gxOff, int n);

  /** y := x * sigmoid(beta * x) (SiLU for beta = 1) */
  void swish(float beta, float[] x, int xOff, float[] y, int yOff, int n);

  /** gx := g * (s + beta * x * s * (1 - s)), s = sigmoid(beta * x) */
  void swishBackward(float beta, float[] x, int xOff, float[] g, int gOff, float[] gx, int gxOff, int n);

  /** y := x * min(max(x + 3, 0), 6) / 6 */
  void hardSwish(float[] x, int xOff, float[] y, int yOff, int n);

  /** gx := x &lt; -3 ? 0 : x &lt;= 3 ? g * (x / 3 + 0.5) : g (PyTorch's rule at the kinks) */
  void hardSwishBackward(float[] x, int xOff, float[] g, int gOff, float[] gx, int gxOff, int n);

  /**
   * Softmax along the middle axis of a contiguous {@code [outer, len, inner]} block:
   * y := exp(x - max) / sum(exp(x - max)). {@code inner == 1} (softmax over the last axis) is the
   * fast path.
   */
  void softmax(float[] x, int xOff, float[] y, int yOff, int outer, int len, int inner);

  /** gx := y * (g - sum(g * y)), sums along the middle axis of {@code [outer, len, inner]} */
  void softmaxBackward(float[] y, int yOff, float[] g, int gOff, float[] gx, int gxOff, int outer, int len, int inner);
}

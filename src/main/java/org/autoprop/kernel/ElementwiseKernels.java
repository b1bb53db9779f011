package org.autoprop.kernel;

/**
 * Elementwise and reduction kernels over flat {@code float[]} ranges.
 *
 * <p>Every method takes an array, the offset of its first element and a count {@code n}. Kernels
 * assume valid arguments (callers check shapes once per call) and never allocate. Output ranges
 * may alias an input range only when the offsets are equal.
 */
public interface ElementwiseKernels {
  /** out := a + b */
  void add(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n);

  /** out := a - b */
  void sub(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n);

  /** out := a * b */
  void mul(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n);

  /** out := max(a, b) */
  void max(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n);

  /** out := min(a, b) */
  void min(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n);

  /** y := alpha * x + y */
  void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n);

  /** out := alpha * x */
  void scale(float alpha, float[] x, int xOff, float[] out, int outOff, int n);

  /** out := alpha * x + beta (one FMA per element) */
  void affine(float alpha, float[] x, int xOff, float beta, float[] out, int outOff, int n);

  /** sum of x, accumulated in float lanes and returned as double */
  double sum(float[] x, int xOff, int n);

  /** sum of a * b */
  double dot(float[] a, int aOff, float[] b, int bOff, int n);

  /** out := max(x, 0) */
  void relu(float[] x, int xOff, float[] out, int outOff, int n);

  /** gradIn := y > 0 ? gradOut : 0, where y is the ReLU's output */
  void reluBackward(float[] y, int yOff, float[] gradOut, int gOff, float[] gradIn, int giOff, int n);
}

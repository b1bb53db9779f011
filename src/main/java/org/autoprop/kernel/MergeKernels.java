package org.autoprop.kernel;

/**
 * Merge kernels: the flat-array arithmetic of the graph's merge modes that the elementwise
 * kernels do not already provide: the tie handling of MAX and MIN, and one-pass forms of the
 * three-input merges (forward and backward) that read every operand once (other sums, products
 * and broadcast runs use {@link ElementwiseKernels}).
 *
 * <p>Every method works on {@code n} consecutive elements starting at the given offsets. Kernels
 * assume valid arguments (callers check shapes once per call) and never allocate. An output range
 * may alias an input range only when the offsets are equal.
 */
public interface MergeKernels {
  /** cnt := cnt + (x == y ? 1 : 0): counts, per element, the inputs equal to the extreme {@code y}. */
  void countTies(float[] x, int xOff, float[] y, int yOff, float[] cnt, int cOff, int n);

  /** out := x == y ? g / cnt : 0: the share of the upstream gradient of one (possibly tied) extreme input. */
  void tieGradient(float[] x, int xOff, float[] y, int yOff, float[] g, int gOff,
      float[] cnt, int cOff, float[] out, int oOff, int n);

  /** out := (a + b + c) * s: the sum (s = 1) or the mean (s = 1/3) of three inputs in one pass. */
  void sum3(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, float s, float[] out, int oOff, int n);

  /** out := a - b - c. */
  void sub3(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, float[] out, int oOff, int n);

  /** out := a * b * c. */
  void mul3(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, float[] out, int oOff, int n);

  /** out := max(max(a, b), c) ({@link Math#max} semantics). */
  void max3(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, float[] out, int oOff, int n);

  /** out := min(min(a, b), c) ({@link Math#min} semantics). */
  void min3(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, float[] out, int oOff, int n);

  /**
   * The gradients of {@code y = a * b * c} in one pass: {@code ga := g * b * c},
   * {@code gb := g * a * c}, {@code gc := g * a * b} (multiplied left to right).
   */
  void mul3Backward(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, float[] g, int gOff,
      float[] ga, int gaOff, float[] gb, int gbOff, float[] gc, int gcOff, int n);

  /**
   * The gradients of {@code y = max(max(a, b), c)} (when {@code max}) or of the min, in one pass
   * that recomputes the extreme: each input equal to it gets {@code g / ties}, the others 0.
   */
  void extreme3Backward(boolean max, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff,
      float[] g, int gOff, float[] ga, int gaOff, float[] gb, int gbOff, float[] gc, int gcOff, int n);
}

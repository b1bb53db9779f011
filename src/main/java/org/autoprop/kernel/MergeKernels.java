package org.autoprop.kernel;

/**
 * Merge kernels: the flat-array arithmetic of the graph's merge modes that the elementwise
 * kernels do not already provide: the tie handling of MAX and MIN (sums, products and
 * broadcast runs use {@link ElementwiseKernels}).
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
}

package org.autoprop.kernel;

/**
 * Normalisation kernels: per-channel statistics, apply and backward of batch normalisation.
 *
 * <p>Data is laid out {@code [batch, channels, spatial]} row-major from an offset (NCHW with
 * {@code spatial = H * W}, or [N, C] with {@code spatial = 1}). Every method works on the channel
 * range {@code [c0, c1)} so that callers can split channels over threads. Kernels assume valid
 * arguments (callers check shapes once per call) and never allocate.
 */
public interface NormKernels {
  /**
   * mean[c] := mean of x[., c, .]; var[c] := biased variance of x[., c, .], both in double
   * (two passes: the second sums d = x - mean and d*d and corrects for the float-rounded mean).
   */
  void moments(float[] x, int xOff, int batch, int channels, int spatial, int c0, int c1,
      double[] mean, double[] var);

  /** y[n, c, s] := x[n, c, s] * scale[c] + shift[c] (one FMA per element). */
  void scaleShift(float[] x, int xOff, int batch, int channels, int spatial, int c0, int c1,
      float[] scale, float[] shift, float[] y, int yOff);

  /**
   * One reduction pass: sumG[c] := sum of g[., c, .]; sumGX[c] := sum of g * (x - center[c]) over
   * the same elements (double results).
   */
  void gradSums(float[] g, int gOff, float[] x, int xOff, int batch, int channels, int spatial,
      int c0, int c1, float[] center, double[] sumG, double[] sumGX);

  /**
   * One map pass: gx := coefG[c] * g + coefX[c] * (x - center[c]) + shift[c].
   */
  void backwardMap(float[] g, int gOff, float[] x, int xOff, int batch, int channels, int spatial,
      int c0, int c1, float[] coefG, float[] coefX, float[] center, float[] shift, float[] gx, int gxOff);

  /**
   * Fused batch norm + ReLU apply: y[n, c, s] := max(x[n, c, s] * scale[c] + shift[c], 0), one FMA
   * and one max per element in the same pass.
   */
  void scaleShiftRelu(float[] x, int xOff, int batch, int channels, int spatial, int c0, int c1,
      float[] scale, float[] shift, float[] y, int yOff);

  /**
   * One reduction pass of the fused backward, with the ReLU mask recomputed from the input:
   * m := (fma(x, scale[c], shift[c]) &gt; 0), exactly the test {@link #scaleShiftRelu} applied, so the
   * fused output need not be read again. sumG[c] := sum of g * m over [., c, .];
   * sumGX[c] := sum of g * m * (x - center[c]) (double results).
   */
  void gradSumsRelu(float[] g, int gOff, float[] x, int xOff, int batch, int channels, int spatial, int c0, int c1,
      float[] scale, float[] shift, float[] center, double[] sumG, double[] sumGX);

  /**
   * One map pass of the fused backward, with the mask m as in {@link #gradSumsRelu}:
   * gx := coefG[c] * (m ? g : 0) + coefX[c] * (x - center[c]) + gShift[c].
   */
  void backwardMapRelu(float[] g, int gOff, float[] x, int xOff, int batch, int channels, int spatial, int c0, int c1,
      float[] scale, float[] shift, float[] coefG, float[] coefX, float[] center, float[] gShift, float[] gx, int gxOff);
}

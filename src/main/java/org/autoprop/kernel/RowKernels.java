package org.autoprop.kernel;

/**
 * Kernels along the last axis of contiguous rows: the transformer's normalisations (LayerNorm,
 * RMSNorm) and the attention softmax with scale, additive mask and causal mask.
 *
 * <p>Rows {@code [r0, r1)} of length {@code d} start at {@code off + r * d}; per-row statistics
 * ({@code mean}, {@code rstd}) are indexed by the row number {@code r}. Each kernel makes one sweep
 * over its rows: a row is read from memory once and its other reads (a LayerNorm reads its row three
 * times, for the mean, the variance and the output) hit the L1 cache. Sums run in an order fixed by
 * {@code d} alone. Kernels assume valid arguments (callers check shapes once per call) and never
 * allocate.
 */
public interface RowKernels {
  /**
   * LayerNorm forward, PyTorch's {@code nn.LayerNorm}: for every row, mean := sum(x) / d,
   * var := sum((x - mean)^2) / d (biased), rstd := 1 / sqrt(var + eps) and
   * y := (x - mean) * rstd * gamma + beta; {@code mean[r]} and {@code rstd[r]} are saved for the
   * backward.
   *
   * @param gamma the scale (length d), or null for none
   * @param beta the shift (length d), or null for none
   */
  void layerNorm(float[] x, int xOff, float[] y, int yOff, int r0, int r1, int d, float[] gamma, float[] beta,
      float eps, float[] mean, float[] rstd);

  /**
   * LayerNorm backward from the saved statistics: with xhat := (x - mean) * rstd and
   * h := g * gamma (g without gamma), gx := rstd * (h - sum(h) / d - xhat * sum(h * xhat) / d);
   * and, when the arrays are given, gGamma[j] += sum over the rows of g * xhat, gBeta[j] += sum
   * over the rows of g, added row by row in row order.
   *
   * @param gamma the forward's scale, or null for none
   * @param gGamma the scale's gradient accumulator (d floats from {@code gGammaOff}), or null
   * @param gBeta the shift's gradient accumulator (d floats from {@code gBetaOff}), or null
   */
  void layerNormBackward(float[] x, int xOff, float[] g, int gOff, float[] gx, int gxOff, int r0, int r1, int d,
      float[] gamma, float[] mean, float[] rstd, float[] gGamma, int gGammaOff, float[] gBeta, int gBetaOff);

  /**
   * RMSNorm forward (PyTorch 2.4's {@code nn.RMSNorm}): rstd := 1 / sqrt(sum(x^2) / d + eps),
   * y := x * rstd * gamma; {@code rstd[r]} is saved for the backward.
   *
   * @param gamma the scale (length d), or null for none
   */
  void rmsNorm(float[] x, int xOff, float[] y, int yOff, int r0, int r1, int d, float[] gamma, float eps,
      float[] rstd);

  /**
   * RMSNorm backward: with xhat := x * rstd and h := g * gamma, gx := rstd * (h - xhat * sum(h * xhat) / d);
   * gGamma[j] += sum over the rows of g * xhat, row by row in row order, when given.
   */
  void rmsNormBackward(float[] x, int xOff, float[] g, int gOff, float[] gx, int gxOff, int r0, int r1, int d,
      float[] gamma, float[] rstd, float[] gGamma, int gGammaOff);

  /**
   * Softmax over each of {@code rows} rows of length {@code len}, of the logits
   * z := x * scale + mask, where the causal flag drops the positions {@code j > firstRow + i} of row
   * i (i counted from 0 in this call, so a caller that splits a [T_q, T_k] block passes the query
   * index of its first row): y := exp(z - max) / sum(exp(z - max)) over the positions kept, 0 at the
   * positions dropped. A row whose every kept logit is {@code -inf} (masked out entirely) gets
   * y := 0, not NaN: nothing to attend to contributes nothing.
   *
   * @param mask the additive mask, or null for none; row i reads {@code mask[maskOff + i * maskLd + j]},
   *     so {@code maskLd == 0} adds the same row to every row (a key-padding row) and
   *     {@code maskLd == len} a matrix
   * @param causal whether the positions after the row's own are dropped
   * @param firstRow the query index of the first row, for {@code causal}
   */
  void softmax(float[] x, int xOff, float[] y, int yOff, int rows, int len, float scale, float[] mask, int maskOff,
      int maskLd, boolean causal, int firstRow);

  /**
   * The gradient of {@link #softmax} with respect to x: gx := scale * y * (g - sum(g * y)), from the
   * output y (which is 0 at dropped positions and in fully masked rows, so their gradient is 0); with
   * {@code causal} the dropped positions are written as 0 without being read.
   */
  void softmaxBackward(float[] y, int yOff, float[] g, int gOff, float[] gx, int gxOff, int rows, int len,
      float scale, boolean causal, int firstRow);
}

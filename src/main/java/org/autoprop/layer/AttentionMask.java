package org.autoprop.layer;

/**
 * A mask computed from the shapes, Luma's {@code mask_func}: for batch element {@code n}, the
 * additive mask of its {@code [tq, tk]} attention scores. Attention adds it to the scaled scores
 * before the softmax: {@code 0} keeps a pair, {@code -inf} removes it, any other value biases it.
 *
 * <p>It runs once per batch element in every forward, on the calling thread, into a buffer the
 * layer reuses (pre-filled with zeros): it must not allocate if the step is to stay
 * allocation-free. The built-in {@link #CAUSAL} removes the future ({@code j > i}); a lambda makes
 * any other rule, e.g. a sliding window:
 *
 * <pre>{@code
 * AttentionMask window = (n, tq, tk, out, off) -> {
 *   for (int i = 0; i < tq; i++)
 *     for (int j = 0; j < tk; j++)
 *       if (Math.abs(i - j) > 2) out[off + i * tk + j] = Float.NEGATIVE_INFINITY;
 * };
 * }</pre>
 */
@FunctionalInterface
public interface AttentionMask {
  /**
   * Adds batch element {@code n}'s mask into {@code out[off + i * tk + j]} for query {@code i} and
   * key {@code j} (the entries hold zeros, or what other masks put there: add, or set
   * {@code -inf}).
   *
   * @param n the batch element
   * @param tq the query length
   * @param tk the key length
   * @param out the mask buffer
   * @param off the offset of row 0 of this batch element's {@code [tq, tk]} block
   */
  void fill(int n, int tq, int tk, float[] out, int off);

  /** Causal: query {@code i} sees keys {@code j <= i} (PyTorch's {@code is_causal}, top-left aligned). */
  AttentionMask CAUSAL = (n, tq, tk, out, off) -> {
    for (int i = 0; i < tq; i++) {
      for (int j = i + 1; j < tk; j++) {
        out[off + i * tk + j] = Float.NEGATIVE_INFINITY;
      }
    }
  };
}

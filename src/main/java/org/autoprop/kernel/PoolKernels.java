package org.autoprop.kernel;

/**
 * Pooling kernels: max and average pooling forward and backward, global and adaptive average.
 *
 * <p>Data is a stack of planes (N * C of them) of {@code h x w} floats, row-major from an offset;
 * every method works on the plane range {@code [p0, p1)} so callers can split planes over threads.
 * Kernels assume valid arguments (callers check shapes once per call) and never allocate.
 */
public interface PoolKernels {
  /**
   * The geometry of a sliding-window pool: input {@code h x w}, kernel, stride, zero-based padding
   * and output {@code oh x ow}, where {@code oh = (h + 2 ph - kh) / sh + 1} (and likewise for w), or
   * one more in PyTorch's ceil mode: windows are clipped to the input, so a last window may hang past
   * the padded input (it then covers fewer taps; max pooling ignores them, average pooling still
   * divides by {@code kh * kw} and its caller rescales).
   */
  record Window(int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int oh, int ow) {
    /** Elements per input plane. */
    public int inPlane() {
      return h * w;
    }

    /** Elements per output plane. */
    public int outPlane() {
      return oh * ow;
    }
  }

  /**
   * y := the maximum of each window (padding counts as -inf); argmax := the index within its input
   * plane of the first maximum in window order (row by row), as PyTorch.
   */
  void maxForward(float[] x, int xOff, int p0, int p1, Window win, float[] y, int yOff, int[] argmax, int aOff);

  /** gx := 0 on the planes, then gx[argmax] += gy for every output element. */
  void maxBackward(float[] gy, int gyOff, int[] argmax, int aOff, int p0, int p1, Window win, float[] gx, int gxOff);

  /** y := the sum of each window divided by kh * kw (padding counts as zeros: count_include_pad). */
  void avgForward(float[] x, int xOff, int p0, int p1, Window win, float[] y, int yOff);

  /** gx := the sum over the windows covering each input element of gy / (kh * kw). */
  void avgBackward(float[] gy, int gyOff, int p0, int p1, Window win, float[] gx, int gxOff);

  /**
   * y[p, i, j] := mean of x[p] over rows [floor(i h / oh), ceil((i + 1) h / oh)) and the likewise
   * defined columns (PyTorch's adaptive average pooling; oh = ow = 1 is global average pooling).
   */
  void adaptiveAvgForward(float[] x, int xOff, int p0, int p1, int h, int w, int oh, int ow, float[] y, int yOff);

  /** gx := the sum over the adaptive windows covering each input element of gy / window size. */
  void adaptiveAvgBackward(float[] gy, int gyOff, int p0, int p1, int h, int w, int oh, int ow, float[] gx, int gxOff);

  /** The first input row (or column) of adaptive window {@code i} of {@code out} over {@code in}. */
  static int adaptiveStart(int i, int in, int out) {
    return (int) ((long) i * in / out);
  }

  /** One past the last input row (or column) of adaptive window {@code i}: ceil((i + 1) in / out). */
  static int adaptiveEnd(int i, int in, int out) {
    return (int) (((long) (i + 1) * in + out - 1) / out);
  }
}

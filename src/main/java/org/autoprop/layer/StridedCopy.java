package org.autoprop.layer;

import java.util.Arrays;

/**
 * A plan that copies the elements of a strided selection of a contiguous source, visited in
 * row-major order of the selection, to or from a contiguous destination: the data movement of
 * {@link Transpose} (a permutation of the axes) and {@link Slice} (a start, a count and a step per
 * axis). Built once per input shape; {@link #gather} and {@link #scatter} allocate nothing.
 *
 * <p>The selection is described by {@code counts[i]} elements along its axis {@code i}, each
 * {@code strides[i]} source elements apart, from the source offset {@code base}. Trailing axes
 * whose elements follow each other in the source (stride 1, and each outer stride the inner axis'
 * extent times its stride, or an extent of 1) are merged into one run, copied with {@link System#arraycopy}.
 */
final class StridedCopy {
  private final int base;
  private final int[] counts;
  private final int[] strides;
  /** Contiguous source elements per run (1 when the innermost axis is strided). */
  private final int run;
  /** The odometer over the axes outside the run. */
  private final int[] index;
  private final int size;

  /**
   * @param base the source offset of the first selected element (relative to the source tensor)
   * @param counts the extent of each axis of the selection, outermost first
   * @param strides the source distance between neighbours along each axis
   */
  StridedCopy(int base, int[] counts, int[] strides) {
    int n = counts.length;
    int size = 1;
    for (int c : counts) {
      size *= c;
    }
    // Merge trailing axes into a run while they are contiguous in the source.
    int run = 1;
    int axes = n;
    while (axes > 0 && (strides[axes - 1] == run || counts[axes - 1] == 1)) {
      run *= counts[axes - 1];
      axes--;
    }
    this.base = base;
    this.counts = Arrays.copyOf(counts, axes);
    this.strides = Arrays.copyOf(strides, axes);
    this.run = run;
    this.index = new int[axes];
    this.size = size;
  }

  /** The number of elements selected. */
  int size() {
    return size;
  }

  /** Copies the selection of {@code src} (from {@code srcOff}) into {@code dst} (from {@code dstOff}), in order. */
  void gather(float[] src, int srcOff, float[] dst, int dstOff) {
    copy(src, srcOff, dst, dstOff, true);
  }

  /**
   * Writes {@code src} (contiguous, from {@code srcOff}) into the selection of {@code dst} (from
   * {@code dstOff}): the inverse of {@link #gather}. Elements of {@code dst} outside the selection
   * are left as they are.
   */
  void scatter(float[] src, int srcOff, float[] dst, int dstOff) {
    copy(dst, dstOff, src, srcOff, false);
  }

  /** Between the strided tensor {@code s} and the contiguous {@code c}; gathers into c when {@code intoC}. */
  private void copy(float[] s, int sOff, float[] c, int cOff, boolean intoC) {
    if (size == 0) {
      return;
    }
    int axes = counts.length;
    Arrays.fill(index, 0);
    int p = sOff + base;
    int q = cOff;
    int inner = axes - 1;
    while (true) {
      if (inner < 0) {
        copyRun(s, p, c, q, intoC);
        return;
      }
      // The innermost strided axis, run by run.
      int stride = strides[inner];
      int count = counts[inner];
      if (run == 1) {
        if (intoC) {
          for (int i = 0, at = p; i < count; i++, at += stride) {
            c[q + i] = s[at];
          }
        } else {
          for (int i = 0, at = p; i < count; i++, at += stride) {
            s[at] = c[q + i];
          }
        }
      } else {
        for (int i = 0, at = p; i < count; i++, at += stride) {
          copyRun(s, at, c, q + i * run, intoC);
        }
      }
      q += count * run;
      // Advance the odometer over the axes outside the innermost one.
      int a = inner - 1;
      while (a >= 0) {
        p += strides[a];
        if (++index[a] < counts[a]) {
          break;
        }
        p -= counts[a] * strides[a];
        index[a] = 0;
        a--;
      }
      if (a < 0) {
        return;
      }
    }
  }

  private void copyRun(float[] s, int p, float[] c, int q, boolean intoC) {
    if (intoC) {
      System.arraycopy(s, p, c, q, run);
    } else {
      System.arraycopy(c, q, s, p, run);
    }
  }
}

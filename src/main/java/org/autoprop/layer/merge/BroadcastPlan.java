package org.autoprop.layer.merge;

import java.util.Arrays;
import org.autoprop.kernel.ElementwiseKernels;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * How one input of an elementwise merge maps onto the output under broadcasting, and the two
 * copies that follow from it: {@link #expand} (input to output shape, before the forward) and
 * {@link #reduce} (output-shaped gradient summed back to the input's shape).
 *
 * <p>Axes of extent 1 in the output are dropped, neighbouring axes that are all broadcast (or all
 * not) are fused, the last fused group is the inner run (contiguous in both, or one input value
 * repeated), the others are walked with an odometer. Built once per shape change; its odometer is
 * scratch, so a plan serves one merge on one thread.
 */
final class BroadcastPlan {
  private final int[] sizes;
  private final int[] strides;
  private final int[] index;
  private final int outer;
  private final int run;
  private final boolean runBroadcast;

  /** The plan of an input of shape {@code in} broadcast to {@code out}. */
  BroadcastPlan(Shape in, Shape out) {
    int r = out.rank();
    int[] gs = new int[r + 1];
    boolean[] gb = new boolean[r + 1];
    int groups = 0;
    for (int a = 0; a < r; a++) {
      int o = out.dim(a);
      int ia = a - (r - in.rank());
      int i = ia < 0 ? 1 : in.dim(ia);
      if (o == 1) {
        continue;
      }
      boolean b = i == 1;
      if (groups > 0 && gb[groups - 1] == b) {
        gs[groups - 1] *= o;
      } else {
        gs[groups] = o;
        gb[groups] = b;
        groups++;
      }
    }
    if (groups == 0) {
      gs[0] = 1;
      groups = 1;
    }
    int[] st = new int[groups];
    int stride = 1;
    for (int g = groups - 1; g >= 0; g--) {
      if (!gb[g]) {
        st[g] = stride;
        stride *= gs[g];
      }
    }
    run = gs[groups - 1];
    runBroadcast = gb[groups - 1];
    sizes = Arrays.copyOf(gs, groups - 1);
    strides = Arrays.copyOf(st, groups - 1);
    index = new int[groups - 1];
    int o = 1;
    for (int s : sizes) {
      o *= s;
    }
    outer = out.size() == 0 ? 0 : o;
  }

  /** dst (output shape) := src (contiguous) broadcast to the output shape. */
  void expand(Tensor src, Tensor dst) {
    float[] s = src.data();
    float[] d = dst.data();
    int base = src.offset();
    Arrays.fill(index, 0);
    int inOff = 0;
    for (int q = 0, o = 0; q < outer; q++, o += run) {
      if (runBroadcast) {
        Arrays.fill(d, o, o + run, s[base + inOff]);
      } else {
        System.arraycopy(s, base + inOff, d, o, run);
      }
      inOff = advance(inOff);
    }
  }

  /** dst (input shape) := t (output shape, contiguous) summed over the broadcast axes. */
  void reduce(ElementwiseKernels ew, Tensor t, Tensor dst) {
    float[] s = t.data();
    int base = t.offset();
    float[] d = dst.data();
    dst.fill(0f);
    Arrays.fill(index, 0);
    int inOff = 0;
    for (int q = 0, o = base; q < outer; q++, o += run) {
      if (runBroadcast) {
        d[inOff] += (float) ew.sum(s, o, run);
      } else {
        ew.add(d, inOff, s, o, d, inOff, run);
      }
      inOff = advance(inOff);
    }
  }

  /** Steps the odometer to the next run; returns the input offset of that run. */
  private int advance(int inOff) {
    for (int g = index.length - 1; g >= 0; g--) {
      inOff += strides[g];
      if (++index[g] < sizes[g]) {
        return inOff;
      }
      inOff -= strides[g] * sizes[g];
      index[g] = 0;
    }
    return inOff;
  }
}

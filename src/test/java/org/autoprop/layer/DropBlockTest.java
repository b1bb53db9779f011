package org.autoprop.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.testing.Conformance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** DropBlock1D/2D/3D (mask structure, rate, gradient, evaluation) and Buffer. */
class DropBlockTest {
  static DropBlockCore dropBlock(int rank, double p, int block, long seed) {
    return switch (rank) {
      case 1 -> new DropBlock1D(p, block, seed);
      case 2 -> new DropBlock2D(p, block, seed);
      default -> new DropBlock3D(p, block, seed);
    };
  }

  /** Whether position {@code at} of a channel of extents {@code dims} is in the block of some centre. */
  static boolean covered(boolean[] centre, int[] dims, int[] at, int block) {
    int r = dims.length;
    int[] lo = new int[r];
    int[] c = new int[r];
    for (int a = 0; a < r; a++) {
      // A centre c covers [c + b/2 - b + 1, c + b/2]: at is covered by centres in [at - b/2, at - b/2 + b).
      lo[a] = at[a] - block / 2;
      c[a] = lo[a];
    }
    while (true) {
      boolean inside = true;
      int flat = 0;
      for (int a = 0; a < r; a++) {
        inside &= c[a] >= 0 && c[a] < dims[a];
        flat = flat * dims[a] + c[a];
      }
      if (inside && centre[flat]) {
        return true;
      }
      int a = r - 1;
      while (a >= 0 && ++c[a] > lo[a] + block - 1) {
        c[a] = lo[a];
        a--;
      }
      if (a < 0) {
        return false;
      }
    }
  }

  /**
   * The mask of a training pass is, per channel, the union of whole blocks: every dropped position
   * lies in a block whose every position is dropped (clipped to the input), and kept ones are
   * scaled by 1 / (1 - p).
   */
  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#seeds")
  void droppedPositionsAreWholeBlocks(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int rank = 1 + r.nextInt(3);
    int block = 1 + r.nextInt(4);
    double p = 0.1 + 0.5 * r.nextDouble();
    int[] dims = new int[rank + 2];
    dims[0] = 1 + r.nextInt(2);
    dims[1] = 1 + r.nextInt(3);
    for (int a = 0; a < rank; a++) {
      dims[2 + a] = 1 + r.nextInt(rank == 1 ? 20 : 7);
    }
    DropBlockCore layer = dropBlock(rank, p, block, seed);
    Tensor y = layer.forward(Tensor.full(Shape.of(dims), 1f), true);
    float keep = (float) (1 / (1 - p));
    int plane = y.size() / (dims[0] * dims[1]);
    int[] extents = java.util.Arrays.copyOfRange(dims, 2, dims.length);
    for (int ch = 0; ch < dims[0] * dims[1]; ch++) {
      boolean[] dropped = new boolean[plane];
      for (int i = 0; i < plane; i++) {
        float v = y.getFlat(ch * plane + i);
        assertTrue(v == 0f || v == keep, "0 or 1 / (1 - p): " + v);
        dropped[i] = v == 0f;
      }
      // A set is a union of clipped blocks iff it equals the union of the blocks it fully contains.
      boolean[] centres = new boolean[plane];
      int[] at = new int[rank];
      for (int i = 0; i < plane; i++) {
        unflatten(i, extents, at);
        centres[i] = allDropped(dropped, extents, at, block);
      }
      for (int i = 0; i < plane; i++) {
        unflatten(i, extents, at);
        assertEquals(dropped[i], covered(centres, extents, at, block), layer + " on " + Shape.of(dims)
            + ", channel " + ch + ", position " + i);
      }
    }
    // The gradient is the same mask.
    Tensor gy = Tensor.uniform(Shape.of(dims), -1, 1, seed);
    Tensor gx = layer.backward(gy);
    for (int i = 0; i < y.size(); i++) {
      assertEquals(gy.getFlat(i) * y.getFlat(i), gx.getFlat(i), 0f);
    }
  }

  static void unflatten(int i, int[] dims, int[] at) {
    for (int a = dims.length - 1; a >= 0; a--) {
      at[a] = i % dims[a];
      i /= dims[a];
    }
  }

  /** Whether the block centred at {@code c} (clipped) is all dropped. */
  static boolean allDropped(boolean[] dropped, int[] dims, int[] c, int block) {
    int r = dims.length;
    int[] q = new int[r];
    int[] lo = new int[r];
    for (int a = 0; a < r; a++) {
      lo[a] = c[a] + block / 2 - block + 1;
      q[a] = lo[a];
    }
    while (true) {
      boolean inside = true;
      int flat = 0;
      for (int a = 0; a < r; a++) {
        inside &= q[a] >= 0 && q[a] < dims[a];
        flat = flat * dims[a] + q[a];
      }
      if (inside && !dropped[flat]) {
        return false;
      }
      int a = r - 1;
      while (a >= 0 && ++q[a] >= lo[a] + block) {
        q[a] = lo[a];
        a--;
      }
      if (a < 0) {
        return true;
      }
    }
  }

  /**
   * The dropped fraction at the centre of a large input is {@code 1 - (1 - gamma)^(b^r)} (no block
   * of the cube around it has a centre), with gamma as documented.
   */
  @Test
  void dropRateFollowsGamma() {
    int[][] shapes = {{16, 8, 64}, {16, 4, 16, 16}, {8, 4, 8, 8, 8}};
    for (int rank = 1; rank <= 3; rank++) {
      Shape s = Shape.of(shapes[rank - 1]);
      DropBlockCore layer = dropBlock(rank, 0.2, 3, 7);
      int len = shapes[rank - 1][2];
      double gamma = 0.2 * Math.pow(len, rank) / (Math.pow(3, rank) * Math.pow(len - 2, rank));
      assertEquals(gamma, layer.gamma(s), 1e-12);
      double expected = 1 - Math.pow(1 - gamma, Math.pow(3, rank));
      int dropped = 0;
      int interior = 0;
      for (int trial = 0; trial < 4; trial++) {
        Tensor y = layer.forward(Tensor.full(s, 1f), true);
        int plane = y.size() / (s.dim(0) * s.dim(1));
        int[] at = new int[rank];
        int[] dims = java.util.Arrays.copyOfRange(shapes[rank - 1], 2, 2 + rank);
        for (int i = 0; i < y.size(); i++) {
          unflatten(i % plane, dims, at);
          boolean inner = true;
          for (int a = 0; a < rank; a++) {
            inner &= at[a] >= 1 && at[a] < dims[a] - 1;
          }
          if (inner) {
            interior++;
            dropped += y.getFlat(i) == 0f ? 1 : 0;
          }
        }
      }
      double rate = (double) dropped / interior;
      assertEquals(expected, rate, 0.03, layer + ": dropped fraction of " + interior);
    }
    assertEquals(0.9 * 9 / 25, new DropBlock2D(0.9, 5, 1).gamma(Shape.of(1, 1, 3, 3)), 1e-12, "block over the input");
  }

  @Test
  void evaluationAndPZeroAreTheIdentity() {
    Tensor x = Tensor.uniform(Shape.of(2, 3, 4, 5), -1, 1, 3);
    Conformance.assertClose("eval", x, new DropBlock2D(0.5, 3, 1).forward(x, false), 0);
    DropBlock2D none = new DropBlock2D(0, 3, 1);
    Conformance.assertClose("p = 0", x, none.forward(x, true), 0);
    Conformance.assertClose("p = 0 gradient", x, none.backward(x), 0);
  }

  @Test
  void errors() {
    assertEquals("DropBlock1D(p=0.1, block_size=7): input [2, 3] has rank 2 (expected: 3, [N, C, L])",
        rejects(() -> new DropBlock1D(0.1, 7, 1).forward(Tensor.zeros(2, 3), true)).getMessage());
    assertEquals("DropBlock3D(p=0.1, block_size=2): input [2, 3, 4, 5] has rank 4 (expected: 5, [N, C, D, H, W])",
        rejects(() -> new DropBlock3D(0.1, 2, 1).outputShape(Shape.of(2, 3, 4, 5))).getMessage());
    assertEquals("DropBlock2D: p 1.0 (expected: 0 <= p < 1)", rejects(() -> new DropBlock2D(1, 3, 1)).getMessage());
    assertEquals("DropBlock2D: block_size 0 (expected: >= 1)", rejects(() -> new DropBlock2D(0.1, 0, 1)).getMessage());
    assertEquals(0L, new DropBlock2D(0.1, 3, 1).flops(Shape.of(1, 2, 5, 5)));
  }

  @Test
  void bufferKeepsWhatPassedThrough() {
    Buffer buffer = new Buffer();
    assertEquals("Buffer: no forward yet (expected: last() after a forward)",
        assertThrows(IllegalStateException.class, buffer::last).getMessage());
    assertEquals("Buffer: no backward yet (expected: lastGradient() after a backward)",
        assertThrows(IllegalStateException.class, buffer::lastGradient).getMessage());
    Tensor x = Tensor.uniform(Shape.of(2, 5), -1, 1, 1);
    Tensor y = buffer.forward(x, true);
    Conformance.assertClose("y = x", x, y, 0);
    assertSame(y, buffer.last());
    x.fill(7f);
    assertEquals(Shape.of(2, 5), buffer.last().shape());
    assertTrue(buffer.last().getFlat(0) != 7f, "a copy, not the caller's tensor");
    Tensor gy = Tensor.uniform(Shape.of(2, 5), -1, 1, 2);
    Tensor gx = buffer.backward(gy);
    Conformance.assertClose("gx = gy", gy, gx, 0);
    assertSame(gx, buffer.lastGradient());
  }

  static IllegalArgumentException rejects(Runnable r) {
    return assertThrows(IllegalArgumentException.class, r::run);
  }
}

package org.autoprop.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The vector GEMMs against their scalar twins on odd shapes, in every transpose variant, with and
 * without accumulation, with tight and padded leading dimensions and offsets; and the
 * {@link Gemm} facade: its checks, and its multi-threaded product against a serial call.
 */
class GemmTest extends KernelTwinTest<GemmKernels> {
  GemmTest() {
    super(KernelProvider::gemm);
  }

  /**
   * m x n x k. Besides the classic odd ones, shapes just below, at and above the register tile
   * (6 x 32 at 512 bits, 6 x 16 at 256), the M block (96), the N block (2048) and the K block
   * (1024), so that every edge and every block boundary of the packed kernel is crossed.
   */
  static Stream<Arguments> shapes() {
    int[][] shapes = {
      {1, 1, 1}, {7, 11, 13}, {17, 19, 255}, {6, 32, 1}, {5, 31, 2}, {7, 33, 3}, {12, 64, 8},
      {13, 65, 9}, {4, 16, 3}, {1, 15, 4}, {2, 17, 5}, {33, 17, 31}, {64, 64, 64}, {5, 100, 7},
      {13, 1, 29}, {1, 33, 65}, {48, 47, 46}, {3, 1021, 2}, {95, 31, 17}, {96, 32, 16},
      {97, 33, 15}, {193, 47, 20}, {1, 2049, 3}, {2, 4097, 2}, {4, 40, 1023}, {5, 17, 1024},
      {6, 33, 1025}, {3, 35, 2049}, {100, 100, 100}, {101, 70, 1100}
    };
    // Every tail of the register tile's width (n) and of the packed depth (k).
    Stream<int[]> tails = Stream.concat(nonEmptyTailSizes().mapToObj(n -> new int[] {7, n, 13}),
        tailSizes().mapToObj(k -> new int[] {5, 33, k}));
    return Stream.concat(Stream.of(shapes), tails).map(s -> Arguments.of(s[0], s[1], s[2]));
  }

  /** The operands of one case, stored with the given padding of leading dimensions and offsets. */
  static final class Case {
    final boolean ta;
    final boolean tb;
    final int m;
    final int n;
    final int k;
    final int lda;
    final int ldb;
    final int ldc;
    final int aOff;
    final int bOff;
    final int cOff;
    final float[] a;
    final float[] b;
    final float[] c;

    Case(int m, int n, int k, boolean ta, boolean tb, boolean padded, long seed) {
      this.m = m;
      this.n = n;
      this.k = k;
      this.ta = ta;
      this.tb = tb;
      SplittableRandom r = new SplittableRandom(seed);
      lda = (ta ? m : k) + (padded ? 2 : 0);
      ldb = (tb ? k : n) + (padded ? 1 : 0);
      ldc = n + (padded ? 3 : 0);
      aOff = padded ? 1 : 0;
      bOff = padded ? 2 : 0;
      cOff = padded ? 3 : 0;
      a = random(r, aOff + (ta ? k : m) * lda + 1);
      b = random(r, bOff + (tb ? n : k) * ldb + 2);
      c = random(r, cOff + m * ldc + 1);
    }

    float[] run(GemmKernels kernels, boolean accumulate) {
      float[] out = c.clone();
      kernels.gemm(ta, tb, m, n, k, a, aOff, lda, b, bOff, ldb, out, cOff, ldc, accumulate);
      return out;
    }

    float[] runFacade(GemmKernels kernels, boolean accumulate) {
      float[] out = c.clone();
      Gemm.multiply(kernels, ta, tb, m, n, k, a, aOff, lda, b, bOff, ldb, out, cOff, ldc, accumulate);
      return out;
    }

    String describe(boolean accumulate, int at) {
      return "gemm " + m + "x" + n + "x" + k + " transA=" + ta + " transB=" + tb + " acc=" + accumulate
          + " lda=" + lda + " ldb=" + ldb + " ldc=" + ldc + " at " + at;
    }
  }

  @ParameterizedTest(name = "{0}x{1}x{2}")
  @MethodSource("shapes")
  void vectorMatchesScalarInEveryVariant(int m, int n, int k) {
    for (int variant = 0; variant < 16; variant++) {
      boolean ta = (variant & 1) != 0;
      boolean tb = (variant & 2) != 0;
      boolean acc = (variant & 4) != 0;
      boolean padded = (variant & 8) != 0;
      Case cs = new Case(m, n, k, ta, tb, padded, 31L * (m * 7919L + n * 104729L + k) + variant);
      float[] expected = cs.run(scalar, acc);
      float[] actual = cs.run(vector, acc);
      // Sums of k products of values in [-1, 1): rounding error grows with k.
      float tol = 1e-5f * k + 1e-6f;
      for (int i = 0; i < expected.length; i++) {
        // Includes the padding between rows and around C: it must be left untouched.
        assertEquals(expected[i], actual[i], tol, cs.describe(acc, i));
      }
    }
  }

  @Test
  void emptyInnerDimensionZeroesOrKeepsC() {
    for (GemmKernels kernels : new GemmKernels[] {scalar, vector}) {
      Case cs = new Case(5, 7, 0, false, false, true, 3);
      float[] kept = cs.run(kernels, true);
      assertArrayEquals(cs.c, kept, "k=0 with accumulate leaves C as it was");
      float[] zeroed = cs.run(kernels, false);
      for (int i = 0; i < zeroed.length; i++) {
        int rel = i - cs.cOff;
        boolean inside = rel >= 0 && rel / cs.ldc < cs.m && rel % cs.ldc < cs.n;
        assertEquals(inside ? 0f : cs.c[i], zeroed[i], "k=0 without accumulate, at " + i);
      }
    }
  }

  @Test
  void emptyOutputTouchesNothing() {
    for (GemmKernels kernels : new GemmKernels[] {scalar, vector}) {
      Case rowsEmpty = new Case(0, 9, 4, false, false, true, 5);
      assertArrayEquals(rowsEmpty.c, rowsEmpty.run(kernels, false));
      Case colsEmpty = new Case(9, 0, 4, true, true, true, 6);
      assertArrayEquals(colsEmpty.c, colsEmpty.run(kernels, false));
    }
  }

  /** Large enough to be split: by rows (m >= n) and by columns (n > m), ragged last tiles. */
  static Stream<Arguments> parallelShapes() {
    return Stream.of(
        Arguments.of(203, 150, 64), Arguments.of(64, 301, 50), Arguments.of(7, 1000, 100),
        Arguments.of(1000, 5, 100), Arguments.of(130, 130, 130));
  }

  @ParameterizedTest(name = "{0}x{1}x{2}")
  @MethodSource("parallelShapes")
  void parallelFacadeEqualsSerialKernelExactly(int m, int n, int k) {
    assumeTrue(Parallel.threads() > 1, "needs more than one engine thread (-Dautoprop.threads)");
    assertTrue((long) m * n * k >= ParallelPolicy.GEMM.minWork(), "shape is meant to be split");
    for (int variant = 0; variant < 16; variant++) {
      boolean ta = (variant & 1) != 0;
      boolean tb = (variant & 2) != 0;
      boolean acc = (variant & 4) != 0;
      boolean padded = (variant & 8) != 0;
      Case cs = new Case(m, n, k, ta, tb, padded, 17L * m + 13L * n + k + variant);
      for (GemmKernels kernels : new GemmKernels[] {scalar, vector}) {
        // Each tile does the same arithmetic as the serial call: bit-identical results.
        assertArrayEquals(cs.run(kernels, acc), cs.runFacade(kernels, acc), cs.describe(acc, -1));
      }
    }
  }

  @Test
  void facadeUsesTheSelectedKernels() {
    Case cs = new Case(70, 90, 110, true, false, true, 11);
    float[] viaFacade = cs.c.clone();
    Gemm.multiply(cs.ta, cs.tb, cs.m, cs.n, cs.k, cs.a, cs.aOff, cs.lda, cs.b, cs.bOff, cs.ldb,
        viaFacade, cs.cOff, cs.ldc, true);
    assertArrayEquals(cs.run(KernelProvider.get().gemm(), true), viaFacade);
  }

  @Test
  void facadeRejectsNegativeSizes() {
    float[] x = new float[16];
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Gemm.multiply(false, false, 2, -1, 2, x, 0, 2, x, 0, 2, x, 0, 2, false));
    assertEquals("GEMM sizes m=2, n=-1, k=2 (expected: all >= 0)", e.getMessage());
  }

  @Test
  void facadeRejectsShortLeadingDimension() {
    float[] x = new float[64];
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Gemm.multiply(true, false, 3, 4, 5, x, 0, 2, x, 0, 4, x, 0, 4, false));
    assertEquals("GEMM A (stored transposed): leading dimension 2 is smaller than its row length 3"
        + " (expected: ld >= 3)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> Gemm.multiply(false, false, 3, 4, 5, x, 0, 5, x, 0, 5, x, 0, 3, false));
    assertEquals("GEMM C: leading dimension 3 is smaller than its row length 4 (expected: ld >= 4)",
        e.getMessage());
  }

  @Test
  void facadeRejectsMatrixOutsideItsArray() {
    float[] a = new float[3 * 5];
    float[] b = new float[4 * 5 - 1];
    float[] c = new float[3 * 4];
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Gemm.multiply(false, true, 3, 4, 5, a, 0, 5, b, 0, 5, c, 0, 4, false));
    assertEquals("GEMM B (stored transposed): 4 x 5 with leading dimension 5 at offset 0 needs 20 floats,"
        + " the array has 19", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> Gemm.multiply(false, false, 3, 4, 5, a, 1, 5, new float[20], 0, 4, c, 0, 4, false));
    assertEquals("GEMM A: 3 x 5 with leading dimension 5 at offset 1 needs 16 floats, the array has 15",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> Gemm.multiply(false, false, 3, 4, 5, a, -1, 5, new float[20], 0, 4, c, 0, 4, false));
    assertEquals("GEMM A: offset -1 (expected: >= 0)", e.getMessage());
  }

  @Test
  void serialFacadeEqualsTheKernelAndChecksToo() {
    Case cs = new Case(70, 90, 110, false, true, true, 12);
    for (GemmKernels kernels : new GemmKernels[] {scalar, vector}) {
      float[] out = cs.c.clone();
      Gemm.multiplySerial(kernels, cs.ta, cs.tb, cs.m, cs.n, cs.k, cs.a, cs.aOff, cs.lda, cs.b, cs.bOff, cs.ldb,
          out, cs.cOff, cs.ldc, true);
      assertArrayEquals(cs.run(kernels, true), out);
    }
    float[] x = new float[64];
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Gemm.multiplySerial(scalar, false, false, 3, 4, 5, x, 0, 5, x, 0, 4, x, 0, 3, false));
    assertEquals("GEMM C: leading dimension 3 is smaller than its row length 4 (expected: ld >= 4)", e.getMessage());
  }

  /** C += A B^T, on sizes around the 4 x 4 dot-product tile and every vector tail of k. */
  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#seeds")
  void accumulateABtMatchesScalar(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int[] sizes = {1, 2, 3, 4, 5, 7, 8, 9, 13};
    int[] ks = tailSizes().toArray();
    int m = sizes[r.nextInt(sizes.length)];
    int n = sizes[r.nextInt(sizes.length)];
    int k = ks[r.nextInt(ks.length)];
    int lda = Math.max(k, 1) + r.nextInt(3);
    int ldb = Math.max(k, 1) + r.nextInt(3);
    int ldc = n + r.nextInt(3);
    int aOff = r.nextInt(4);
    int bOff = r.nextInt(4);
    int cOff = r.nextInt(4);
    float[] a = random(r, aOff + m * lda);
    float[] b = random(r, bOff + n * ldb);
    // C with its padding: everything outside the m x n block must stay as it was.
    float[] c0 = random(r, cOff + m * ldc);
    float[] cs = c0.clone();
    float[] cv = c0.clone();
    scalar.accumulateABt(m, n, k, a, aOff, lda, b, bOff, ldb, cs, cOff, ldc);
    Gemm.accumulateABt(vector, m, n, k, a, aOff, lda, b, bOff, ldb, cv, cOff, ldc);
    assertClose("C += A B^T, m=" + m + " n=" + n + " k=" + k, cs, cv, 1e-5 * Math.sqrt(k + 1));
    float[] ct = c0.clone();
    Gemm.multiplySerial(scalar, false, true, m, n, k, a, aOff, lda, b, bOff, ldb, ct, cOff, ldc, true);
    assertClose("C += A B^T as a GEMM, m=" + m + " n=" + n + " k=" + k, ct, cs, 1e-5 * Math.sqrt(k + 1));
  }
}

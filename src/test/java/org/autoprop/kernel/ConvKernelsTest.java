package org.autoprop.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.autoprop.kernel.ConvKernels.Geometry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The vector conv kernels against their scalar twins on awkward geometries, and col2im as im2col's adjoint. */
class ConvKernelsTest {
  static final ConvKernels SCALAR = KernelProvider.scalar().conv();
  static final ConvKernels VECTOR = KernelProvider.vector().conv();

  /** Widths around every lane count, so the stride-1 vector loops hit their tails. */
  static final int[] WIDTHS = {1, 2, 3, 7, 8, 15, 16, 17, 31, 32, 33, 100};

  static float[] random(SplittableRandom r, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) (r.nextDouble() * 2 - 1);
    }
    return a;
  }

  /** A random valid geometry: stride 1 half the time, padding up to 4, dilation up to 3. */
  static Geometry geometry(SplittableRandom r) {
    while (true) {
      int c = 1 + r.nextInt(3);
      int h = 1 + r.nextInt(9);
      int w = WIDTHS[r.nextInt(WIDTHS.length)];
      int kh = 1 + r.nextInt(5);
      int kw = 1 + r.nextInt(5);
      int sh = r.nextBoolean() ? 1 : 1 + r.nextInt(3);
      int sw = r.nextBoolean() ? 1 : 1 + r.nextInt(3);
      int ph = r.nextInt(5);
      int pw = r.nextInt(5);
      int dh = 1 + r.nextInt(3);
      int dw = 1 + r.nextInt(3);
      if (Geometry.outExtent(h, kh, sh, ph, dh) >= 1 && Geometry.outExtent(w, kw, sw, pw, dw) >= 1) {
        return new Geometry(c, h, w, kh, kw, sh, sw, ph, pw, dh, dw);
      }
    }
  }

  static void assertArraysClose(String what, float[] expected, float[] actual, double tol) {
    assertEquals(expected.length, actual.length, what + ": length");
    for (int i = 0; i < expected.length; i++) {
      double t = tol * (1 + Math.abs(expected[i]));
      assertEquals(expected[i], actual[i], t, what + " at " + i);
    }
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#seeds")
  void im2colAndCol2imMatchScalar(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    for (int rep = 0; rep < 5; rep++) {
      Geometry g = geometry(r);
      int xSize = g.channels() * g.inH() * g.inW();
      int colSize = g.colRows() * g.colCols();
      float[] x = random(r, xSize + 3);
      // Garbage in the outputs: im2col must overwrite every element, col2im must accumulate.
      float[] expected = random(r, colSize + 5);
      float[] actual = expected.clone();
      SCALAR.im2col(g, x, 3, expected, 2);
      try {
        VECTOR.im2col(g, x, 3, actual, 2);
      } catch (RuntimeException ex) {
        throw new AssertionError("im2col " + g, ex);
      }
      assertArraysClose("im2col " + g, expected, actual, 0);

      float[] cols = random(r, colSize + 1);
      float[] gxExpected = random(r, xSize + 4);
      float[] gxActual = gxExpected.clone();
      SCALAR.col2im(g, cols, 1, gxExpected, 4);
      VECTOR.col2im(g, cols, 1, gxActual, 4);
      assertArraysClose("col2im " + g, gxExpected, gxActual, 1e-6 * g.kernelH() * g.kernelW());
    }
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#seeds")
  void depthwiseMatchesScalar(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    for (int rep = 0; rep < 5; rep++) {
      Geometry g = geometry(r);
      int xSize = g.channels() * g.inH() * g.inW();
      int ySize = g.channels() * g.colCols();
      int wSize = g.channels() * g.kernelH() * g.kernelW();
      double tol = 1e-5 * g.kernelH() * g.kernelW();
      float[] x = random(r, xSize + 1);
      float[] w = random(r, wSize + 2);
      float[] bias = r.nextBoolean() ? random(r, g.channels() + 3) : null;
      float[] yExpected = random(r, ySize + 2);
      float[] yActual = yExpected.clone();
      SCALAR.depthwiseForward(g, x, 1, w, 2, bias, 3, yExpected, 2);
      VECTOR.depthwiseForward(g, x, 1, w, 2, bias, 3, yActual, 2);
      assertArraysClose("depthwiseForward " + g, yExpected, yActual, tol);

      float[] gy = random(r, ySize + 3);
      float[] gxExpected = random(r, xSize + 1);
      float[] gxActual = gxExpected.clone();
      SCALAR.depthwiseBackwardData(g, gy, 3, w, 2, gxExpected, 1);
      VECTOR.depthwiseBackwardData(g, gy, 3, w, 2, gxActual, 1);
      assertArraysClose("depthwiseBackwardData " + g, gxExpected, gxActual, tol);

      float[] gwExpected = random(r, wSize + 2);
      float[] gwActual = gwExpected.clone();
      SCALAR.depthwiseBackwardWeight(g, x, 1, gy, 3, gwExpected, 2);
      VECTOR.depthwiseBackwardWeight(g, x, 1, gy, 3, gwActual, 2);
      assertArraysClose("depthwiseBackwardWeight " + g, gwExpected, gwActual, 1e-5 * g.colCols());
    }
  }

  /** col2im is the adjoint of im2col: <im2col(x), c> = <x, col2im(c)>, for both implementations. */
  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#fewSeeds")
  void col2imIsTheAdjointOfIm2col(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    for (ConvKernels k : new ConvKernels[] {SCALAR, VECTOR}) {
      Geometry g = geometry(r);
      float[] x = random(r, g.channels() * g.inH() * g.inW());
      float[] c = random(r, g.colRows() * g.colCols());
      float[] cols = new float[c.length];
      k.im2col(g, x, 0, cols, 0);
      float[] back = new float[x.length];
      k.col2im(g, c, 0, back, 0);
      double lhs = 0;
      for (int i = 0; i < c.length; i++) {
        lhs += (double) cols[i] * c[i];
      }
      double rhs = 0;
      for (int i = 0; i < x.length; i++) {
        rhs += (double) x[i] * back[i];
      }
      assertEquals(lhs, rhs, 1e-4 * (1 + Math.abs(lhs)), "adjoint " + g);
    }
  }

  /** Depthwise forward equals a per-channel im2col followed by a dot product with the filter. */
  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#fewSeeds")
  void depthwiseForwardAgreesWithIm2col(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    Geometry g = geometry(r);
    int taps = g.kernelH() * g.kernelW();
    int p = g.colCols();
    float[] x = random(r, g.channels() * g.inH() * g.inW());
    float[] w = random(r, g.channels() * taps);
    float[] y = new float[g.channels() * p];
    SCALAR.depthwiseForward(g, x, 0, w, 0, null, 0, y, 0);
    float[] cols = new float[g.colRows() * p];
    SCALAR.im2col(g, x, 0, cols, 0);
    for (int c = 0; c < g.channels(); c++) {
      for (int q = 0; q < p; q++) {
        double s = 0;
        for (int t = 0; t < taps; t++) {
          s += (double) w[c * taps + t] * cols[(c * taps + t) * p + q];
        }
        assertEquals(s, y[c * p + q], 1e-5 * (1 + taps), "channel " + c + " pixel " + q + " " + g);
      }
    }
  }

  @Test
  void geometryRejectsEmptyOutputAndBadValues() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Geometry(1, 2, 2, 5, 5, 1, 1, 0, 0, 1, 1));
    assertTrue(e.getMessage().contains("empty output"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new Geometry(1, 4, 4, 3, 3, 0, 1, 0, 0, 1, 1));
    assertTrue(e.getMessage().contains("strideH=0"), e.getMessage());
  }

  /** C += A B^T on sizes around the 4 x 4 register tile and every vector tail of k. */
  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#seeds")
  void accumulateABtMatchesScalar(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int[] sizes = {1, 2, 3, 4, 5, 7, 8, 9, 13};
    int[] ks = {1, 7, 15, 16, 17, 31, 33, 100, 1021};
    int m = sizes[r.nextInt(sizes.length)];
    int n = sizes[r.nextInt(sizes.length)];
    int k = ks[r.nextInt(ks.length)];
    int lda = k + r.nextInt(3);
    int ldb = k + r.nextInt(3);
    int ldc = n + r.nextInt(3);
    int aOff = r.nextInt(4);
    int bOff = r.nextInt(4);
    int cOff = r.nextInt(4);
    float[] a = random(r, aOff + m * lda);
    float[] b = random(r, bOff + n * ldb);
    float[] c0 = random(r, cOff + m * ldc);
    float[] cs = c0.clone();
    float[] cv = c0.clone();
    SCALAR.accumulateABt(m, n, k, a, aOff, lda, b, bOff, ldb, cs, cOff, ldc);
    VECTOR.accumulateABt(m, n, k, a, aOff, lda, b, bOff, ldb, cv, cOff, ldc);
    assertArraysClose("C += A B^T, m=" + m + " n=" + n + " k=" + k, cs, cv, 1e-5 * Math.sqrt(k));
    for (int i = 0; i < m; i++) {
      for (int j = ldc > n ? n : ldc; j < ldc && i * ldc + j < cs.length - cOff; j++) {
        assertEquals(c0[cOff + i * ldc + j], cv[cOff + i * ldc + j], "padding of C at row " + i + " untouched");
      }
    }
  }
}

package org.autoprop.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.autoprop.kernel.ConvKernels.Geometry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The vector im2col, col2im and depthwise kernels against their scalar twins on awkward
 * geometries, and col2im as im2col's adjoint (the implicit GEMMs: {@link ConvGemmTest}).
 */
class ConvKernelsTest extends KernelTwinTest<ConvKernels> {
  /** Widths with every tail, so that the stride-1 vector loops hit their tails at every width. */
  static final int[] WIDTHS = nonEmptyTailSizes().filter(w -> w <= 129).toArray();

  ConvKernelsTest() {
    super(KernelProvider::conv);
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

  /** Geometries at every tail width: 3x3 kernels at stride 1 (1 to 3 rows) and 2, padded, and a dilated 2x3 one. */
  static Stream<Geometry> everyWidth() {
    return IntStream.of(WIDTHS).boxed().flatMap(w -> Stream.of(
        new Geometry(2, 3, w, 3, 3, 1, 1, 1, 1, 1, 1),
        new Geometry(2, 1, w, 3, 3, 1, 1, 1, 1, 1, 1),
        new Geometry(1, 2, w, 3, 3, 1, 1, 1, 1, 1, 1),
        new Geometry(2, 4, w, 3, 3, 2, 2, 1, 1, 1, 1),
        new Geometry(1, 5, w, 2, 3, 1, 1, 1, 2, 2, 2)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("everyWidth")
  void everyWidthMatchesScalar(Geometry g) {
    SplittableRandom r = new SplittableRandom(g.hashCode());
    im2colAndCol2imMatchScalar(g, r);
    depthwiseMatchesScalar(g, r);
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#seeds")
  void randomGeometriesMatchScalar(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    for (int rep = 0; rep < 5; rep++) {
      Geometry g = geometry(r);
      im2colAndCol2imMatchScalar(g, r);
      depthwiseMatchesScalar(g, r);
    }
  }

  void im2colAndCol2imMatchScalar(Geometry g, SplittableRandom r) {
    int xSize = g.channels() * g.inH() * g.inW();
    int colSize = g.colRows() * g.colCols();
    float[] x = random(r, xSize + 3);
    // Garbage in the outputs: im2col must overwrite every element, col2im must accumulate.
    float[] expected = random(r, colSize + 5);
    float[] actual = expected.clone();
    scalar.im2col(g, x, 3, expected, 2);
    try {
      vector.im2col(g, x, 3, actual, 2);
    } catch (RuntimeException ex) {
      throw new AssertionError("im2col " + g, ex);
    }
    assertClose("im2col " + g, expected, actual, 0);

    float[] cols = random(r, colSize + 1);
    float[] gxExpected = random(r, xSize + 4);
    float[] gxActual = gxExpected.clone();
    scalar.col2im(g, cols, 1, gxExpected, 4);
    vector.col2im(g, cols, 1, gxActual, 4);
    assertClose("col2im " + g, gxExpected, gxActual, 1e-6 * g.kernelH() * g.kernelW());
  }

  void depthwiseMatchesScalar(Geometry g, SplittableRandom r) {
    int xSize = g.channels() * g.inH() * g.inW();
    int ySize = g.channels() * g.colCols();
    int wSize = g.channels() * g.kernelH() * g.kernelW();
    double tol = 1e-5 * g.kernelH() * g.kernelW();
    float[] x = random(r, xSize + 1);
    float[] w = random(r, wSize + 2);
    float[] bias = r.nextBoolean() ? random(r, g.channels() + 3) : null;
    float[] yExpected = random(r, ySize + 2);
    float[] yActual = yExpected.clone();
    scalar.depthwiseForward(g, x, 1, w, 2, bias, 3, yExpected, 2);
    vector.depthwiseForward(g, x, 1, w, 2, bias, 3, yActual, 2);
    assertClose("depthwiseForward " + g, yExpected, yActual, tol);

    float[] gy = random(r, ySize + 3);
    float[] gxExpected = random(r, xSize + 1);
    float[] gxActual = gxExpected.clone();
    scalar.depthwiseBackwardData(g, gy, 3, w, 2, gxExpected, 1);
    vector.depthwiseBackwardData(g, gy, 3, w, 2, gxActual, 1);
    assertClose("depthwiseBackwardData " + g, gxExpected, gxActual, tol);

    float[] gwExpected = random(r, wSize + 2);
    float[] gwActual = gwExpected.clone();
    scalar.depthwiseBackwardWeight(g, x, 1, gy, 3, gwExpected, 2);
    vector.depthwiseBackwardWeight(g, x, 1, gy, 3, gwActual, 2);
    assertClose("depthwiseBackwardWeight " + g, gwExpected, gwActual, 1e-5 * g.colCols());
  }

  /** col2im is the adjoint of im2col: <im2col(x), c> = <x, col2im(c)>, for both implementations. */
  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#fewSeeds")
  void col2imIsTheAdjointOfIm2col(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    for (ConvKernels k : new ConvKernels[] {scalar, vector}) {
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
    scalar.depthwiseForward(g, x, 0, w, 0, null, 0, y, 0);
    float[] cols = new float[g.colRows() * p];
    scalar.im2col(g, x, 0, cols, 0);
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
}

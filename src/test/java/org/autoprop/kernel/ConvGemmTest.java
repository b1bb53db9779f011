package org.autoprop.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.autoprop.kernel.ConvKernels.Geometry;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The convolutions as implicit GEMMs ({@link ConvKernels#forward}, {@link ConvKernels#backwardData},
 * {@link ConvKernels#backwardWeightTransposed}): vector against scalar, and both against an
 * explicit im2col followed by a plain GEMM, on geometries that put output rows across panel
 * boundaries, pad, stride, dilate and cross the K and M blocks, and at every tail width.
 */
class ConvGemmTest extends KernelTwinTest<ConvKernels> {
  /** The plain GEMM of the references. */
  static final GemmKernels GEMM = KernelProvider.scalar().gemm();

  ConvGemmTest() {
    super(KernelProvider::conv);
  }

  /** m (rows of A / columns of B), channels, inH, inW, kh, kw, sh, sw, ph, pw, dh, dw. */
  static Stream<Arguments> geometries() {
    int[][] cases = {
      {1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1},
      {7, 3, 5, 7, 3, 3, 1, 1, 1, 1, 1, 1},
      {17, 2, 8, 32, 3, 3, 1, 1, 1, 1, 1, 1},
      {6, 4, 32, 32, 3, 3, 1, 1, 1, 1, 1, 1},
      {13, 5, 17, 33, 3, 2, 2, 2, 1, 0, 1, 1},
      {16, 3, 15, 16, 5, 5, 1, 1, 2, 2, 1, 1},
      {31, 2, 9, 31, 3, 3, 1, 3, 2, 1, 2, 2},
      {33, 1, 28, 28, 3, 3, 1, 1, 1, 1, 1, 1},
      {100, 7, 6, 100, 1, 3, 1, 1, 0, 1, 1, 1},
      {97, 120, 4, 5, 3, 3, 1, 1, 1, 1, 1, 1},
      {8, 3, 40, 45, 2, 2, 1, 1, 0, 0, 1, 1},
      {9, 2, 33, 34, 3, 3, 2, 2, 1, 1, 1, 1},
      // CONV-DOWN's shape with fewer channels; then phases that hold no image column or row.
      {12, 9, 32, 32, 3, 3, 2, 2, 1, 1, 1, 1},
      {5, 2, 3, 1, 1, 1, 3, 3, 0, 0, 1, 1},
      {7, 2, 2, 2, 3, 3, 3, 3, 2, 2, 1, 1},
      // Strides and dilations that differ between the axes.
      {10, 4, 11, 13, 3, 2, 2, 3, 2, 1, 2, 1},
    };
    // Every tail width at stride 1 and 2: output rows that end anywhere in a vector or a panel.
    Stream<int[]> widths = nonEmptyTailSizes().filter(w -> w <= 129).boxed().flatMap(w -> Stream.of(
        new int[] {9, 2, 3, w, 3, 3, 1, 1, 1, 1, 1, 1}, new int[] {13, 3, 4, w, 3, 3, 2, 2, 1, 1, 1, 1}));
    return Stream.concat(Stream.of(cases), widths).map(c -> Arguments.of((Object) c));
  }

  static Geometry geometry(int[] c) {
    return new Geometry(c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11]);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("geometries")
  void forwardMatchesIm2colThenGemm(int[] c) {
    Geometry g = geometry(c);
    int m = c[0];
    int k = g.colRows();
    int p = g.colCols();
    SplittableRandom r = new SplittableRandom(k * 31L + p);
    int lda = k + 3;
    int ldc = p + 2;
    float[] a = random(r, 2 + m * lda);
    float[] x = random(r, 5 + c[1] * c[2] * c[3]);
    float[] c0 = random(r, 1 + m * ldc + 4);
    float[] cols = new float[k * p];
    scalar.im2col(g, x, 5, cols, 0);
    for (boolean acc : new boolean[] {false, true}) {
      float[] expected = c0.clone();
      GEMM.gemm(false, false, m, p, k, a, 2, lda, cols, 0, p, expected, 1, ldc, acc);
      float[] fromScalar = c0.clone();
      scalar.forward(m, g, a, 2, lda, x, 5, fromScalar, 1, ldc, acc);
      float[] fromVector = c0.clone();
      vector.forward(m, g, a, 2, lda, x, 5, fromVector, 1, ldc, acc);
      float tol = 1e-5f * k + 1e-6f;
      for (int i = 0; i < expected.length; i++) {
        // Includes the padding around C, which must be left untouched.
        assertEquals(expected[i], fromScalar[i], tol, "scalar forward " + g + " acc=" + acc + " at " + i);
        assertEquals(expected[i], fromVector[i], tol, "vector forward " + g + " acc=" + acc + " at " + i);
      }
    }
  }

  /** Two images with their bias through forwardImages against forward image by image plus the bias. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("geometries")
  void forwardImagesMatchesForwardPlusBias(int[] c) {
    Geometry g = geometry(c);
    int m = c[0];
    int k = g.colRows();
    int p = g.colCols();
    int in = g.channels() * g.inH() * g.inW();
    SplittableRandom r = new SplittableRandom(k * 19L + p);
    int lda = k + 1;
    int ldc = p + 1;
    int xStride = in + 2;
    int cStride = m * ldc + 3;
    float[] a = random(r, 1 + m * lda);
    float[] bias = random(r, 2 + m);
    float[] x = random(r, 4 + 2 * xStride);
    float[] c0 = random(r, 3 + 2 * cStride);
    float[] expected = c0.clone();
    for (int img = 0; img < 2; img++) {
      int at = 3 + img * cStride;
      scalar.forward(m, g, a, 1, lda, x, 4 + img * xStride, expected, at, ldc, false);
      for (int row = 0; row < m; row++) {
        for (int j = 0; j < p; j++) {
          expected[at + row * ldc + j] += bias[2 + row];
        }
      }
    }
    float[] fromScalar = c0.clone();
    scalar.forwardImages(m, g, a, 1, lda, bias, 2, x, 4, xStride, fromScalar, 3, cStride, ldc, 2);
    float[] fromVector = c0.clone();
    vector.forwardImages(m, g, a, 1, lda, bias, 2, x, 4, xStride, fromVector, 3, cStride, ldc, 2);
    float tol = 1e-5f * k + 1e-6f;
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], fromScalar[i], 0f, "scalar forwardImages " + g + " at " + i);
      assertEquals(expected[i], fromVector[i], tol, "vector forwardImages " + g + " at " + i);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("geometries")
  void backwardWeightTransposedMatchesIm2colThenGemm(int[] c) {
    Geometry g = geometry(c);
    int n = c[0];
    int k = g.colRows();
    int p = g.colCols();
    SplittableRandom r = new SplittableRandom(k * 17L + p);
    int ldb = p + 1;
    int ldc = n + 2;
    float[] b = random(r, 3 + n * ldb);
    float[] x = random(r, 4 + c[1] * c[2] * c[3]);
    float[] c0 = random(r, 2 + k * ldc + 1);
    float[] cols = new float[k * p];
    scalar.im2col(g, x, 4, cols, 0);
    float[] expected = c0.clone();
    GEMM.gemm(false, true, k, n, p, cols, 0, p, b, 3, ldb, expected, 2, ldc, true);
    float[] fromScalar = c0.clone();
    scalar.backwardWeightTransposed(n, g, x, 4, b, 3, ldb, fromScalar, 2, ldc);
    float[] fromVector = c0.clone();
    vector.backwardWeightTransposed(n, g, x, 4, b, 3, ldb, fromVector, 2, ldc);
    float tol = 1e-5f * p + 1e-6f;
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], fromScalar[i], tol, "scalar backwardWeightTransposed " + g + " at " + i);
      assertEquals(expected[i], fromVector[i], tol, "vector backwardWeightTransposed " + g + " at " + i);
    }
  }

  /**
   * The data gradient of two images (each with its own gaps around it in both arrays) against
   * W^T x dY followed by col2im, image by image; everything outside the images' planes must be
   * left as it was.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("geometries")
  void backwardDataMatchesGemmThenCol2im(int[] c) {
    Geometry g = geometry(c);
    int n = c[0];
    int k = g.colRows();
    int p = g.colCols();
    int in = g.channels() * g.inH() * g.inW();
    SplittableRandom r = new SplittableRandom(k * 13L + p);
    int ldw = k + 2;
    int dyStride = n * p + 3;
    int dxStride = in + 5;
    float[] w = random(r, 1 + n * ldw);
    float[] dy = random(r, 2 + 2 * dyStride);
    float[] dx0 = random(r, 3 + 2 * dxStride);
    float[] expected = dx0.clone();
    float[] cols = new float[k * p];
    for (int img = 0; img < 2; img++) {
      GEMM.gemm(true, false, k, p, n, w, 1, ldw, dy, 2 + img * dyStride, p, cols, 0, p, false);
      int at = 3 + img * dxStride;
      java.util.Arrays.fill(expected, at, at + in, 0f);
      scalar.col2im(g, cols, 0, expected, at);
    }
    float[] fromScalar = dx0.clone();
    scalar.backwardData(n, g, w, 1, ldw, dy, 2, dyStride, fromScalar, 3, dxStride, 2);
    float[] fromVector = dx0.clone();
    vector.backwardData(n, g, w, 1, ldw, dy, 2, dyStride, fromVector, 3, dxStride, 2);
    float tol = 1e-5f * n * k + 1e-6f;
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], fromScalar[i], tol, "scalar backwardData " + g + " at " + i);
      assertEquals(expected[i], fromVector[i], tol, "vector backwardData " + g + " at " + i);
    }
  }
}

package org.autoprop.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.autoprop.kernel.vector.VectorKernelProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link GemmKernels#smallGemm}, attention's unpacked products, against the scalar GEMM: every tail
 * of n, m and k, the attention shapes, in every transpose variant, operands read out of a wider
 * row (the [N, T, 3D] projection's leading dimension) at offsets; C outside the block untouched.
 */
class SmallGemmTest extends KernelTwinTest<GemmKernels> {
  SmallGemmTest() {
    super(KernelProvider::gemm);
  }

  static Stream<Arguments> cases() {
    Stream<int[]> shapes = Stream.of(
        nonEmptyTailSizes().filter(n -> n <= 300).mapToObj(n -> new int[] {7, n, 24}),
        IntStream.rangeClosed(1, 9).mapToObj(m -> new int[] {m, 33, 5}),
        tailSizes().filter(k -> k <= 129).mapToObj(k -> new int[] {5, 17, k}),
        Stream.of(new int[] {17, 17, 24}, new int[] {17, 24, 17}, new int[] {64, 64, 32}, new int[] {64, 32, 64},
            new int[] {128, 128, 64}, new int[] {128, 64, 128}, new int[] {33, 48, 96}, new int[] {64, 128, 32}))
        .flatMap(s -> s);
    return shapes.flatMap(s -> Stream.of(new boolean[] {false, false}, new boolean[] {false, true},
        new boolean[] {true, false}, new boolean[] {true, true})
        .map(t -> Arguments.of(s[0], s[1], s[2], t[0], t[1])));
  }

  @ParameterizedTest(name = "{0}x{1}x{2} transA={3} transB={4}")
  @MethodSource("cases")
  void matchesTheScalarGemm(int m, int n, int k, boolean transA, boolean transB) {
    assumeVectorPath(VectorKernelProvider.packedSmallGemm(transB, m, n), "packedSmallGemm",
        m + "x" + n + (transB ? ", B transposed" : ""));
    SplittableRandom r = new SplittableRandom(m * 1_000_003L + n * 1009L + k * 7L + (transA ? 1 : 0) + (transB ? 2 : 0));
    int aRows = transA ? k : m;
    int aCols = transA ? m : k;
    int bRows = transB ? n : k;
    int bCols = transB ? k : n;
    int lda = aCols + 3;
    int ldb = bCols * 3 + 1;
    int ldc = n + 2;
    float[] a = random(r, 4 + aRows * lda);
    float[] b = random(r, 5 + bRows * ldb);
    float[] expected = random(r, 1 + m * ldc + 2);
    float[] actual = expected.clone();
    scalar.gemm(transA, transB, m, n, k, a, 4, lda, b, 5, ldb, expected, 1, ldc, false);
    vector.smallGemm(transA, transB, m, n, k, a, 4, lda, b, 5, ldb, actual, 1, ldc);
    assertClose(m + "x" + n + "x" + k, expected, actual, 1e-6 * (1 + Math.sqrt(k)));
    // Through the facade, the same bits.
    float[] viaFacade = actual.clone();
    Gemm.multiplySmall(vector, transA, transB, m, n, k, a, 4, lda, b, 5, ldb, viaFacade, 1, ldc);
    assertArrayEquals(actual, viaFacade);
  }

  @Test
  void theScalarDefaultIsTheGemm() {
    float[] a = {1, 2, 3, 4};
    float[] b = {5, 6, 7, 8};
    float[] c = {9, 9, 9, 9};
    scalar.smallGemm(false, true, 2, 2, 2, a, 0, 2, b, 0, 2, c, 0, 2);
    assertArrayEquals(new float[] {17, 23, 39, 53}, c);
  }

  @Test
  void theFacadeChecks() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Gemm.multiplySmall(vector, false, true, 4, 4, 8, new float[32], 0, 8, new float[31], 0, 8, new float[16], 0, 4));
    assertEquals("GEMM B (stored transposed): 4 x 8 with leading dimension 8 at offset 0 needs 32 floats, the array has 31", e.getMessage());
  }
}

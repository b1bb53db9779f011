package org.autoprop.kernel.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The three ways {@link VectorGemm} reads A (in place for a row-major A up to
 * {@link VectorGemm#DIRECT_A_MAX_N} columns of C, packed by rows or, transposed, by stored rows)
 * run the same FMAs in the same order: their results agree bit for bit.
 */
class VectorGemmPathsTest {
  private static float[] random(int size, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] x = new float[size];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (2 * r.nextDouble() - 1);
    }
    return x;
  }

  @ParameterizedTest(name = "m={0} k={1} accumulate={2}")
  @CsvSource({"1, 1, false", "13, 37, false", "13, 37, true", "97, 100, false", "6, 64, true", "7, 1030, false",
      "101, 2049, true"})
  void inPlacePackedAndTransposedAGiveTheSameBits(int m, int k, boolean accumulate) {
    assumeTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(), "needs the vector module");
    int n = VectorGemm.DIRECT_A_MAX_N;
    int wide = n + 1; // one column more: A is packed
    float[] a = random(m * k, 1);
    float[] at = new float[k * m];
    for (int i = 0; i < m; i++) {
      for (int p = 0; p < k; p++) {
        at[p * m + i] = a[i * k + p];
      }
    }
    float[] bWide = random(k * wide, 2);
    float[] b = new float[k * n];
    for (int p = 0; p < k; p++) {
      System.arraycopy(bWide, p * wide, b, p * n, n);
    }
    float[] start = random(m * wide, 3);
    float[] inPlace = new float[m * n];
    float[] packed = new float[m * wide];
    float[] transposed = new float[m * n];
    for (int i = 0; i < m; i++) {
      System.arraycopy(start, i * wide, inPlace, i * n, n);
      System.arraycopy(start, i * wide, transposed, i * n, n);
    }
    System.arraycopy(start, 0, packed, 0, packed.length);
    VectorGemm g = new VectorGemm();
    g.gemm(false, false, m, n, k, a, 0, k, b, 0, n, inPlace, 0, n, accumulate);
    g.gemm(false, false, m, wide, k, a, 0, k, bWide, 0, wide, packed, 0, wide, accumulate);
    g.gemm(true, false, m, n, k, at, 0, m, b, 0, n, transposed, 0, n, accumulate);
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        assertEquals(packed[i * wide + j], inPlace[i * n + j], 0f, "in place vs packed at " + i + "," + j);
        assertEquals(packed[i * wide + j], transposed[i * n + j], 0f, "transposed vs packed at " + i + "," + j);
      }
    }
  }
}

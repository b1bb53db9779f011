package org.autoprop.kernel.vector;

import static org.autoprop.kernel.KernelTwinTest.uniform;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The stride-2 lane permutations against element-by-element loops, at offsets on both sides. */
class VectorEvenOddTest {
  private static final int L = VectorKernelProvider.SPECIES.length();

  @ParameterizedTest(name = "offset={0}")
  @ValueSource(ints = {0, 1, 5, 16})
  void splitKeepsEveryOtherElementAndWritesOnlyItsVector(int offset) {
    SplittableRandom r = new SplittableRandom(offset);
    float[] x = uniform(r, offset + 2 * L + 3, 0, 1);
    for (boolean odd : new boolean[] {false, true}) {
      float[] out = uniform(r, offset + L + 2, 0, 1);
      float[] expected = out.clone();
      for (int i = 0; i < L; i++) {
        expected[offset + 1 + i] = x[offset + 2 * i + (odd ? 1 : 0)];
      }
      VectorEvenOdd.split(x, offset, odd, out, offset + 1);
      for (int i = 0; i < out.length; i++) {
        assertEquals(expected[i], out[i], 0f, "odd=" + odd + " element " + i);
      }
    }
  }

  @ParameterizedTest(name = "offset={0}")
  @ValueSource(ints = {0, 1, 5, 16})
  void mergeInterleavesAndWritesOnlyItsTwoVectors(int offset) {
    SplittableRandom r = new SplittableRandom(100 + offset);
    float[] even = uniform(r, offset + L + 1, 0, 1);
    float[] odd = uniform(r, offset + L + 4, 0, 1);
    float[] out = uniform(r, offset + 2 * L + 5, 0, 1);
    float[] expected = out.clone();
    for (int i = 0; i < L; i++) {
      expected[offset + 2 + 2 * i] = even[offset + i];
      expected[offset + 3 + 2 * i] = odd[offset + 3 + i];
    }
    VectorEvenOdd.merge(even, offset, odd, offset + 3, out, offset + 2);
    for (int i = 0; i < out.length; i++) {
      assertEquals(expected[i], out[i], 0f, "element " + i);
    }
  }
}

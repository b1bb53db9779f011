package org.autoprop.kernel.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The register transpose against the element-by-element one, on strided, offset blocks. */
class VectorTransposeTest {
  @ParameterizedTest(name = "inOff={0} ldi={1} outOff={2} ldo={3}")
  @CsvSource({"0, 16, 0, 16", "3, 29, 5, 32", "17, 811, 1, 16", "0, 100, 7, 40"})
  void transposesEveryElementAndNothingElse(int inOff, int ldi, int outOff, int ldo) {
    assumeTrue(VectorTranspose.SUPPORTED, "the register transpose needs a 16-lane species");
    SplittableRandom r = new SplittableRandom(ldi * 31L + ldo);
    float[] in = new float[inOff + 15 * ldi + 16 + 3];
    for (int i = 0; i < in.length; i++) {
      in[i] = (float) r.nextDouble();
    }
    float[] out = new float[outOff + 15 * ldo + 16 + 5];
    for (int i = 0; i < out.length; i++) {
      out[i] = -1 - i;
    }
    float[] expected = out.clone();
    for (int j = 0; j < 16; j++) {
      for (int p = 0; p < 16; p++) {
        expected[outOff + p * ldo + j] = in[inOff + j * ldi + p];
      }
    }
    VectorTranspose.transpose(in, inOff, ldi, out, outOff, ldo);
    for (int i = 0; i < out.length; i++) {
      assertEquals(expected[i], out[i], 0f, "element " + i);
    }
  }
}

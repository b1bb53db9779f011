package org.autoprop.layer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.autoprop.io.SafeTensors;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.testing.Cases;
import org.autoprop.testing.Conformance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Softmax along any axis: PyTorch's file, a double reference, GradCheck, extremes, bad axes. */
class SoftmaxTest {
  @Test
  void matchesPyTorch() {
    SafeTensors f = Conformance.load("softmax");
    Softmax layer = new Softmax(Integer.parseInt(f.metadata().get("dim")));
    Conformance.assertClose("softmax y", f.tensor("y"), layer.forward(f.tensor("x"), true));
    Conformance.assertClose("softmax gx", f.tensor("gx"), layer.backward(f.tensor("gy")));
  }

  /** softmax along axis a, computed in double over the row-major index. */
  static double[] reference(Tensor x, int a) {
    Shape s = x.shape();
    int outer = s.sizeOf(0, a);
    int len = s.dim(a);
    int inner = s.sizeOf(a + 1, s.rank());
    double[] y = new double[x.size()];
    for (int o = 0; o < outer; o++) {
      for (int j = 0; j < inner; j++) {
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < len; k++) {
          max = Math.max(max, x.getFlat((o * len + k) * inner + j));
        }
        double sum = 0;
        for (int k = 0; k < len; k++) {
          sum += Math.exp(x.getFlat((o * len + k) * inner + j) - max);
        }
        for (int k = 0; k < len; k++) {
          int at = (o * len + k) * inner + j;
          y[at] = Math.exp(x.getFlat(at) - max) / sum;
        }
      }
    }
    return y;
  }

  static Shape randomShape(SplittableRandom r) {
    int rank = 1 + r.nextInt(4);
    int[] dims = new int[rank];
    for (int i = 0; i < rank; i++) {
      // Occasionally a long axis, so that rows and inner strides span several vectors.
      dims[i] = r.nextInt(5) == 0 ? 1 : r.nextInt(6) == 0 ? 17 + r.nextInt(20) : 1 + r.nextInt(6);
    }
    return Shape.of(dims);
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#seeds")
  void forwardMatchesDoubleAlongEveryAxisIncludingNegativeOnes(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    Shape shape = randomShape(r);
    int rank = shape.rank();
    int dim = r.nextInt(2 * rank) - rank; // [-rank, rank)
    // Large logits: exp without the max shift would overflow.
    Tensor x = Tensor.uniform(shape, -200f, 200f, seed);
    Tensor y = new Softmax(dim).forward(x, true);
    double[] expected = reference(x, shape.axisIndex(dim));
    for (int i = 0; i < expected.length; i++) {
      assertTrue(Float.isFinite(y.getFlat(i)), "finite at " + i);
      assertEquals(expected[i], y.getFlat(i), 1e-6, shape + " dim=" + dim + " at " + i);
    }
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#fewSeeds")
  void backwardMatchesFiniteDifferences(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    Shape shape = randomShape(r);
    int rank = shape.rank();
    int dim = r.nextInt(2 * rank) - rank;
    Tensor x = Tensor.uniform(shape, -3f, 3f, seed);
    GradCheck.Report report = GradCheck.forLayer(new Softmax(dim)).seed(seed).check(x);
    assertTrue(report.passed(5e-3),
        () -> shape + " dim=" + dim + "\n" + report);
  }

  @Test
  void extremeLogitsGiveNoNaN() {
    Tensor x = Tensor.wrap(new float[] {1e30f, -1e30f, 0f, 1e30f, -3e38f, 3e38f, 5f, 5f}, 2, 4);
    Tensor y = new Softmax().forward(x, true);
    float[] expected = {0.5f, 0f, 0f, 0.5f, 0f, 1f, 0f, 0f};
    for (int i = 0; i < 8; i++) {
      assertEquals(expected[i], y.getFlat(i), 1e-7, "at " + i);
    }
  }

  @Test
  void aRowOfMinusInfinityGivesZerosAndAZeroGradient() {
    float inf = Float.NEGATIVE_INFINITY;
    Softmax layer = new Softmax();
    Tensor y = layer.forward(Tensor.wrap(new float[] {inf, inf, inf, 0f, inf, 0f}, 2, 3), true);
    assertArrayEquals(new float[] {0f, 0f, 0f, 0.5f, 0f, 0.5f}, y.toArray());
    Tensor gx = layer.backward(Tensor.wrap(new float[] {1f, 2f, 3f, 1f, 2f, 3f}, 2, 3));
    assertArrayEquals(new float[] {0f, 0f, 0f, -0.5f, 0f, 0.5f}, gx.toArray());
  }

  /** Large enough for the parallel last-axis path; the vector layer against the scalar one. */
  @Test
  void lastAxisVectorAndParallelMatchScalar() {
    Shape shape = Shape.of(37, 19, 129);
    Softmax scalar = org.autoprop.kernel.KernelProvider.building(org.autoprop.kernel.KernelProvider.scalar(), Softmax::new);
    Softmax vector = org.autoprop.kernel.KernelProvider.building(org.autoprop.kernel.KernelProvider.vector(), Softmax::new);
    Tensor x = Tensor.uniform(shape, -5f, 5f, 7);
    Tensor gy = Tensor.uniform(shape, -1f, 1f, 8);
    Conformance.assertClose("y", scalar.forward(x, true), vector.forward(x, true), 1e-6);
    Conformance.assertClose("gx", scalar.backward(gy), vector.backward(gy), 1e-5);
    double[] expected = reference(x, 2);
    Tensor y = vector.forward(x, true);
    for (int i = 0; i < expected.length; i += 97) {
      assertEquals(expected[i], y.getFlat(i), 1e-6, "at " + i);
    }
  }

  @Test
  void reusesBuffers() {
    Softmax layer = new Softmax(1);
    Tensor x = Tensor.uniform(Shape.of(2, 5, 3), -1f, 1f, 1);
    Tensor y1 = layer.forward(x, true);
    Tensor gx1 = layer.backward(x);
    assertSame(y1, layer.forward(x, true));
    assertSame(gx1, layer.backward(x));
  }

  @Test
  void rejectsAnAxisOutsideTheRank() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Softmax(2).forward(Tensor.zeros(4, 10), true));
    assertEquals("Softmax(dim=2): input [4, 10] has rank 2 (expected: dim in [-2, 1])", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new Softmax(-3).outputShape(Shape.of(4, 10)));
    assertEquals("Softmax(dim=-3): input [4, 10] has rank 2 (expected: dim in [-2, 1])", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new Softmax().outputShape(Shape.of()));
    assertEquals("Softmax(dim=-1): input [] has rank 0 (expected: rank >= 1)", e.getMessage());
    assertEquals(Shape.of(4, 10), new Softmax(-2).outputShape(Shape.of(4, 10)));
    assertEquals("Softmax", new Softmax().typeName());
  }
}

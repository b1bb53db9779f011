package org.autoprop.layer;

import static org.autoprop.testing.TestTensors.maxAbsDiff;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Flatten and Reshape: views, gradients reshaped back, errors. */
class ShapeLayersTest {

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#fewSeeds")
  void gradientsMatchFiniteDifferences(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int a = 1 + r.nextInt(4);
    int b = 1 + r.nextInt(4);
    Shape shape = Shape.of(1 + r.nextInt(3), a, b, 2);
    Layer layer = r.nextBoolean() ? new Flatten() : new Reshape(2, -1, a);
    Tensor x = Tensor.uniform(shape, -1f, 1f, ~seed);
    GradCheck.Report report = GradCheck.forLayer(layer).seed(seed).check(x);
    assertTrue(report.passed(1e-3), () -> layer + " " + shape + "\n" + report);
  }

  @Test
  void flattenIsAViewAndItsGradientIsReshapedBack() {
    Flatten f = new Flatten();
    Tensor x = Tensor.uniform(Shape.of(2, 3, 4, 5), -1f, 1f, 1);
    Tensor y = f.forward(x, true);
    assertEquals(Shape.of(2, 60), y.shape());
    assertSame(x.data(), y.data(), "a view of a contiguous input");
    assertEquals(x.get(1, 2, 3, 4), y.get(1, 59));
    Tensor g = Tensor.uniform(Shape.of(2, 60), -1f, 1f, 2);
    Tensor gx = f.backward(g);
    assertEquals(Shape.of(2, 3, 4, 5), gx.shape());
    assertEquals(g.get(1, 21), gx.get(1, 1, 0, 1));
    assertEquals(Shape.of(7, 1), f.outputShape(Shape.of(7, 1)));
  }

  @Test
  void flattenCopiesANonContiguousInputIntoAReusedBuffer() {
    Flatten f = new Flatten();
    Tensor base = Tensor.uniform(Shape.of(2, 3, 4), -1f, 1f, 3);
    Tensor x = base.transpose(1, 2); // [2, 4, 3]
    Tensor y1 = f.forward(x, true);
    assertArrayEquals(x.toArray(), y1.toArray());
    Tensor y2 = f.forward(base.transpose(1, 2), true);
    assertSame(y1, y2);
    // A non-contiguous gradient (a slice) is copied back too.
    Tensor gx = f.backward(Tensor.uniform(Shape.of(2, 24), -1f, 1f, 5).slice(1, 0, 12));
    assertEquals(Shape.of(2, 4, 3), gx.shape());
    assertEquals(0.0, maxAbsDiff(Tensor.uniform(Shape.of(2, 24), -1f, 1f, 5).slice(1, 0, 12).contiguous().reshape(2, 4, 3), gx));
  }

  @Test
  void reshapeInfersOneExtent() {
    Reshape rs = new Reshape(-1, 4);
    Tensor x = Tensor.uniform(Shape.of(3, 2, 6), -1f, 1f, 1);
    Tensor y = rs.forward(x, false);
    assertEquals(Shape.of(3, 3, 4), y.shape());
    assertArrayEquals(x.toArray(), y.toArray());
    assertEquals(Shape.of(3, 2, 6), rs.backward(Tensor.zeros(3, 3, 4)).shape());
    assertEquals(Shape.of(5, 2, 3, 2), new Reshape(2, 3, 2).outputShape(Shape.of(5, 12)));
    assertArrayEquals(new int[] {-1, 4}, rs.dims());
  }

  @Test
  void rejectsBadShapesWithClearMessages() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Flatten().forward(Tensor.zeros(5), true));
    assertEquals("Flatten: input [5] has rank 1 (expected: >= 2, [N, ...])", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new Reshape(3, 4).outputShape(Shape.of(2, 3, 5)));
    assertEquals("Reshape([3, 4]): input [2, 3, 5] has 15 elements per sample (expected: 12)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new Reshape(-1, 4).forward(Tensor.zeros(2, 3, 5), true));
    assertEquals("Reshape([-1, 4]): input [2, 3, 5] has 15 elements per sample (expected: a multiple of 4)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new Reshape(-1, -1));
    assertEquals("Reshape([-1, -1]): more than one -1 (at 0 and 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new Reshape(3, 0));
    assertEquals("Reshape([3, 0]): extent 0 at 1 (expected: >= 1 or -1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new Reshape());
    assertEquals("Reshape: dims must not be empty", e.getMessage());
    Reshape rs = new Reshape(6);
    rs.forward(Tensor.zeros(2, 2, 3), true);
    e = assertThrows(IllegalArgumentException.class, () -> rs.backward(Tensor.zeros(2, 2, 3)));
    assertEquals("Reshape([6]): gradient [2, 2, 3] (expected: [2, 6], the shape of the latest output)", e.getMessage());
    IllegalStateException s = assertThrows(IllegalStateException.class, () -> new Flatten().backward(Tensor.zeros(2, 2)));
    assertEquals("Flatten: backward called before forward", s.getMessage());
  }
}

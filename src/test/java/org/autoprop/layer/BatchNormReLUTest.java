package org.autoprop.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.autoprop.kernel.KernelProvider;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.testing.ReluKinks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** BatchNormReLU2D against BatchNorm2D then ReLU, finite differences, shared state, errors. */
class BatchNormReLUTest {

  /** Relative closeness with an absolute floor of {@code tol} (values here are of order 1). */
  static void assertClose(String what, Tensor expected, Tensor actual, double tol) {
    assertEquals(expected.shape(), actual.shape(), what + " shape");
    for (int i = 0; i < expected.size(); i++) {
      double e = expected.getFlat(i);
      double a = actual.getFlat(i);
      assertEquals(e, a, tol * (1 + Math.abs(e)), what + " at " + i);
    }
  }

  static void randomize(SplittableRandom r, BatchNorm2D bn) {
    for (int c = 0; c < bn.channels(); c++) {
      bn.parameters().get(0).value().set((float) (0.5 + r.nextDouble()) * (r.nextBoolean() ? 1 : -1), c);
      bn.parameters().get(1).value().set((float) (r.nextDouble() - 0.5), c);
      bn.runningMean().set((float) (r.nextDouble() - 0.5), c);
      bn.runningVar().set((float) (0.5 + r.nextDouble()), c);
    }
  }

  static void copyState(BatchNorm2D from, BatchNorm2D to) {
    for (int i = 0; i < 2; i++) {
      to.parameters().get(i).value().copyFrom(from.parameters().get(i).value());
    }
    to.runningMean().copyFrom(from.runningMean());
    to.runningVar().copyFrom(from.runningVar());
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#seeds")
  void fusedEqualsBatchNormThenReLU(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    KernelProvider kernels = r.nextBoolean() ? KernelProvider.scalar() : KernelProvider.vector();
    int channels = 1 + r.nextInt(5);
    // Spatial sizes around the vector lengths, and sometimes above the parallel threshold.
    int[] sides = {1, 3, 4, 5, 7, 9, 17, 33};
    int h = sides[r.nextInt(sides.length)];
    int w = r.nextInt(8) == 0 ? 130 : sides[r.nextInt(sides.length)];
    int batch = 1 + r.nextInt(3);
    if (batch * h * w < 2) {
      batch = 2;
    }
    Shape shape = Shape.of(batch, channels, h, w);
    BatchNorm2D plain = KernelProvider.building(kernels, () -> new BatchNorm2D(channels));
    randomize(r, plain);
    double momentum = r.nextDouble();
    plain.momentum(momentum);
    BatchNorm2D inner = KernelProvider.building(kernels, () -> new BatchNorm2D(channels)).momentum(momentum);
    copyState(plain, inner);
    ReLU relu = new ReLU();
    BatchNormReLU2D fused = new BatchNormReLU2D(inner);
    for (int step = 0; step < 2; step++) {
      boolean training = step == 0 ? r.nextBoolean() : !r.nextBoolean();
      Tensor x = Tensor.normal(shape, 1.5f, seed + step);
      Tensor g = Tensor.uniform(shape, -1f, 1f, ~seed + step);
      Tensor y0 = relu.forward(plain.forward(x, training), training);
      Tensor y1 = fused.forward(x, training);
      String what = shape + " training=" + training + " " + kernels.description();
      assertClose(what + " y", y0, y1, 1e-5);
      assertClose(what + " running_mean", plain.runningMean(), inner.runningMean(), 1e-6);
      assertClose(what + " running_var", plain.runningVar(), inner.runningVar(), 1e-6);
      Tensor gx0 = plain.backward(relu.backward(g));
      Tensor gx1 = fused.backward(g);
      assertClose(what + " gx", gx0, gx1, 1e-5);
      assertClose(what + " grad.weight", plain.parameters().get(0).grad(), inner.parameters().get(0).grad(), 1e-5);
      assertClose(what + " grad.bias", plain.parameters().get(1).grad(), inner.parameters().get(1).grad(), 1e-5);
    }
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#fewSeeds")
  void gradientsMatchFiniteDifferences(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    boolean training = r.nextBoolean();
    int channels = 1 + r.nextInt(4);
    BatchNorm2D bn = new BatchNorm2D(channels);
    randomize(r, bn);
    Shape shape = Shape.of(1 + r.nextInt(3), channels, 2 + r.nextInt(4), 1 + r.nextInt(5));
    Tensor x = Tensor.normal(shape, 1f, ~seed);
    ReluKinks.awayFromTheKink(bn, x, training);
    BatchNormReLU2D fused = new BatchNormReLU2D(bn);
    GradCheck.Report report = GradCheck.forLayer(fused).training(training).epsilon(1e-3).seed(seed).check(x);
    assertTrue(report.passed(2e-2), () -> shape + " training=" + training + "\n" + report);
  }

  @Test
  void sharesTheBatchNormsParametersBuffersAndOutput() {
    BatchNorm2D bn = new BatchNorm2D(3);
    BatchNormReLU2D fused = new BatchNormReLU2D(bn);
    assertSame(bn, fused.batchNorm());
    assertSame(bn.parameters().get(0), fused.parameters().get(0));
    assertSame(bn.parameters().get(1), fused.parameters().get(1));
    assertEquals(bn.buffers(), fused.buffers());
    assertSame(bn.runningMean(), fused.buffers().get("running_mean"));
    Tensor x = Tensor.normal(Shape.of(2, 3, 4, 4), 1f, 5);
    Tensor y = fused.forward(x, true);
    for (int i = 0; i < y.size(); i++) {
      assertTrue(y.getFlat(i) >= 0f, "post-ReLU values");
    }
    assertSame(y, bn.forward(x, false), "the batch norm's own output buffer");
    assertEquals("BatchNormReLU2D", fused.typeName());
    assertEquals(bn.flops(x.shape()) + x.size(), fused.flops(x.shape()));
  }

  @Test
  void errorsNameTheLayerAndTheShapes() {
    BatchNorm2D bn = new BatchNorm2D(3);
    BatchNormReLU2D fused = new BatchNormReLU2D(bn);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> fused.forward(Tensor.zeros(2, 4, 5, 5), true));
    assertEquals("BatchNorm2D(3): input [2, 4, 5, 5] has 4 channels (expected: 3)", e.getMessage());
    IllegalStateException s = assertThrows(IllegalStateException.class, () -> fused.backward(Tensor.zeros(2, 3, 5, 5)));
    assertEquals("BatchNormReLU2D(3): backward called before forward", s.getMessage());
    bn.forward(Tensor.normal(Shape.of(2, 3, 5, 5), 1f, 1), true);
    IllegalStateException unfused = assertThrows(IllegalStateException.class, () -> fused.backward(Tensor.zeros(2, 3, 5, 5)));
    assertEquals("BatchNormReLU2D(3): backward called without a fused forward (the latest forward of BatchNorm2D(3)"
        + " was unfused)", unfused.getMessage());
    fused.forward(Tensor.normal(Shape.of(2, 3, 5, 5), 1f, 1), true);
    IllegalArgumentException g = assertThrows(IllegalArgumentException.class, () -> fused.backward(Tensor.zeros(2, 3, 5, 4)));
    assertEquals("BatchNormReLU2D(3): gradient [2, 3, 5, 4] (expected: [2, 3, 5, 5], the shape of the latest output)",
        g.getMessage());
    assertEquals("bn", assertThrows(NullPointerException.class, () -> new BatchNormReLU2D(null)).getMessage());
  }
}

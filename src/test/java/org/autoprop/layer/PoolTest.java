package org.autoprop.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.autoprop.io.SafeTensors;
import org.autoprop.kernel.KernelProvider;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.testing.Conformance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Pool2D (max, avg), AdaptiveAvgPool2D and GlobalAvgPool2D. */
class PoolTest {

  private static Layer fromMetadata(SafeTensors f) {
    String type = f.metadata().get("layer");
    int k = Integer.parseInt(f.metadata().get("kernel"));
    int s = Integer.parseInt(f.metadata().get("stride"));
    int p = Integer.parseInt(f.metadata().get("padding"));
    switch (type) {
      case "MaxPool2D":
        return Pool2D.max(k, s, p);
      case "AvgPool2D":
        return Pool2D.avg(k, s, p);
      case "GlobalAvgPool2D":
        return new GlobalAvgPool2D();
      default:
        throw new AssertionError("unexpected layer " + type);
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"maxpool_2x2", "maxpool_3x3_s2_p1", "avgpool_2x2", "global_avgpool"})
  void matchesPyTorch(String file) {
    SafeTensors f = Conformance.load(file);
    Layer layer = fromMetadata(f);
    assertEquals(f.metadata().get("layer"), layer.typeName());
    Tensor x = f.tensor("x");
    assertEquals(f.tensor("y").shape(), layer.outputShape(x.shape()));
    Conformance.assertClose(file + " y", f.tensor("y"), layer.forward(x, true));
    Conformance.assertClose(file + " gx", f.tensor("gx"), layer.backward(f.tensor("gy")));
  }

  /** A random permutation of values 0.02 apart: no ties closer than 4 finite-difference steps. */
  static Tensor distinct(Shape shape, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int n = shape.size();
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (i - n / 2) * 0.02f;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      float t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return Tensor.wrap(a, shape);
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#seeds")
  void poolGradientsMatchFiniteDifferences(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int kh = 1 + r.nextInt(3);
    int kw = 1 + r.nextInt(3);
    int[] stride = {1 + r.nextInt(3), 1 + r.nextInt(3)};
    int[] padding = {r.nextInt(kh / 2 + 1), r.nextInt(kw / 2 + 1)};
    boolean max = r.nextBoolean();
    Pool2D pool = max ? Pool2D.max(new int[] {kh, kw}, stride, padding) : Pool2D.avg(new int[] {kh, kw}, stride, padding);
    int h = Math.max(1, kh - 2 * padding[0]) + r.nextInt(5);
    int w = Math.max(1, kw - 2 * padding[1]) + r.nextInt(5);
    Shape shape = Shape.of(1 + r.nextInt(2), 1 + r.nextInt(3), h, w);
    Tensor x = distinct(shape, ~seed);
    GradCheck.Report report = GradCheck.forLayer(pool).epsilon(5e-3).seed(seed).check(x);
    assertTrue(report.passed(1e-2), () -> pool + " " + shape + "\n" + report);
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#fewSeeds")
  void adaptiveGradientsMatchFiniteDifferences(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    Shape shape = Shape.of(1 + r.nextInt(2), 1 + r.nextInt(3), 1 + r.nextInt(7), 1 + r.nextInt(7));
    Layer layer = r.nextInt(4) == 0 ? new GlobalAvgPool2D() : new AdaptiveAvgPool2D(1 + r.nextInt(4), 1 + r.nextInt(4));
    Tensor x = Tensor.uniform(shape, -1f, 1f, ~seed);
    GradCheck.Report report = GradCheck.forLayer(layer).seed(seed).check(x);
    assertTrue(report.passed(1e-2), () -> layer + " " + shape + "\n" + report);
  }

  @Test
  void adaptiveAveragesPyTorchWindows() {
    // 1 plane 5x1 -> 3x1: windows [0, 2), [1, 4), [3, 5).
    AdaptiveAvgPool2D pool = new AdaptiveAvgPool2D(3, 1);
    Tensor y = pool.forward(Tensor.wrap(new float[] {1, 2, 4, 8, 16}, 1, 1, 5, 1), false);
    assertEquals(Shape.of(1, 1, 3, 1), y.shape());
    assertEquals(1.5f, y.getFlat(0), 1e-6f);
    assertEquals(14f / 3, y.getFlat(1), 1e-6f);
    assertEquals(12f, y.getFlat(2), 1e-6f);
    // Overlapping windows: element 1 and 3 receive from two outputs.
    Tensor gx = pool.backward(Tensor.wrap(new float[] {2, 3, 4}, 1, 1, 3, 1));
    assertEquals(1f, gx.getFlat(0), 1e-6f);
    assertEquals(2f, gx.getFlat(1), 1e-6f);
    assertEquals(1f, gx.getFlat(2), 1e-6f);
    assertEquals(3f, gx.getFlat(3), 1e-6f);
    assertEquals(2f, gx.getFlat(4), 1e-6f);
  }

  @Test
  void maxSendsTheGradientToTheFirstMaximumOfATie() {
    Pool2D pool = Pool2D.max(2);
    Tensor x = Tensor.wrap(new float[] {1, 5, 5, 5}, 1, 1, 2, 2);
    assertEquals(5f, pool.forward(x, true).getFlat(0));
    Tensor gx = pool.backward(Tensor.wrap(new float[] {7}, 1, 1, 1, 1));
    assertEquals(0f, gx.getFlat(0));
    assertEquals(7f, gx.getFlat(1));
    assertEquals(0f, gx.getFlat(2));
    assertEquals(0f, gx.getFlat(3));
  }

  @Test
  void avgCountsPaddingInTheDivisor() {
    Pool2D pool = Pool2D.avg(3, 1, 1);
    Tensor y = pool.forward(Tensor.full(Shape.of(1, 1, 2, 2), 9f), false);
    // Every window covers the 4 real elements and 5 padded zeros.
    for (int i = 0; i < 4; i++) {
      assertEquals(4f, y.getFlat(i), 1e-6f);
    }
  }

  @Test
  void scalarAndVectorKernelsGiveTheSameLayerOnANonContiguousInput() {
    Tensor base = distinct(Shape.of(2, 3, 9, 11), 3);
    Tensor x = base.transpose(2, 3); // [2, 3, 11, 9], not contiguous
    List<Supplier<Pool2D>> pools =
        List.of(() -> Pool2D.max(3, 1, 1), () -> Pool2D.avg(new int[] {2, 3}, new int[] {1, 2}, new int[] {1, 0}));
    for (Supplier<Pool2D> make : pools) {
      Pool2D p = make.get();
      Pool2D s = KernelProvider.building(KernelProvider.scalar(), make);
      Pool2D v = KernelProvider.building(KernelProvider.vector(), make);
      Tensor ys = s.forward(x, true).copy();
      Conformance.assertClose(p + " y", ys, v.forward(x, true), 1e-6);
      Conformance.assertClose(p + " contiguous", ys, p.forward(x.contiguous(), true), 1e-6);
      Tensor g = Tensor.uniform(ys.shape(), -1f, 1f, 4);
      Conformance.assertClose(p + " gx", s.backward(g), v.backward(g), 1e-6);
    }
  }

  @Test
  void largeBatchesSplitPlanesOverThreadsAndAgreeWithOneSampleAtATime() {
    // 4 x 4 x 64 x 64: above the parallel threshold; one sample alone is below it.
    Shape shape = Shape.of(4, 4, 64, 64);
    Tensor x = distinct(shape, 9);
    Layer[] layers = {Pool2D.max(3, 1, 1), Pool2D.avg(2, 1, 1), new AdaptiveAvgPool2D(64, 64), new GlobalAvgPool2D()};
    for (Layer whole : layers) {
      Tensor y = whole.forward(x, true).copy();
      Tensor gOut = Tensor.uniform(y.shape(), -1f, 1f, 10);
      Tensor gx = whole.backward(gOut).copy();
      for (int b = 0; b < 4; b++) {
        Tensor yb = whole.forward(x.slice(0, b, b + 1).contiguous(), true);
        Conformance.assertClose(whole + " y sample " + b, y.slice(0, b, b + 1).contiguous(), yb, 1e-6);
        Tensor gxb = whole.backward(gOut.slice(0, b, b + 1).contiguous());
        Conformance.assertClose(whole + " gx sample " + b, gx.slice(0, b, b + 1).contiguous(), gxb, 1e-6);
      }
    }
  }

  @Test
  void reusesBuffersWhileTheShapeStays() {
    for (Layer layer : new Layer[] {Pool2D.max(2), Pool2D.avg(3, 2, 1), new GlobalAvgPool2D(), new AdaptiveAvgPool2D(2, 3)}) {
      Tensor y1 = layer.forward(distinct(Shape.of(2, 3, 6, 7), 1), true);
      Tensor g1 = layer.backward(Tensor.uniform(y1.shape(), -1f, 1f, 1));
      Tensor y2 = layer.forward(distinct(Shape.of(2, 3, 6, 7), 2), true);
      Tensor g2 = layer.backward(Tensor.uniform(y2.shape(), -1f, 1f, 2));
      assertSame(y1, y2, layer.typeName());
      assertSame(g1, g2, layer.typeName());
      Tensor y3 = layer.forward(distinct(Shape.of(1, 3, 8, 8), 3), true);
      assertEquals(layer.outputShape(Shape.of(1, 3, 8, 8)), y3.shape(), layer.typeName());
      assertEquals(Shape.of(1, 3, 8, 8), layer.backward(Tensor.zeros(y3.shape())).shape());
    }
  }

  @Test
  void shapesAndNames() {
    assertEquals(Shape.of(2, 3, 4, 4), Pool2D.max(3, 2, 1).outputShape(Shape.of(2, 3, 7, 7)));
    assertEquals(Shape.of(2, 3, 3, 2), Pool2D.avg(new int[] {2, 3}, null, new int[] {0, 0}).outputShape(Shape.of(2, 3, 7, 8)));
    assertEquals(Shape.of(5, 4, 1, 1), new GlobalAvgPool2D().outputShape(Shape.of(5, 4, 3, 9)));
    assertEquals(Shape.of(5, 4, 2, 7), new AdaptiveAvgPool2D(2, 7).outputShape(Shape.of(5, 4, 3, 3)));
    assertEquals("MaxPool2D", Pool2D.max(2).typeName());
    assertEquals("AvgPool2D", Pool2D.avg(2).typeName());
    assertEquals("MaxPool2D(k=3x3, s=2x2, p=1x1)", Pool2D.max(3, 2, 1).toString());
    assertEquals(Shape.of(1, 1, 2, 2), Pool2D.max(2, 1).outputShape(Shape.of(1, 1, 3, 3)));
  }

  @Test
  void rejectsBadConfigurationsAndInputsWithClearMessages() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Pool2D.max(2, 2, 2));
    assertEquals("MaxPool2D(k=2x2, s=2x2, p=2x2): padding 2x2 must be at most half the kernel (expected: <= 1x1)",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Pool2D.avg(new int[] {3, 2}, new int[] {1, 1}, new int[] {1, 2}));
    assertEquals("AvgPool2D(k=3x2, s=1x1, p=1x2): padding 1x2 must be at most half the kernel (expected: <= 1x1)",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Pool2D.max(0));
    assertEquals("MaxPool2D(k=0x0, s=0x0, p=0x0): kernel 0x0 (expected: >= 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Pool2D.avg(2, 0));
    assertEquals("AvgPool2D(k=2x2, s=0x0, p=0x0): stride 0x0 (expected: >= 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Pool2D.avg(2, 1, -1));
    assertEquals("AvgPool2D(k=2x2, s=1x1, p=-1x-1): padding -1x-1 (expected: >= 0)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Pool2D.max(new int[] {2}, null, new int[] {0, 0}));
    assertEquals("MaxPool2D: kernel must be a pair {h, w}, got [2]", e.getMessage());
    Pool2D pool = Pool2D.max(3, 2, 1);
    e = assertThrows(IllegalArgumentException.class, () -> pool.forward(Tensor.zeros(2, 3, 7), true));
    assertEquals("MaxPool2D(k=3x3, s=2x2, p=1x1): input [2, 3, 7] has rank 3 (expected: 4, [N, C, H, W])", e.getMessage());
    Pool2D big = Pool2D.avg(5);
    e = assertThrows(IllegalArgumentException.class, () -> big.outputShape(Shape.of(1, 2, 4, 6)));
    assertEquals("AvgPool2D(k=5x5, s=5x5, p=0x0): input [1, 2, 4, 6] has padded spatial size 4x6 (expected: at least the kernel 5x5)",
        e.getMessage());
    pool.forward(Tensor.zeros(2, 3, 7, 7), true);
    e = assertThrows(IllegalArgumentException.class, () -> pool.backward(Tensor.zeros(2, 3, 7, 7)));
    assertEquals("MaxPool2D(k=3x3, s=2x2, p=1x1): gradient [2, 3, 7, 7] (expected: [2, 3, 4, 4], the shape of the latest output)",
        e.getMessage());
    assertThrows(IllegalStateException.class, () -> Pool2D.avg(2).backward(Tensor.zeros(1, 1, 1, 1)));
    e = assertThrows(IllegalArgumentException.class, () -> new AdaptiveAvgPool2D(0, 3));
    assertEquals("AdaptiveAvgPool2D: output size 0x3 (expected: >= 1x1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new GlobalAvgPool2D().forward(Tensor.zeros(2, 3), true));
    assertEquals("GlobalAvgPool2D: input [2, 3] has rank 2 (expected: 4, [N, C, H, W])", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new AdaptiveAvgPool2D(2, 2).outputShape(Shape.of(2, 3, 0, 4)));
    assertEquals("AdaptiveAvgPool2D(2x2): input [2, 3, 0, 4] has an empty spatial size (expected: at least 1x1)", e.getMessage());
  }
}

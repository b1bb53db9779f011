package org.autoprop.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.autoprop.io.SafeTensors;
import org.autoprop.kernel.KernelProvider;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.testing.Conformance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** LpPool1D/2D/3D against PyTorch ({@code tools/conformance/kit_blocks.py}), finite differences, errors. */
class LpPoolTest {
  private static final KernelProvider[] BOTH = {KernelProvider.scalar(), KernelProvider.vector()};

  static Stream<String> files() throws IOException {
    return LayersNDTest.files("lppool1d_", "lppool2d_", "lppool3d_");
  }

  @Test
  void conformanceFilesArePresent() throws IOException {
    assertEquals(9, files().count());
  }

  static Layer lpPool(Map<String, String> m) {
    double p = Double.parseDouble(m.get("norm_type"));
    int[] k = LayersNDTest.ints(m.get("kernel"));
    int[] s = LayersNDTest.ints(m.get("stride"));
    boolean ceil = Boolean.parseBoolean(m.get("ceil_mode"));
    return make(p, k, s, ceil);
  }

  static Layer make(double p, int[] k, int[] s, boolean ceil) {
    return switch (k.length) {
      case 1 -> LpPool1D.builder(p).kernel(k[0]).stride(s[0]).ceilMode(ceil).build();
      case 2 -> LpPool2D.builder(p).kernel(k[0], k[1]).stride(s[0], s[1]).ceilMode(ceil).build();
      default -> LpPool3D.builder(p).kernel(k[0], k[1], k[2]).stride(s[0], s[1], s[2]).ceilMode(ceil).build();
    };
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("files")
  void matchesPyTorch(String file) {
    SafeTensors f = Conformance.load(file);
    for (KernelProvider kernels : BOTH) {
      Layer layer = KernelProvider.building(kernels, () -> lpPool(f.metadata()));
      String what = file + " " + layer + " on " + kernels.description();
      assertEquals(f.tensor("y").shape(), layer.outputShape(f.tensor("x").shape()), what);
      Conformance.assertClose(what + " y", f.tensor("y"), layer.forward(f.tensor("x"), true));
      Conformance.assertClose(what + " gx", f.tensor("gx"), layer.backward(f.tensor("gy")));
    }
  }

  @Test
  void anAllZeroWindowHasAZeroGradient() {
    Tensor x = Tensor.wrap(new float[] {0, 0, 3, 4}, 1, 1, 4);
    Layer layer = LpPool1D.of(2, 2);
    Conformance.assertClose("y", Tensor.wrap(new float[] {0, 5}, 1, 1, 2), layer.forward(x, true), 1e-6);
    Conformance.assertClose("gx", Tensor.wrap(new float[] {0, 0, 0.6f, 0.8f}, 1, 1, 4),
        layer.backward(Tensor.wrap(new float[] {1, 1}, 1, 1, 2)), 1e-6);
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#seeds")
  void backwardMatchesFiniteDifferences(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int rank = 1 + r.nextInt(3);
    double p = new double[] {1, 1.5, 2, 3}[r.nextInt(4)];
    int[] k = new int[rank];
    int[] s = new int[rank];
    int[] dims = new int[rank + 2];
    dims[0] = 1 + r.nextInt(2);
    dims[1] = 1 + r.nextInt(3);
    for (int a = 0; a < rank; a++) {
      k[a] = 1 + r.nextInt(3);
      s[a] = 1 + r.nextInt(3);
      dims[2 + a] = k[a] + r.nextInt(4);
    }
    boolean ceil = r.nextBoolean();
    for (KernelProvider kernels : BOTH) {
      Layer layer = KernelProvider.building(kernels, () -> make(p, k, s, ceil));
      // Positive inputs: every power is defined and no window sum is near 0.
      Tensor x = Tensor.uniform(Shape.of(dims), 0.5f, 1.5f, seed);
      GradCheck.Report report = GradCheck.forLayer(layer).seed(seed).epsilon(1e-3).check(x);
      assertTrue(report.passed(1e-2), () -> layer + " on " + Shape.of(dims) + "\n" + report);
    }
  }

  @Test
  void shapesNamesAndErrors() {
    assertEquals(Shape.of(2, 3, 4), LpPool1D.builder(2).kernel(3).stride(2).build().outputShape(Shape.of(2, 3, 9)));
    assertEquals(Shape.of(2, 3, 5), LpPool1D.builder(2).kernel(2).ceilMode(true).build()
        .outputShape(Shape.of(2, 3, 9)));
    assertEquals(Shape.of(1, 2, 2, 3), LpPool2D.of(2, 2).outputShape(Shape.of(1, 2, 5, 7)));
    assertEquals(Shape.of(1, 2, 3, 4), LpPool2D.builder(2).kernel(2).ceilMode(true).build()
        .outputShape(Shape.of(1, 2, 5, 7)));
    assertEquals(Shape.of(1, 2, 2, 2, 3), LpPool3D.of(3, 2).outputShape(Shape.of(1, 2, 4, 5, 7)));
    assertEquals("LpPool3D(p=3.0, k=3x2x2, s=2x1x1, ceil_mode)", LpPool3D.builder(3).kernel(3, 2, 2).stride(2, 1, 1)
        .ceilMode(true).build().toString());
    assertEquals(2.5, LpPool1D.of(2.5, 2).normType());
    // x^p per input, the average pool's adds and divides, a root per output.
    assertEquals(2 * 3 * 8 + Pool1D.avg(2).flops(Shape.of(2, 3, 8)) + 2 * 3 * 4,
        LpPool1D.of(2, 2).flops(Shape.of(2, 3, 8)));
    assertEquals("LpPool1D(p=2.0, k=2, s=2): input [2, 3] has rank 2 (expected: 3, [N, C, L])",
        rejects(() -> LpPool1D.of(2, 2).forward(Tensor.zeros(2, 3), true)).getMessage());
    assertEquals("LpPool2D(p=2.0, k=3x3, s=3x3): input [1, 1, 2, 5] has size 2x5 (expected: at least the kernel 3x3)",
        rejects(() -> LpPool2D.of(2, 3).outputShape(Shape.of(1, 1, 2, 5))).getMessage());
    assertEquals("LpPool3D(p=2.0, k=2x2x2, s=2x2x2): input [1, 2, 4, 5] has rank 4 (expected: 5, [N, C, D, H, W])",
        rejects(() -> LpPool3D.of(2, 2).outputShape(Shape.of(1, 2, 4, 5))).getMessage());
    assertEquals("LpPool1D(p=0.0, k=2, s=2): norm_type 0.0 (expected: finite and > 0)",
        rejects(() -> LpPool1D.of(0, 2)).getMessage());
    assertEquals("LpPool2D(p=2.0, k=2x0, s=2x0): kernel 2x0 (expected: >= 1)",
        rejects(() -> LpPool2D.builder(2).kernel(2, 0).build()).getMessage());
    assertEquals("LpPool3D(p=2.0, k=2x2x2, s=1x0x1): stride 1x0x1 (expected: >= 1)",
        rejects(() -> LpPool3D.builder(2).kernel(2).stride(1, 0, 1).build()).getMessage());
    assertEquals("LpPool1D: no kernel size (expected: .kernel(k), as PyTorch's kernel_size)",
        rejects(() -> LpPool1D.builder(2).build()).getMessage());
  }

  static IllegalArgumentException rejects(Runnable r) {
    return assertThrows(IllegalArgumentException.class, r::run);
  }
}

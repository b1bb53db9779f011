package org.autoprop.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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

/**
 * The 1-D and 3-D layers beside the convolutions: BatchNorm3D, Pool1D, Pool3D, AdaptiveAvgPool1D/3D,
 * GlobalAvgPool1D/3D, Dropout1D/3D against PyTorch, finite differences, and bad inputs.
 */
class LayersNDTest {
  private static final KernelProvider[] BOTH = {KernelProvider.scalar(), KernelProvider.vector()};

  static Stream<String> files(String... prefixes) throws IOException {
    try (Stream<Path> files = Files.list(Conformance.dir())) {
      return files.map(p -> p.getFileName().toString())
          .filter(f -> f.endsWith(".safetensors") && Stream.of(prefixes).anyMatch(f::startsWith))
          .sorted().toList().stream();
    }
  }

  static Stream<String> batchNormFiles() throws IOException {
    return files("batchnorm3d_");
  }

  static Stream<String> poolFiles() throws IOException {
    return files("pool1d_", "pool3d_");
  }

  static Stream<String> adaptiveFiles() throws IOException {
    return files("adaptive1d_", "adaptive3d_");
  }

  @Test
  void conformanceFilesArePresent() throws IOException {
    assertEquals(2, batchNormFiles().count());
    assertTrue(poolFiles().count() >= 11, "pool files");
    assertTrue(adaptiveFiles().count() >= 6, "adaptive files");
  }

  static int[] ints(String csv) {
    return Conv3DTest.ints(csv);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("batchNormFiles")
  void batchNorm3DMatchesPyTorch(String file) {
    SafeTensors f = Conformance.load(file);
    boolean training = "train".equals(f.metadata().get("mode"));
    for (KernelProvider kernels : BOTH) {
      BatchNorm3D bn = KernelProvider.building(kernels, () -> new BatchNorm3D(3));
      bn.parameters().get(0).value().copyFrom(f.tensor("weight"));
      bn.parameters().get(1).value().copyFrom(f.tensor("bias"));
      bn.runningMean().copyFrom(f.tensor("running_mean"));
      bn.runningVar().copyFrom(f.tensor("running_var"));
      String what = file + " on " + kernels.description();
      Conformance.assertClose(what + " y", f.tensor("y"), bn.forward(f.tensor("x"), training));
      Conformance.assertClose(what + " after.running_mean", f.tensor("after.running_mean"), bn.runningMean());
      Conformance.assertClose(what + " after.running_var", f.tensor("after.running_var"), bn.runningVar());
      Conformance.assertClose(what + " gx", f.tensor("gx"), bn.backward(f.tensor("gy")));
      Conformance.assertClose(what + " grad.weight", f.tensor("grad.weight"), bn.parameters().get(0).grad());
      Conformance.assertClose(what + " grad.bias", f.tensor("grad.bias"), bn.parameters().get(1).grad());
    }
  }

  static Layer pool(Map<String, String> m) {
    boolean max = "max".equals(m.get("mode"));
    int[] k = ints(m.get("kernel"));
    int[] s = ints(m.get("stride"));
    int[] p = ints(m.get("padding"));
    boolean ceil = Boolean.parseBoolean(m.get("ceil_mode"));
    boolean countPad = Boolean.parseBoolean(m.get("count_include_pad"));
    if (k.length == 1) {
      return Pool1D.builder(max).kernel(k[0]).stride(s[0]).padding(p[0]).ceilMode(ceil).countIncludePad(countPad)
          .build();
    }
    return Pool3D.builder(max).kernel(k[0], k[1], k[2]).stride(s[0], s[1], s[2]).padding(p[0], p[1], p[2])
        .ceilMode(ceil).countIncludePad(countPad).build();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("poolFiles")
  void poolsMatchPyTorch(String file) {
    SafeTensors f = Conformance.load(file);
    for (KernelProvider kernels : BOTH) {
      Layer layer = KernelProvider.building(kernels, () -> pool(f.metadata()));
      String what = file + " " + layer + " on " + kernels.description();
      assertEquals(f.tensor("y").shape(), layer.outputShape(f.tensor("x").shape()), what);
      Conformance.assertClose(what + " y", f.tensor("y"), layer.forward(f.tensor("x"), true));
      Conformance.assertClose(what + " gx", f.tensor("gx"), layer.backward(f.tensor("gy")));
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("adaptiveFiles")
  void adaptivePoolsMatchPyTorch(String file) {
    SafeTensors f = Conformance.load(file);
    int[] out = ints(f.metadata().get("output_size"));
    for (KernelProvider kernels : BOTH) {
      Layer layer = KernelProvider.building(kernels, () -> out.length == 1
          ? (out[0] == 1 ? new GlobalAvgPool1D() : new AdaptiveAvgPool1D(out[0]))
          : (out.length == 3 && out[0] == 1 && out[1] == 1 && out[2] == 1 ? new GlobalAvgPool3D()
              : new AdaptiveAvgPool3D(out[0], out[1], out[2])));
      String what = file + " " + layer + " on " + kernels.description();
      Conformance.assertClose(what + " y", f.tensor("y"), layer.forward(f.tensor("x"), true));
      Conformance.assertClose(what + " gx", f.tensor("gx"), layer.backward(f.tensor("gy")));
    }
  }

  /** A random pool of rank 1 or 3 and an input it takes. */
  record PoolCase(Layer layer, Shape input) {}

  static PoolCase randomPool(SplittableRandom r, KernelProvider kernels) {
    boolean three = r.nextBoolean();
    boolean max = r.nextBoolean();
    int rank = three ? 3 : 1;
    int[] k = new int[rank];
    int[] s = new int[rank];
    int[] p = new int[rank];
    int[] dims = new int[rank + 2];
    dims[0] = 1 + r.nextInt(2);
    dims[1] = 1 + r.nextInt(3);
    for (int a = 0; a < rank; a++) {
      k[a] = 1 + r.nextInt(3);
      s[a] = 1 + r.nextInt(3);
      p[a] = r.nextInt(k[a] / 2 + 1);
      dims[2 + a] = k[a] + r.nextInt(5);
    }
    boolean ceil = r.nextBoolean();
    boolean countPad = r.nextBoolean();
    Layer layer = KernelProvider.building(kernels, () -> three
        ? Pool3D.builder(max).kernel(k[0], k[1], k[2]).stride(s[0], s[1], s[2]).padding(p[0], p[1], p[2])
            .ceilMode(ceil).countIncludePad(countPad).build()
        : Pool1D.builder(max).kernel(k[0]).stride(s[0]).padding(p[0]).ceilMode(ceil).countIncludePad(countPad)
            .build());
    return new PoolCase(layer, Shape.of(dims));
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#seeds")
  void poolBackwardMatchesFiniteDifferences(long seed) {
    for (KernelProvider kernels : BOTH) {
      PoolCase c = randomPool(new SplittableRandom(seed), kernels);
      // Distinct values a step apart: no max ties within the finite-difference step.
      Tensor x = Tensor.zeros(c.input());
      int n = x.size();
      SplittableRandom r = new SplittableRandom(seed + 1);
      for (int i = 0; i < n; i++) {
        x.data()[i] = (i - n / 2) * 0.01f;
      }
      for (int i = n - 1; i > 0; i--) {
        int j = r.nextInt(i + 1);
        float t = x.data()[i];
        x.data()[i] = x.data()[j];
        x.data()[j] = t;
      }
      GradCheck.Report report = GradCheck.forLayer(c.layer()).seed(seed).epsilon(1e-3).check(x);
      assertTrue(report.passed(1e-2), () -> c.layer() + " on " + c.input() + "\n" + report);
    }
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#fewSeeds")
  void adaptive3DBackwardMatchesFiniteDifferences(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    Layer layer = new AdaptiveAvgPool3D(1 + r.nextInt(3), 1 + r.nextInt(3), 1 + r.nextInt(3));
    Tensor x = Tensor.uniform(Shape.of(2, 2, 1 + r.nextInt(5), 1 + r.nextInt(5), 1 + r.nextInt(5)), -1, 1, seed);
    GradCheck.Report report = GradCheck.forLayer(layer).seed(seed).check(x);
    assertTrue(report.passed(1e-2), () -> layer + "\n" + report);
  }

  @Test
  void channelDropoutDropsWholeChannels() {
    Tensor x3 = Tensor.full(Shape.of(8, 16, 5), 1f);
    Tensor y3 = new Dropout1D(0.5, 3).forward(x3, true);
    Tensor x5 = Tensor.full(Shape.of(8, 16, 2, 3, 2), 1f);
    Tensor y5 = new Dropout3D(0.5, 3).forward(x5, true);
    for (Tensor y : new Tensor[] {y3, y5}) {
      int group = y.size() / (8 * 16);
      int dropped = 0;
      for (int g = 0; g < 8 * 16; g++) {
        float first = y.getFlat(g * group);
        assertTrue(first == 0f || first == 2f, "kept values are scaled by 1 / (1 - p): " + first);
        dropped += first == 0f ? 1 : 0;
        for (int i = 1; i < group; i++) {
          assertEquals(first, y.getFlat(g * group + i), "channel " + g + " shares one mask value");
        }
      }
      assertTrue(dropped > 30 && dropped < 98, "about half of 128 channels dropped: " + dropped);
    }
    Conformance.assertClose("evaluation is the identity", x5, new Dropout3D(0.5, 3).forward(x5, false), 0);
  }

  static IllegalArgumentException rejects(Runnable r) {
    return assertThrows(IllegalArgumentException.class, r::run);
  }

  @Test
  void shapesNamesAndErrors() {
    assertEquals(Shape.of(2, 3, 5), Pool1D.max(2).outputShape(Shape.of(2, 3, 11)));
    assertEquals(Shape.of(2, 3, 6), Pool1D.builder(true).kernel(2).ceilMode(true).build()
        .outputShape(Shape.of(2, 3, 11)));
    assertEquals("MaxPool3D(k=2x3x3, s=2x2x1, p=1x1x0, ceil_mode)", Pool3D.builder(true).kernel(2, 3, 3)
        .stride(2, 2, 1).padding(1, 1, 0).ceilMode(true).build().toString());
    assertEquals("AvgPool1D(k=3, s=3, p=1, count_include_pad=false)",
        Pool1D.builder(false).kernel(3).padding(1).countIncludePad(false).build().toString());
    assertEquals(Shape.of(1, 2, 2, 2, 3), Pool3D.avg(2).outputShape(Shape.of(1, 2, 4, 5, 7)));
    assertEquals(2L * 3 * 5 * 2, Pool1D.max(2).flops(Shape.of(2, 3, 11)));
    assertEquals("MaxPool1D(k=2, s=2, p=0): input [2, 3] has rank 2 (expected: 3, [N, C, L])",
        rejects(() -> Pool1D.max(2).forward(Tensor.zeros(2, 3), true)).getMessage());
    assertEquals("AvgPool3D(k=3x3x3, s=3x3x3, p=0x0x0): input [1, 1, 2, 5, 5] has padded size 2x5x5 "
        + "(expected: at least the kernel 3x3x3)", rejects(() -> Pool3D.avg(3).outputShape(Shape.of(1, 1, 2, 5, 5)))
        .getMessage());
    assertEquals("MaxPool3D(k=2x2x2, s=2x2x2, p=0x2x0): padding 0x2x0 must be at most half the kernel "
        + "(expected: <= 1x1x1)", rejects(() -> Pool3D.builder(true).kernel(2).padding(0, 2, 0).build()).getMessage());
    assertEquals("AvgPool1D(k=0, s=0, p=0): kernel 0 (expected: >= 1)",
        rejects(() -> Pool1D.avg(0)).getMessage());
    assertEquals("MaxPool1D: no kernel size (expected: .kernel(k), as PyTorch's kernel_size)",
        rejects(() -> Pool1D.builder(true).build()).getMessage());
    assertEquals(Shape.of(2, 3, 1, 1, 1), new GlobalAvgPool3D().outputShape(Shape.of(2, 3, 4, 5, 6)));
    assertEquals("GlobalAvgPool3D: input [2, 3, 4] has rank 3 (expected: 5, [N, C, D, H, W])",
        rejects(() -> new GlobalAvgPool3D().outputShape(Shape.of(2, 3, 4))).getMessage());
    assertEquals("AdaptiveAvgPool3D: output size 1x0x2 (expected: >= 1x1x1)",
        rejects(() -> new AdaptiveAvgPool3D(1, 0, 2)).getMessage());
    assertEquals("AdaptiveAvgPool1D(4): input [2, 3, 4, 5] has rank 4 (expected: 3, [N, C, L])",
        rejects(() -> new AdaptiveAvgPool1D(4).outputShape(Shape.of(2, 3, 4, 5))).getMessage());
    assertEquals("BatchNorm3D(3): input [2, 3, 4, 5] has rank 4 (expected: 5, [N, 3, D, H, W])",
        rejects(() -> new BatchNorm3D(3).outputShape(Shape.of(2, 3, 4, 5))).getMessage());
    assertEquals("BatchNorm3D(3): input [2, 4, 1, 4, 5] has 4 channels (expected: 3)",
        rejects(() -> new BatchNorm3D(3).outputShape(Shape.of(2, 4, 1, 4, 5))).getMessage());
    assertEquals(List.of("running_mean", "running_var", "num_batches_tracked"),
        List.copyOf(new BatchNorm3D(2).buffers().keySet()));
    assertEquals("Dropout1D(p=0.5): input [2, 3, 4, 5] has rank 4 (expected: 3, [N, C, L])",
        rejects(() -> new Dropout1D(0.5, 1).outputShape(Shape.of(2, 3, 4, 5))).getMessage());
    assertEquals("Dropout3D(p=0.5): input [2, 3, 4, 5] has rank 4 (expected: 5, [N, C, D, H, W])",
        rejects(() -> new Dropout3D(0.5, 1).outputShape(Shape.of(2, 3, 4, 5))).getMessage());
    assertEquals("Dropout3D: p 1.0 (expected: 0 <= p < 1)", rejects(() -> new Dropout3D(1.0, 1)).getMessage());
  }

  @Test
  void depthwiseFactoriesSetGroupsAndMultiplier() {
    Conv1D c1 = DepthConv1D.builder(4, 2).kernel(3).padding("same").build();
    assertEquals("Conv1D(4->8, k=3, padding=same, groups=4)", c1.toString());
    assertEquals(Shape.of(8, 1, 3), c1.weight().value().shape());
    Conv3D c3 = DepthConv3D.of(3, 1, 3);
    assertEquals("Conv3D(3->3, k=3x3x3, groups=3)", c3.toString());
    assertEquals(Shape.of(3, 1, 3, 3, 3), c3.weight().value().shape());
    assertEquals("DepthConv3D: channels 3, multiplier 0 (expected: >= 1 each)",
        rejects(() -> DepthConv3D.builder(3, 0)).getMessage());
  }
}

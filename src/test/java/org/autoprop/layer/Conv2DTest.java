package org.autoprop.layer;

import static org.autoprop.testing.TestTensors.maxAbsDiff;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.autoprop.io.SafeTensors;
import org.autoprop.kernel.KernelProvider;
import org.autoprop.kernel.ParallelPolicy;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.testing.Conformance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Conv2D against PyTorch, finite differences, a naive reference, the scalar kernels, and bad inputs. */
class Conv2DTest {

  /** A random small configuration and a fitting input shape. */
  record Setting(int in, int out, int kh, int kw, int sh, int sw, Padding padding, int dh, int dw, int groups,
      boolean bias, Shape input) {
    Conv2D build(long seed, KernelProvider kernels) {
      return KernelProvider.building(kernels, () -> Conv2D.builder(in, out).kernel(kh, kw).stride(sh, sw)
          .padding(padding).dilation(dh, dw).groups(groups).bias(bias).seed(seed).build());
    }
  }

  static Setting randomSetting(SplittableRandom r) {
    while (true) {
      int in = 1 + r.nextInt(5);
      int out = 1 + r.nextInt(5);
      int groups = 1;
      switch (r.nextInt(3)) {
        case 0: // depthwise
          out = in;
          groups = in;
          break;
        case 1: // grouped: any common divisor
          int g = 1 + r.nextInt(Math.min(in, out));
          if (in % g == 0 && out % g == 0) {
            groups = g;
          }
          break;
        default:
          break;
      }
      int kh = 1 + r.nextInt(5);
      int kw = r.nextInt(3) == 0 ? kh : 1 + r.nextInt(5);
      boolean strided = r.nextInt(3) == 0;
      int sh = strided ? 1 + r.nextInt(3) : 1;
      int sw = strided ? 1 + r.nextInt(3) : 1;
      int dh = 1 + r.nextInt(2);
      int dw = 1 + r.nextInt(2);
      Padding padding;
      int kind = r.nextInt(3);
      if (kind == 0 && sh == 1 && sw == 1 && dh * (kh - 1) % 2 == 0 && dw * (kw - 1) % 2 == 0) {
        padding = Padding.SAME;
      } else if (kind == 1) {
        padding = Padding.VALID;
      } else {
        padding = Padding.of(r.nextInt(3), r.nextInt(3));
      }
      Shape input = Shape.of(1 + r.nextInt(3), in, 1 + r.nextInt(9), 1 + r.nextInt(9));
      int[] p = padding.resolve(kh, kw, sh, sw, dh, dw);
      if (input.dim(2) + 2 * p[0] >= dh * (kh - 1) + 1 && input.dim(3) + 2 * p[1] >= dw * (kw - 1) + 1) {
        return new Setting(in, out, kh, kw, sh, sw, padding, dh, dw, groups, r.nextBoolean(), input);
      }
    }
  }

  /** The definition, evaluated naively in double. */
  static double[] reference(Conv2D conv, Setting s, Tensor x) {
    Shape ys = conv.outputShape(x.shape());
    int[] p = conv.resolvedPadding();
    int inG = s.in() / s.groups();
    int outG = s.out() / s.groups();
    double[] y = new double[ys.size()];
    int at = 0;
    for (int n = 0; n < ys.dim(0); n++) {
      for (int o = 0; o < s.out(); o++) {
        for (int oy = 0; oy < ys.dim(2); oy++) {
          for (int ox = 0; ox < ys.dim(3); ox++) {
            double v = s.bias() ? conv.bias().value().get(o) : 0;
            for (int c = 0; c < inG; c++) {
              for (int i = 0; i < s.kh(); i++) {
                for (int j = 0; j < s.kw(); j++) {
                  int iy = oy * s.sh() - p[0] + i * s.dh();
                  int ix = ox * s.sw() - p[1] + j * s.dw();
                  if (iy >= 0 && iy < x.dim(2) && ix >= 0 && ix < x.dim(3)) {
                    v += (double) conv.weight().value().get(o, c, i, j) * x.get(n, o / outG * inG + c, iy, ix);
                  }
                }
              }
            }
            y[at++] = v;
          }
        }
      }
    }
    return y;
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#seeds")
  void forwardMatchesTheDefinition(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    Setting s = randomSetting(r);
    Conv2D conv = s.build(seed, KernelProvider.get());
    if (s.bias()) {
      conv.bias().value().copyFrom(Tensor.uniform(Shape.of(s.out()), -1, 1, seed + 1));
    }
    Tensor x = Tensor.uniform(s.input(), -1, 1, seed + 2);
    Tensor y = conv.forward(x, true);
    double[] expected = reference(conv, s, x);
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], y.getFlat(i), 1e-4 * (1 + Math.abs(expected[i])), s + " at " + i);
    }
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#seeds")
  void backwardMatchesFiniteDifferences(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    Setting s = randomSetting(r);
    Conv2D conv = s.build(seed, KernelProvider.get());
    if (s.bias()) {
      conv.bias().value().copyFrom(Tensor.uniform(Shape.of(s.out()), -1, 1, seed + 1));
    }
    Tensor x = Tensor.uniform(s.input(), -1, 1, seed + 2);
    GradCheck.Report report = GradCheck.forLayer(conv).seed(seed).maxChecksPerTensor(60).check(x);
    assertEquals(s.bias() ? 3 : 2, report.entries().size());
    assertTrue(report.passed(1e-2), () -> s + "\n" + report);
  }

  /** Settings that force each code path: pointwise GEMM, grouped, depthwise direct, channel multiplier. */
  static Stream<Setting> paths() {
    return Stream.of(
        new Setting(5, 3, 1, 1, 1, 1, Padding.VALID, 1, 1, 1, true, Shape.of(3, 5, 4, 7)),
        new Setting(4, 6, 1, 1, 1, 1, Padding.of(0), 2, 2, 2, false, Shape.of(2, 4, 3, 5)),
        new Setting(4, 4, 1, 1, 2, 1, Padding.VALID, 1, 1, 1, true, Shape.of(2, 4, 5, 5)),
        new Setting(3, 3, 3, 2, 2, 3, Padding.of(1, 2), 2, 1, 3, true, Shape.of(3, 3, 9, 8)),
        new Setting(5, 5, 5, 5, 1, 1, Padding.SAME, 1, 1, 5, false, Shape.of(2, 5, 6, 17)),
        new Setting(2, 6, 3, 3, 1, 1, Padding.SAME, 1, 1, 2, true, Shape.of(2, 2, 5, 4)),
        new Setting(6, 4, 2, 3, 3, 2, Padding.VALID, 2, 1, 2, true, Shape.of(3, 6, 9, 7)),
        new Setting(1, 1, 5, 1, 1, 1, Padding.of(4, 0), 2, 1, 1, true, Shape.of(1, 1, 1, 3)),
        // Weight-gradient rows longer than Conv2D.DOT_WEIGHT_GRAD: the transposed-GEMM path.
        new Setting(8, 5, 3, 3, 1, 1, Padding.SAME, 1, 1, 1, true, Shape.of(2, 8, 6, 7)),
        new Setting(8, 4, 3, 3, 2, 2, Padding.of(1), 1, 1, 2, true, Shape.of(2, 8, 7, 9)),
        new Setting(40, 3, 1, 1, 1, 1, Padding.VALID, 1, 1, 1, false, Shape.of(2, 40, 3, 5)),
        // At stride 1 with in/groups >= Conv2D.TRANSPOSED_MIN_IN: the input gradient as a
        // transposed convolution (flipped kernel, implicit columns); uneven kernel and padding,
        // dilation, groups; and padding beyond dilation*(k-1), which falls back to col2im.
        new Setting(12, 7, 3, 2, 1, 1, Padding.of(1, 0), 1, 1, 1, true, Shape.of(2, 12, 6, 5)),
        new Setting(26, 4, 3, 3, 1, 1, Padding.SAME, 2, 1, 2, true, Shape.of(2, 26, 7, 6)),
        new Setting(13, 3, 2, 3, 1, 1, Padding.of(2, 1), 1, 1, 1, false, Shape.of(1, 13, 4, 5)),
        // At stride > 1 with in/groups >= Conv2D.TRANSPOSED_MIN_IN: the input gradient phase by
        // phase (ConvKernels.backwardData); CONV-DOWN's kernel, then strides and dilations
        // that differ between the axes, groups, and stride 3 over a 2-wide kernel (empty phases).
        new Setting(12, 5, 3, 3, 2, 2, Padding.of(1), 1, 1, 1, true, Shape.of(2, 12, 8, 7)),
        new Setting(28, 6, 3, 2, 2, 3, Padding.of(2, 1), 2, 1, 2, true, Shape.of(2, 28, 9, 11)),
        new Setting(12, 3, 2, 2, 3, 3, Padding.VALID, 1, 1, 1, false, Shape.of(1, 12, 7, 8)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("paths")
  void everyCodePathMatchesTheDefinitionAndFiniteDifferences(Setting s) {
    for (KernelProvider kernels : new KernelProvider[] {KernelProvider.scalar(), KernelProvider.vector()}) {
      Conv2D conv = s.build(5, kernels);
      if (s.bias()) {
        conv.bias().value().copyFrom(Tensor.uniform(Shape.of(s.out()), -1, 1, 6));
      }
      Tensor x = Tensor.uniform(s.input(), -1, 1, 7);
      Tensor y = conv.forward(x, true);
      double[] expected = reference(conv, s, x);
      for (int i = 0; i < expected.length; i++) {
        assertEquals(expected[i], y.getFlat(i), 1e-4 * (1 + Math.abs(expected[i])), s + " at " + i);
      }
      GradCheck.Report report = GradCheck.forLayer(conv).maxChecksPerTensor(80).check(x);
      assertTrue(report.passed(1e-2), () -> s + " on " + kernels.description() + "\n" + report);
    }
  }

  /** The layer on the scalar kernels against the layer on the vector kernels, forward and backward. */
  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#fewSeeds")
  void vectorKernelsMatchScalar(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    Setting s = randomSetting(r);
    Conv2D scalar = s.build(seed, KernelProvider.scalar());
    Conv2D vector = s.build(seed, KernelProvider.vector());
    Tensor x = Tensor.uniform(s.input(), -1, 1, seed + 2);
    Tensor ys = scalar.forward(x, true);
    Tensor yv = vector.forward(x, true);
    Conformance.assertClose("y " + s, ys, yv, 1e-5);
    Tensor gy = Tensor.uniform(ys.shape(), -1, 1, seed + 3);
    Conformance.assertClose("gx " + s, scalar.backward(gy), vector.backward(gy), 1e-5);
    for (int i = 0; i < scalar.parameters().size(); i++) {
      Conformance.assertClose(scalar.parameters().get(i).name(), scalar.parameters().get(i).grad(),
          vector.parameters().get(i).grad(), 1e-5);
    }
  }

  /**
   * A batch large enough to be split across the engine threads (above ParallelPolicy.CONV) against
   * the same layer fed one image at a time (serial): outputs, input and parameter gradients agree.
   */
  @ParameterizedTest(name = "stride={0}")
  @ValueSource(ints = {1, 2})
  void batchSplitAcrossThreadsMatchesImageByImage(int stride) {
    for (KernelProvider kernels : new KernelProvider[] {KernelProvider.scalar(), KernelProvider.vector()}) {
      Conv2D batched = KernelProvider.building(kernels,
          () -> Conv2D.builder(16, 12).kernel(3).stride(stride).padding(1).seed(4).build());
      Conv2D single = KernelProvider.building(kernels,
          () -> Conv2D.builder(16, 12).kernel(3).stride(stride).padding(1).seed(4).build());
      Shape xs = Shape.of(5, 16, 24, 24);
      assertTrue(batched.flops(xs) / 2 >= ParallelPolicy.CONV.minWork(), "the batch must be above the threshold");
      Tensor x = Tensor.uniform(xs, -1, 1, 8);
      Tensor y = batched.forward(x, true);
      Tensor gy = Tensor.uniform(y.shape(), -1, 1, 9);
      Tensor gx = batched.backward(gy);
      int imgIn = 16 * 24 * 24;
      int imgOut = y.size() / 5;
      for (int n = 0; n < 5; n++) {
        Tensor xi = Tensor.zeros(1, 16, 24, 24);
        System.arraycopy(x.data(), n * imgIn, xi.data(), 0, imgIn);
        Tensor yi = single.forward(xi, true);
        Tensor gyi = Tensor.zeros(yi.shape().dims());
        System.arraycopy(gy.data(), n * imgOut, gyi.data(), 0, imgOut);
        Tensor gxi = single.backward(gyi);
        for (int i = 0; i < imgOut; i++) {
          assertEquals(yi.getFlat(i), y.getFlat(n * imgOut + i), 1e-5, "y of image " + n + " at " + i);
        }
        for (int i = 0; i < imgIn; i++) {
          assertEquals(gxi.getFlat(i), gx.getFlat(n * imgIn + i), 1e-5, "gx of image " + n + " at " + i);
        }
      }
      Conformance.assertClose("weight grad", single.weight().grad(), batched.weight().grad(), 1e-4);
      Conformance.assertClose("bias grad", single.bias().grad(), batched.bias().grad(), 1e-4);
    }
  }

  static Stream<String> conformanceFiles() throws IOException {
    try (Stream<Path> files = Files.list(Conformance.dir())) {
      return files.map(p -> p.getFileName().toString())
          .filter(f -> f.startsWith("conv_") && f.endsWith(".safetensors"))
          .sorted().toList().stream();
    }
  }

  @Test
  void conformanceFilesArePresent() throws IOException {
    assertTrue(conformanceFiles().count() >= 7, "conv_*.safetensors files in " + Conformance.dir());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("conformanceFiles")
  void matchesPyTorch(String file) {
    SafeTensors st = Conformance.load(file);
    Map<String, String> m = st.metadata();
    assertEquals("Conv2D", m.get("layer"));
    boolean hasBias = Boolean.parseBoolean(m.get("bias").toLowerCase());
    for (KernelProvider kernels : new KernelProvider[] {KernelProvider.scalar(), KernelProvider.vector()}) {
      Conv2D conv = KernelProvider.building(kernels, () -> Conv2D.builder(Integer.parseInt(m.get("in_channels")),
              Integer.parseInt(m.get("out_channels")))
          .kernel(Integer.parseInt(m.get("kernel_h")), Integer.parseInt(m.get("kernel_w")))
          .stride(Integer.parseInt(m.get("stride")))
          .padding(m.get("padding"))
          .dilation(Integer.parseInt(m.get("dilation")))
          .groups(Integer.parseInt(m.get("groups")))
          .bias(hasBias)
          .build());
      conv.weight().value().copyFrom(st.tensor("weight"));
      if (hasBias) {
        conv.bias().value().copyFrom(st.tensor("bias"));
      }
      String what = file + " on " + kernels.description();
      Conformance.assertClose(what + ": y", st.tensor("y"), conv.forward(st.tensor("x"), true));
      conv.zeroGrad();
      Conformance.assertClose(what + ": gx", st.tensor("gx"), conv.backward(st.tensor("gy")));
      Conformance.assertClose(what + ": grad.weight", st.tensor("grad.weight"), conv.weight().grad());
      if (hasBias) {
        Conformance.assertClose(what + ": grad.bias", st.tensor("grad.bias"), conv.bias().grad());
      } else {
        assertEquals(1, conv.parameters().size(), what);
      }
    }
  }

  @Test
  void buffersAreReusedWhileTheShapeIsUnchanged() {
    Conv2D conv = Conv2D.builder(3, 4).kernel(3).padding(1).seed(7).build();
    Tensor x3 = Tensor.uniform(Shape.of(3, 3, 6, 5), -1, 1, 1);
    Tensor y1 = conv.forward(x3, true);
    Tensor gy = Tensor.uniform(y1.shape(), -1, 1, 2);
    Tensor g1 = conv.backward(gy);
    Tensor y2 = conv.forward(x3, true);
    Tensor g2 = conv.backward(gy);
    assertSame(y1, y2);
    assertSame(g1, g2);
    // A different batch size reallocates and still computes the same per-image result.
    Tensor x1 = x3.slice(0, 1, 2).contiguous();
    float[] expectedRow = y2.slice(0, 1, 2).contiguous().toArray();
    Tensor y3 = conv.forward(x1, true);
    assertNotSame(y2, y3);
    assertEquals(Shape.of(1, 4, 6, 5), y3.shape());
    float[] actual = y3.toArray();
    for (int i = 0; i < actual.length; i++) {
      assertEquals(expectedRow[i], actual[i], 1e-6, "at " + i);
    }
  }

  @Test
  void gradientsAccumulateAcrossBackwardCalls() {
    Conv2D conv = Conv2D.builder(2, 3).kernel(3, 2).stride(2, 1).padding(1).seed(3).build();
    Tensor x = Tensor.uniform(Shape.of(2, 2, 5, 4), -1, 1, 4);
    Tensor gy = Tensor.uniform(conv.forward(x, true).shape(), -1, 1, 5);
    conv.backward(gy);
    Tensor once = conv.weight().grad().copy();
    Tensor onceBias = conv.bias().grad().copy();
    conv.backward(gy);
    for (int i = 0; i < once.size(); i++) {
      assertEquals(2 * once.getFlat(i), conv.weight().grad().getFlat(i), 1e-5, "weight grad at " + i);
    }
    for (int i = 0; i < onceBias.size(); i++) {
      assertEquals(2 * onceBias.getFlat(i), conv.bias().grad().getFlat(i), 1e-5, "bias grad at " + i);
    }
  }

  @Test
  void doesNotWriteIntoItsInputs() {
    Conv2D conv = Conv2D.builder(2, 2).kernel(1).groups(2).seed(1).build();
    Tensor x = Tensor.uniform(Shape.of(2, 2, 3, 3), -1, 1, 1);
    Tensor xCopy = x.copy();
    Tensor gy = Tensor.uniform(Shape.of(2, 2, 3, 3), -1, 1, 2);
    Tensor gyCopy = gy.copy();
    conv.forward(x, true);
    conv.backward(gy);
    assertEquals(0, maxAbsDiff(x, xCopy));
    assertEquals(0, maxAbsDiff(gy, gyCopy));
  }

  @Test
  void defaultConstructorPadsNothing() {
    Conv2D conv = new Conv2D(3, 6, 5);
    assertEquals(Shape.of(2, 6, 3, 5), conv.outputShape(Shape.of(2, 3, 7, 9)));
    assertEquals("Conv2D", conv.typeName());
    assertEquals(Shape.of(6, 3, 5, 5), conv.weight().value().shape());
    assertEquals(0, conv.bias().value().maxAbs(), "bias starts at zero");
    double bound = Math.sqrt(6.0 / (3 * 25));
    assertTrue(conv.weight().value().maxAbs() <= bound, "He-uniform bound " + bound);
    assertTrue(conv.weight().value().maxAbs() > bound / 2, "weights are initialised");
  }

  @Test
  void flopsCountMultiplyAddsTwice() {
    Conv2D conv = Conv2D.builder(4, 6).kernel(3, 2).stride(2).padding(1).groups(2).build();
    Shape y = conv.outputShape(Shape.of(3, 4, 9, 8));
    assertEquals(2L * 3 * 6 * y.dim(2) * y.dim(3) * 2 * 3 * 2, conv.flops(Shape.of(3, 4, 9, 8)));
  }

  @Test
  void seedsMakeWeightsReproducible() {
    Tensor a = Conv2D.builder(3, 4).kernel(3).seed(11).build().weight().value();
    Tensor b = Conv2D.builder(3, 4).kernel(3).seed(11).build().weight().value();
    Tensor c = Conv2D.builder(3, 4).kernel(3).seed(12).build().weight().value();
    Tensor d = Conv2D.builder(3, 4).kernel(3).build().weight().value();
    Tensor e = Conv2D.builder(3, 4).kernel(3).build().weight().value();
    assertEquals(0, maxAbsDiff(a, b));
    assertTrue(maxAbsDiff(a, c) > 0);
    assertTrue(maxAbsDiff(d, e) > 0, "the default seed sequence gives each layer its own seed");
  }

  static IllegalArgumentException rejects(Runnable r) {
    return assertThrows(IllegalArgumentException.class, r::run);
  }

  static void assertMessage(IllegalArgumentException e, String... parts) {
    for (String p : parts) {
      assertTrue(e.getMessage().contains(p), () -> "message '" + e.getMessage() + "' lacks '" + p + "'");
    }
  }

  @Test
  void rejectsInputsOfTheWrongShape() {
    Conv2D conv = new Conv2D(3, 6, 3);
    assertMessage(rejects(() -> conv.forward(Tensor.zeros(2, 4, 8, 8), true)),
        "Conv2D(3->6, k=3x3", "input [2, 4, 8, 8] has 4 channels (expected: 3)");
    assertMessage(rejects(() -> conv.forward(Tensor.zeros(2, 3, 8), true)),
        "Conv2D(3->6, k=3x3", "[2, 3, 8] has rank 3 (expected: 4");
    Conv2D big = Conv2D.builder(1, 1).kernel(5, 3).padding(Padding.of(1, 0)).dilation(2, 1).build();
    assertMessage(rejects(() -> big.outputShape(Shape.of(1, 1, 6, 3))),
        "Conv2D(1->1, k=5x3, padding=1x0, dilation=2x1)", "input [1, 1, 6, 3]", "8x3",
        "dilated kernel 9x3", "expected: at least 9x3");
    assertEquals(Shape.of(1, 1, 1, 1), big.outputShape(Shape.of(1, 1, 7, 3)));
    Tensor y = conv.forward(Tensor.zeros(1, 3, 4, 4), true);
    assertMessage(rejects(() -> conv.backward(Tensor.zeros(1, 6, 4, 5))),
        "gradient [1, 6, 4, 5] (expected: " + y.shape());
    IllegalStateException early = assertThrows(IllegalStateException.class,
        () -> new Conv2D(1, 1, 1).backward(Tensor.zeros(1, 1, 1, 1)));
    assertTrue(early.getMessage().contains("before forward"), early.getMessage());
  }

  @Test
  void rejectsBadConfigurations() {
    assertMessage(rejects(() -> Conv2D.builder(4, 6).kernel(3).groups(4).build()),
        "Conv2D(4->6, k=3x3, groups=4)", "groups 4", "in channels 4 and out channels 6");
    assertMessage(rejects(() -> Conv2D.builder(4, 6).kernel(3).groups(0).build()), "groups 0");
    assertMessage(rejects(() -> Conv2D.builder(3, 6).kernel(3).stride(0, 1).build()),
        "Conv2D(3->6, k=3x3, stride=0x1)", "stride 0x1 (expected: >= 1");
    assertMessage(rejects(() -> Conv2D.builder(3, 6).kernel(3).dilation(-1).build()),
        "dilation -1x-1 (expected: >= 1");
    assertMessage(rejects(() -> Conv2D.builder(3, 6).kernel(0, 3).build()), "kernel 0x3 (expected: >= 1");
    assertMessage(rejects(() -> Conv2D.builder(0, 6).kernel(1).build()), "channels 0->6");
    assertEquals("Conv2D(3->6): no kernel size (expected: .kernel(k) or .kernel(kh, kw), as PyTorch's kernel_size)",
        rejects(() -> Conv2D.builder(3, 6).build()).getMessage());
    assertMessage(rejects(() -> Conv2D.builder(3, 6).kernel(3).stride(2).padding("same").build()),
        "Conv2D(3->6, k=3x3, stride=2x2, padding=same)", "needs stride 1 (got stride 2x2)");
    assertMessage(rejects(() -> Conv2D.builder(3, 6).kernel(4).padding(Padding.SAME).build()),
        "Conv2D(3->6, k=4x4, padding=same)", "kernel 4x4");
    assertMessage(rejects(() -> Conv2D.builder(3, 6).kernel(3).stride(2).padding("same").build()),
        "use explicit padding .padding(1)", "ceil(size / stride)");
    assertMessage(rejects(() -> Conv2D.builder(3, 6).padding("-1").build()), "padding: -1x-1 (expected: >= 0");
    assertMessage(rejects(() -> Conv2D.builder(3, 6).padding("full").build()), "\"full\"");
  }

  /** One default: the constructor and the builder both mean PyTorch's nn.Conv2d(in, out, k), padding 0. */
  @Test
  void constructorAndBuilderShareThePyTorchDefaults() {
    Shape x = Shape.of(2, 3, 9, 7);
    Conv2D plain = new Conv2D(3, 6, 3);
    Conv2D built = Conv2D.builder(3, 6).kernel(3).build();
    assertEquals(Shape.of(2, 6, 7, 5), plain.outputShape(x));
    assertEquals(plain.outputShape(x), built.outputShape(x));
    assertEquals(built.toString(), plain.toString());
    Conv2D strided = Conv2D.builder(3, 6).kernel(3).stride(2).padding(1).build();
    assertEquals(Shape.of(2, 6, 5, 4), strided.outputShape(x), "ceil(9 / 2) x ceil(7 / 2), as TensorFlow's 'same'");
  }

  @ParameterizedTest(name = "dilation={0}")
  @ValueSource(ints = {1, 2, 3})
  void samePaddingWithEvenKernelIsFineWhenTheDilatedSpanIsOdd(int dilation) {
    // Kernel 4: dilation*(4-1) is even only for even dilations.
    if (dilation % 2 == 0) {
      Conv2D conv = Conv2D.builder(1, 1).kernel(4).dilation(dilation).padding(Padding.SAME).build();
      assertEquals(Shape.of(1, 1, 9, 8), conv.outputShape(Shape.of(1, 1, 9, 8)));
    } else {
      assertMessage(rejects(() -> Conv2D.builder(1, 1).kernel(4).dilation(dilation).padding(Padding.SAME).build()),
          "kernel 4x4");
    }
  }

  /**
   * A larger batch after a smaller one of the same image size: the weight-gradient partials are
   * sized per batch (they once were sized by the first batch of an image size, and the larger one
   * then ran past them).
   */
  @Test
  void aLargerBatchAfterASmallerOneGivesTheGradientsOfAFreshLayer() {
    Shape one = Shape.of(1, 16, 24, 24);
    Shape six = Shape.of(6, 16, 24, 24);
    Conv2D reused = Conv2D.builder(16, 16).kernel(3).padding(1).seed(3).build();
    Conv2D fresh = Conv2D.builder(16, 16).kernel(3).padding(1).seed(3).build();
    assertTrue(reused.flops(one) / 2 >= ParallelPolicy.CONV.minWork(), "one image must already be above the threshold");
    reused.forward(Tensor.uniform(one, -1, 1, 1), true);
    reused.backward(Tensor.uniform(reused.outputShape(one), -1, 1, 2));
    reused.zeroGrad();
    Tensor x = Tensor.uniform(six, -1, 1, 3);
    Tensor g = Tensor.uniform(reused.outputShape(six), -1, 1, 4);
    reused.forward(x, true);
    Tensor gxReused = reused.backward(g).copy();
    fresh.forward(x, true);
    Tensor gxFresh = fresh.backward(g);
    org.junit.jupiter.api.Assertions.assertArrayEquals(fresh.weight().grad().data(), reused.weight().grad().data());
    org.junit.jupiter.api.Assertions.assertArrayEquals(fresh.bias().grad().data(), reused.bias().grad().data());
    org.junit.jupiter.api.Assertions.assertArrayEquals(gxFresh.data(), gxReused.data());
  }
}

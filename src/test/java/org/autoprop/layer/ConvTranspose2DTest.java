package org.autoprop.layer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
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

/**
 * ConvTranspose2D against PyTorch, the definition evaluated naively, finite differences, Conv2D (the
 * adjoint identity), the batch split across threads, and bad inputs.
 */
class ConvTranspose2DTest {
  private static final KernelProvider[] BOTH = {KernelProvider.scalar(), KernelProvider.vector()};

  /** A configuration ({h, w} per axis) and a fitting input. */
  record Setting(int in, int out, int[] k, int[] s, int[] p, int[] op, int[] d, int groups, boolean bias,
      Shape input) {
    ConvTranspose2D build(long seed, KernelProvider kernels) {
      return KernelProvider.building(kernels, () -> ConvTranspose2D.builder(in, out).kernel(k[0], k[1])
          .stride(s[0], s[1]).padding(p[0], p[1]).outputPadding(op[0], op[1]).dilation(d[0], d[1]).groups(groups)
          .bias(bias).seed(seed).build());
    }

    @Override
    public String toString() {
      return in + "->" + out + " k=" + k[0] + "x" + k[1] + " s=" + s[0] + "x" + s[1] + " p=" + p[0] + "x" + p[1]
          + " op=" + op[0] + "x" + op[1] + " d=" + d[0] + "x" + d[1] + " g=" + groups + " bias=" + bias + " on "
          + input;
    }
  }

  /**
   * A random setting with a non-empty output; with {@code belowStride} the output padding is below the
   * stride (so that a Conv2D maps the output back to the input's size), else below the stride or the
   * dilation.
   */
  static Setting randomSetting(SplittableRandom r, boolean belowStride) {
    while (true) {
      int in = 1 + r.nextInt(4);
      int out = 1 + r.nextInt(4);
      int groups = 1;
      if (r.nextInt(4) == 0) {
        groups = in;
        out = in * (1 + r.nextInt(2));
      } else {
        int g = 1 + r.nextInt(Math.min(in, out));
        if (in % g == 0 && out % g == 0) {
          groups = g;
        }
      }
      int[] k = new int[2];
      int[] s = new int[2];
      int[] p = new int[2];
      int[] op = new int[2];
      int[] d = new int[2];
      int[] dims = {1 + r.nextInt(2), in, 0, 0};
      boolean ok = true;
      for (int a = 0; a < 2; a++) {
        k[a] = 1 + r.nextInt(4);
        s[a] = 1 + r.nextInt(3);
        d[a] = 1 + r.nextInt(3);
        p[a] = r.nextInt(3);
        op[a] = r.nextInt(belowStride ? s[a] : Math.max(s[a], d[a]));
        dims[2 + a] = 1 + r.nextInt(5);
        ok &= (dims[2 + a] - 1) * s[a] - 2 * p[a] + d[a] * (k[a] - 1) + op[a] + 1 >= 1;
      }
      if (ok) {
        return new Setting(in, out, k, s, p, op, d, groups, r.nextBoolean(), Shape.of(dims));
      }
    }
  }

  /** The definition, evaluated naively in double: every input pixel scatters its weighted kernel. */
  static double[] reference(Tensor w, Tensor b, int[] s, int[] p, int[] d, int groups, Tensor x, Shape ys) {
    int in = x.dim(1);
    int outG = w.dim(1);
    int inG = in / groups;
    int outH = ys.dim(2);
    int outW = ys.dim(3);
    double[] y = new double[ys.size()];
    for (int n = 0; n < ys.dim(0); n++) {
      for (int o = 0; o < ys.dim(1); o++) {
        for (int at = 0; at < outH * outW; at++) {
          y[(n * ys.dim(1) + o) * outH * outW + at] = b != null ? b.get(o) : 0;
        }
      }
      for (int c = 0; c < in; c++) {
        int grp = c / inG;
        for (int iy = 0; iy < x.dim(2); iy++) {
          for (int ix = 0; ix < x.dim(3); ix++) {
            double v = x.get(n, c, iy, ix);
            for (int o = 0; o < outG; o++) {
              for (int i = 0; i < w.dim(2); i++) {
                for (int j = 0; j < w.dim(3); j++) {
                  int oy = iy * s[0] - p[0] + i * d[0];
                  int ox = ix * s[1] - p[1] + j * d[1];
                  if (oy >= 0 && oy < outH && ox >= 0 && ox < outW) {
                    y[((n * ys.dim(1) + grp * outG + o) * outH + oy) * outW + ox] += w.get(c, o, i, j) * v;
                  }
                }
              }
            }
          }
        }
      }
    }
    return y;
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#seeds")
  void forwardMatchesTheDefinitionAndBackwardFiniteDifferences(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    Setting s = randomSetting(r, false);
    for (KernelProvider kernels : BOTH) {
      ConvTranspose2D layer = s.build(seed, kernels);
      Tensor x = Tensor.uniform(s.input(), -1, 1, seed + 2);
      Tensor y = layer.forward(x, true);
      double[] expected = reference(layer.weight().value(), s.bias() ? layer.bias().value() : null, s.s(), s.p(),
          s.d(), s.groups(), x, y.shape());
      assertEquals(expected.length, y.size(), s.toString());
      for (int i = 0; i < expected.length; i++) {
        assertEquals(expected[i], y.getFlat(i), 1e-4 * (1 + Math.abs(expected[i])), s + " at " + i);
      }
      GradCheck.Report report = GradCheck.forLayer(layer).seed(seed).maxChecksPerTensor(60).check(x);
      assertEquals(s.bias() ? 3 : 2, report.entries().size());
      assertTrue(report.passed(1e-2), () -> s + " on " + kernels.description() + "\n" + report);
    }
  }

  static double dot(Tensor a, Tensor b) {
    assertEquals(a.shape(), b.shape());
    double sum = 0;
    for (int i = 0; i < a.size(); i++) {
      sum += (double) a.getFlat(i) * b.getFlat(i);
    }
    return sum;
  }

  /**
   * {@code <conv(x), y> == <x, convT(y)>} for a Conv2D {@code out -> in} that shares the weight
   * {@code [in, out/groups, kh, kw]} (its own layout {@code [out', in'/groups, kh, kw]}): the
   * transposed convolution is the adjoint of the convolution, checked against an independent layer.
   */
  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#seeds")
  void isTheAdjointOfConv2DWithTheSameWeight(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    Setting s = randomSetting(r, true);
    for (KernelProvider kernels : BOTH) {
      ConvTranspose2D convT = KernelProvider.building(kernels, () -> ConvTranspose2D.builder(s.in(), s.out())
          .kernel(s.k()[0], s.k()[1]).stride(s.s()[0], s.s()[1]).padding(s.p()[0], s.p()[1])
          .outputPadding(s.op()[0], s.op()[1]).dilation(s.d()[0], s.d()[1]).groups(s.groups()).bias(false)
          .seed(seed).build());
      Conv2D conv = KernelProvider.building(kernels, () -> Conv2D.builder(s.out(), s.in())
          .kernel(s.k()[0], s.k()[1]).stride(s.s()[0], s.s()[1]).padding(Padding.of(s.p()[0], s.p()[1]))
          .dilation(s.d()[0], s.d()[1]).groups(s.groups()).bias(false).seed(seed + 1).build());
      assertEquals(convT.weight().value().shape(), conv.weight().value().shape(), s.toString());
      conv.weight().value().copyFrom(convT.weight().value());
      Tensor y = Tensor.uniform(s.input(), -1, 1, seed + 3);
      Tensor convTy = convT.forward(y, true);
      Tensor x = Tensor.uniform(convTy.shape(), -1, 1, seed + 4);
      Tensor convX = conv.forward(x, true);
      assertEquals(y.shape(), convX.shape(), s + ": Conv2D maps the output back to the input's size");
      double left = dot(convX, y);
      double right = dot(x, convTy);
      assertEquals(left, right, 1e-4 * (1 + Math.abs(left)), s + " on " + kernels.description());
    }
  }

  /**
   * A batch above the parallel threshold (chunks and parts, whatever the thread count) against the same
   * layer fed image by image: the output and input gradient are the same bits (each image is computed
   * alone), the parameter gradients the same sums in another order.
   */
  @Test
  void batchSplitAcrossThreadsMatchesImageByImage() {
    for (KernelProvider kernels : BOTH) {
      ConvTranspose2D batched = KernelProvider.building(kernels,
          () -> ConvTranspose2D.builder(16, 8).kernel(4).stride(2).padding(1).seed(4).build());
      ConvTranspose2D single = KernelProvider.building(kernels,
          () -> ConvTranspose2D.builder(16, 8).kernel(4).stride(2).padding(1).seed(4).build());
      Shape xs = Shape.of(6, 16, 10, 10);
      assertTrue(batched.flops(xs) / 2 >= ParallelPolicy.CONV.minWork(), "the batch must be above the threshold");
      Tensor x = Tensor.uniform(xs, -1, 1, 8);
      Tensor y = batched.forward(x, true);
      Tensor gy = Tensor.uniform(y.shape(), -1, 1, 9);
      Tensor gx = batched.backward(gy);
      for (int n = 0; n < xs.dim(0); n++) {
        Tensor yi = single.forward(x.slice(0, n, n + 1), true);
        assertArrayEquals(yi.contiguous().toArray(), y.slice(0, n, n + 1).contiguous().toArray(), "y of image " + n);
        Tensor gxi = single.backward(gy.slice(0, n, n + 1));
        assertArrayEquals(gxi.contiguous().toArray(), gx.slice(0, n, n + 1).contiguous().toArray(),
            "gx of image " + n);
      }
      Conformance.assertClose("weight grad", single.weight().grad(), batched.weight().grad(), 1e-5);
      Conformance.assertClose("bias grad", single.bias().grad(), batched.bias().grad(), 1e-5);
    }
  }

  /** As a network's first layer it skips the input gradient; the parameter gradients are the same bits. */
  @Test
  void backwardWithoutTheInputGradientGivesTheSameParameterGradients() {
    for (KernelProvider kernels : BOTH) {
      // The second setting extends the input (output padding 1 at stride 1, below the dilation 2).
      for (int[] c : new int[][] {{2, 1, 1}, {1, 2, 1}}) {
        ConvTranspose2D full = KernelProvider.building(kernels, () -> ConvTranspose2D.builder(4, 6).kernel(3)
            .stride(c[0]).dilation(c[1]).outputPadding(c[2]).groups(2).seed(7).build());
        ConvTranspose2D skip = KernelProvider.building(kernels, () -> ConvTranspose2D.builder(4, 6).kernel(3)
            .stride(c[0]).dilation(c[1]).outputPadding(c[2]).groups(2).seed(7).build());
        Tensor x = Tensor.uniform(Shape.of(2, 4, 3, 4), -1, 1, 11);
        Tensor gy = Tensor.uniform(full.forward(x, true).shape(), -1, 1, 12);
        skip.forward(x, true);
        String what = full + " on " + kernels.description();
        assertTrue(full.backward(gy, true).maxAbs() > 0, what);
        assertNull(skip.backward(gy, false), what);
        assertArrayEquals(full.weight().grad().toArray(), skip.weight().grad().toArray(), what);
        assertArrayEquals(full.bias().grad().toArray(), skip.bias().grad().toArray(), what);
      }
    }
  }

  static Stream<String> files() throws IOException {
    return LayersNDTest.files("convtranspose2d_");
  }

  @Test
  void conformanceFilesArePresent() throws IOException {
    assertEquals(9, files().count(), "convtranspose2d_*.safetensors in " + Conformance.dir());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("files")
  void matchesPyTorch(String file) {
    SafeTensors st = Conformance.load(file);
    Map<String, String> m = st.metadata();
    assertEquals("ConvTranspose2D", m.get("layer"));
    boolean hasBias = Boolean.parseBoolean(m.get("bias"));
    for (KernelProvider kernels : BOTH) {
      ConvTranspose2D layer = KernelProvider.building(kernels, () -> {
        int[] k = LayersNDTest.ints(m.get("kernel"));
        int[] s = LayersNDTest.ints(m.get("stride"));
        int[] p = LayersNDTest.ints(m.get("padding"));
        int[] op = LayersNDTest.ints(m.get("output_padding"));
        int[] d = LayersNDTest.ints(m.get("dilation"));
        return ConvTranspose2D.builder(Integer.parseInt(m.get("in_channels")), Integer.parseInt(m.get("out_channels")))
            .kernel(k[0], k[1]).stride(s[0], s[1]).padding(p[0], p[1]).outputPadding(op[0], op[1])
            .dilation(d[0], d[1]).groups(Integer.parseInt(m.get("groups"))).bias(hasBias).build();
      });
      layer.weight().value().copyFrom(st.tensor("weight"));
      if (hasBias) {
        layer.bias().value().copyFrom(st.tensor("bias"));
      } else {
        assertNull(layer.bias(), file);
      }
      String what = file + " " + layer + " on " + kernels.description();
      assertEquals(st.tensor("y").shape(), layer.outputShape(st.tensor("x").shape()), what);
      Conformance.assertClose(what + ": y", st.tensor("y"), layer.forward(st.tensor("x"), true));
      layer.zeroGrad();
      Conformance.assertClose(what + ": gx", st.tensor("gx"), layer.backward(st.tensor("gy")));
      Conformance.assertClose(what + ": grad.weight", st.tensor("grad.weight"), layer.weight().grad());
      if (hasBias) {
        Conformance.assertClose(what + ": grad.bias", st.tensor("grad.bias"), layer.bias().grad());
      }
      assertEquals(hasBias ? 2 : 1, layer.parameters().size(), what);
    }
  }

  @Test
  void defaultsAreThoseOfPyTorch() {
    ConvTranspose2D layer = ConvTranspose2D.builder(8, 6).kernel(3, 2).groups(2).seed(3).build();
    assertEquals("ConvTranspose2D", layer.typeName());
    assertEquals("ConvTranspose2D(8->6, k=3x2, groups=2)", layer.toString());
    assertEquals(Shape.of(8, 3, 3, 2), layer.weight().value().shape());
    assertEquals("weight", layer.weight().name());
    assertEquals("bias", layer.bias().name());
    // PyTorch's fan-in of a transposed weight: weight.size(1) * kh * kw = 3 * 3 * 2 (not in/groups * kh * kw).
    Tensor expected = Tensor.zeros(8, 3, 3, 2);
    Initializer.PYTORCH_DEFAULT.fill(expected, 3 * 3 * 2, 8 * 3 * 2, 3);
    assertArrayEquals(expected.toArray(), layer.weight().value().toArray());
    // Far apart fans (weight.size(1) = 64, in = 2): both parameters within 1/sqrt(64), the weight close to it.
    ConvTranspose2D wide = ConvTranspose2D.builder(2, 64).kernel(1).seed(5).build();
    double bound = 1 / Math.sqrt(64);
    for (Tensor t : new Tensor[] {wide.weight().value(), wide.bias().value()}) {
      assertTrue(t.maxAbs() <= bound, "bound " + bound);
      assertTrue(t.maxAbs() > bound / 2, "initialised to U(-b, b), not to zeros");
    }
    assertTrue(wide.weight().value().maxAbs() > 0.9 * bound, "128 draws reach near the bound " + bound);
    ConvTranspose2D plain = new ConvTranspose2D(3, 5, 3);
    assertEquals("ConvTranspose2D(3->5, k=3x3)", plain.toString());
    assertEquals(Shape.of(2, 5, 7, 9), plain.outputShape(Shape.of(2, 3, 5, 7)));
    assertEquals(2L * 2 * 3 * 5 * 7 * 5 * 9, plain.flops(Shape.of(2, 3, 5, 7)));
    ConvTranspose2D up = ConvTranspose2D.builder(16, 8).kernel(4).stride(2).padding(1).build();
    assertEquals("ConvTranspose2D(16->8, k=4x4, stride=2x2, padding=1)", up.toString());
    assertEquals(Shape.of(1, 8, 14, 20), up.outputShape(Shape.of(1, 16, 7, 10)), "doubles the size");
    ConvTranspose2D all = ConvTranspose2D.builder(4, 2).kernel(3, 2).stride(2, 3).padding(1, 0).outputPadding(1, 2)
        .dilation(1, 2).groups(2).bias(false).build();
    assertEquals("ConvTranspose2D(4->2, k=3x2, stride=2x3, padding=1x0, output_padding=1x2, dilation=1x2, groups=2)",
        all.toString());
    // (5 - 1)*2 - 2 + 1*2 + 1 + 1 = 10; (4 - 1)*3 - 0 + 2*1 + 2 + 1 = 14.
    assertEquals(Shape.of(1, 2, 10, 14), all.outputShape(Shape.of(1, 4, 5, 4)));
    assertEquals(1, all.parameters().size());
    assertNull(all.bias());
  }

  static IllegalArgumentException rejects(Runnable r) {
    return assertThrows(IllegalArgumentException.class, r::run);
  }

  @Test
  void rejectsInputsOfTheWrongShape() {
    ConvTranspose2D layer = new ConvTranspose2D(3, 6, 3);
    assertEquals("ConvTranspose2D(3->6, k=3x3): input [2, 4, 5, 5] has 4 channels (expected: 3)",
        rejects(() -> layer.forward(Tensor.zeros(2, 4, 5, 5), true)).getMessage());
    assertEquals("ConvTranspose2D(3->6, k=3x3): input [2, 3, 8] has rank 3 (expected: 4, [N, 3, H, W])",
        rejects(() -> layer.forward(Tensor.zeros(2, 3, 8), true)).getMessage());
    ConvTranspose2D cropped = ConvTranspose2D.builder(1, 1).kernel(1).padding(1).build();
    assertEquals("ConvTranspose2D(1->1, k=1x1, padding=1): input [1, 1, 2, 3] gives an output of 0x1 (expected: at "
        + "least 1x1; (in - 1)*stride - 2*padding + dilation*(kernel - 1) + output_padding + 1)",
        rejects(() -> cropped.forward(Tensor.zeros(1, 1, 2, 3), true)).getMessage());
    assertEquals(Shape.of(1, 1, 1, 2), cropped.outputShape(Shape.of(1, 1, 3, 4)));
  }

  @Test
  void rejectsBadConfigurations() {
    assertEquals("ConvTranspose2D(3->6, k=3x3, stride=2x2, output_padding=2): output padding 2x2 (expected: >= 0 and "
        + "smaller than the stride 2x2 or the dilation 1x1 on each axis, as PyTorch requires)",
        rejects(() -> ConvTranspose2D.builder(3, 6).kernel(3).stride(2).outputPadding(2).build()).getMessage());
    assertEquals("ConvTranspose2D(3->6, k=3x3, stride=2x1, output_padding=1): output padding 1x1 (expected: >= 0 and "
        + "smaller than the stride 2x1 or the dilation 1x1 on each axis, as PyTorch requires)",
        rejects(() -> ConvTranspose2D.builder(3, 6).kernel(3).stride(2, 1).outputPadding(1).build()).getMessage());
    assertEquals("ConvTranspose2D(3->6, k=3x3, output_padding=0x-1): output padding 0x-1 (expected: >= 0 and "
        + "smaller than the stride 1x1 or the dilation 1x1 on each axis, as PyTorch requires)",
        rejects(() -> ConvTranspose2D.builder(3, 6).kernel(3).outputPadding(0, -1).build()).getMessage());
    // Below the dilation is enough, as in PyTorch.
    assertEquals(Shape.of(1, 6, 9, 9), ConvTranspose2D.builder(3, 6).kernel(3).dilation(2).outputPadding(1).build()
        .outputShape(Shape.of(1, 3, 4, 4)));
    assertEquals("ConvTranspose2D(4->6, k=3x3, groups=4): groups 4 (expected: a divisor of both in channels 4 and "
        + "out channels 6)", rejects(() -> ConvTranspose2D.builder(4, 6).kernel(3).groups(4).build()).getMessage());
    assertEquals("ConvTranspose2D(4->6, k=3x3, groups=0): groups 0 (expected: a divisor of both in channels 4 and "
        + "out channels 6)", rejects(() -> ConvTranspose2D.builder(4, 6).kernel(3).groups(0).build()).getMessage());
    assertEquals("ConvTranspose2D(3->6, k=3x3, padding=1x-1): padding 1x-1 (expected: >= 0 on both axes)",
        rejects(() -> ConvTranspose2D.builder(3, 6).kernel(3).padding(1, -1).build()).getMessage());
    assertEquals("ConvTranspose2D(3->6, k=3x3, stride=1x0): stride 1x0 (expected: >= 1 on both axes)",
        rejects(() -> ConvTranspose2D.builder(3, 6).kernel(3).stride(1, 0).build()).getMessage());
    assertEquals("ConvTranspose2D(3->6, k=3x3, dilation=0x0): dilation 0x0 (expected: >= 1 on both axes)",
        rejects(() -> ConvTranspose2D.builder(3, 6).kernel(3).dilation(0).build()).getMessage());
    assertEquals("ConvTranspose2D(3->6, k=3x0): kernel 3x0 (expected: >= 1 on both axes)",
        rejects(() -> ConvTranspose2D.builder(3, 6).kernel(3, 0).build()).getMessage());
    assertEquals("ConvTranspose2D(0->6, k=1x1): channels 0->6 (expected: >= 1 each)",
        rejects(() -> ConvTranspose2D.builder(0, 6).kernel(1).build()).getMessage());
    assertEquals("ConvTranspose2D(3->6): no kernel size (expected: .kernel(k) or .kernel(kh, kw), as PyTorch's "
        + "kernel_size)", rejects(() -> ConvTranspose2D.builder(3, 6).build()).getMessage());
  }
}

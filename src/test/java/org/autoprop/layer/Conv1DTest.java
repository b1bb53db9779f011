package org.autoprop.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.testing.Conformance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Conv1D against PyTorch, finite differences, a naive reference, and bad inputs. */
class Conv1DTest {

  record Setting(int in, int out, int k, int s, Padding padding, int d, int groups, boolean bias, Shape input) {
    Conv1D build(long seed, KernelProvider kernels) {
      return KernelProvider.building(kernels, () -> Conv1D.builder(in, out).kernel(k).stride(s).padding(padding)
          .dilation(d).groups(groups).bias(bias).seed(seed).build());
    }
  }

  static Setting randomSetting(SplittableRandom r) {
    while (true) {
      int in = 1 + r.nextInt(5);
      int out = 1 + r.nextInt(5);
      int groups = 1;
      switch (r.nextInt(3)) {
        case 0: // depthwise, with a channel multiplier
          groups = in;
          out = in * (1 + r.nextInt(2));
          break;
        case 1:
          int g = 1 + r.nextInt(Math.min(in, out));
          if (in % g == 0 && out % g == 0) {
            groups = g;
          }
          break;
        default:
          break;
      }
      if (r.nextInt(4) == 0) {
        in *= 8; // wide enough for Conv2D's transposed and phased input gradients
        out = groups == 1 ? out : in;
        groups = groups == 1 ? 1 : in;
      }
      int k = 1 + r.nextInt(5);
      int s = r.nextInt(3) == 0 ? 1 + r.nextInt(3) : 1;
      int d = 1 + r.nextInt(2);
      Padding padding;
      int kind = r.nextInt(3);
      if (kind == 0 && s == 1 && d * (k - 1) % 2 == 0) {
        padding = Padding.SAME;
      } else if (kind == 1) {
        padding = Padding.VALID;
      } else {
        padding = Padding.of(r.nextInt(3));
      }
      Shape input = Shape.of(1 + r.nextInt(3), in, 1 + r.nextInt(12));
      int p = padding.resolve(k, k, s, s, d, d)[0];
      if (input.dim(2) + 2 * p >= d * (k - 1) + 1) {
        return new Setting(in, out, k, s, padding, d, groups, r.nextBoolean(), input);
      }
    }
  }

  static double[] reference(Conv1D conv, Setting s, Tensor x) {
    Shape ys = conv.outputShape(x.shape());
    int p = conv.resolvedPadding();
    int inG = s.in() / s.groups();
    int outG = s.out() / s.groups();
    double[] y = new double[ys.size()];
    int at = 0;
    for (int n = 0; n < ys.dim(0); n++) {
      for (int o = 0; o < s.out(); o++) {
        for (int ox = 0; ox < ys.dim(2); ox++) {
          double v = s.bias() ? conv.bias().value().get(o) : 0;
          for (int c = 0; c < inG; c++) {
            for (int j = 0; j < s.k(); j++) {
              int ix = ox * s.s() - p + j * s.d();
              if (ix >= 0 && ix < x.dim(2)) {
                v += (double) conv.weight().value().get(o, c, j) * x.get(n, o / outG * inG + c, ix);
              }
            }
          }
          y[at++] = v;
        }
      }
    }
    return y;
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#seeds")
  void forwardMatchesTheDefinitionAndBackwardFiniteDifferences(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    Setting s = randomSetting(r);
    for (KernelProvider kernels : new KernelProvider[] {KernelProvider.scalar(), KernelProvider.get()}) {
      Conv1D conv = s.build(seed, kernels);
      if (s.bias()) {
        conv.bias().value().copyFrom(Tensor.uniform(Shape.of(s.out()), -1, 1, seed + 1));
      }
      Tensor x = Tensor.uniform(s.input(), -1, 1, seed + 2);
      Tensor y = conv.forward(x, true);
      double[] expected = reference(conv, s, x);
      for (int i = 0; i < expected.length; i++) {
        assertEquals(expected[i], y.getFlat(i), 1e-4 * (1 + Math.abs(expected[i])), s + " at " + i);
      }
      GradCheck.Report report = GradCheck.forLayer(conv).seed(seed).maxChecksPerTensor(60).check(x);
      assertEquals(s.bias() ? 3 : 2, report.entries().size());
      assertTrue(report.passed(1e-2), () -> s + " on " + kernels.description() + "\n" + report);
    }
  }

  static Stream<String> conformanceFiles() throws IOException {
    try (Stream<Path> files = Files.list(Conformance.dir())) {
      return files.map(p -> p.getFileName().toString())
          .filter(f -> f.startsWith("conv1d_") && f.endsWith(".safetensors")).sorted().toList().stream();
    }
  }

  @Test
  void conformanceFilesArePresent() throws IOException {
    assertTrue(conformanceFiles().count() >= 6, "conv1d_*.safetensors files in " + Conformance.dir());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("conformanceFiles")
  void matchesPyTorch(String file) {
    SafeTensors st = Conformance.load(file);
    Map<String, String> m = st.metadata();
    assertEquals("Conv1D", m.get("layer"));
    boolean hasBias = Boolean.parseBoolean(m.get("bias"));
    for (KernelProvider kernels : new KernelProvider[] {KernelProvider.scalar(), KernelProvider.vector()}) {
      Conv1D conv = KernelProvider.building(kernels, () -> Conv1D.builder(Integer.parseInt(m.get("in_channels")),
              Integer.parseInt(m.get("out_channels"))).kernel(Integer.parseInt(m.get("kernel")))
          .stride(Integer.parseInt(m.get("stride"))).padding(m.get("padding"))
          .dilation(Integer.parseInt(m.get("dilation"))).groups(Integer.parseInt(m.get("groups"))).bias(hasBias)
          .build());
      assertEquals(st.tensor("weight").shape(), conv.weight().value().shape());
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
  void defaultsAreThoseOfPyTorch() {
    Conv1D conv = new Conv1D(3, 6, 5);
    assertEquals(Shape.of(2, 6, 5), conv.outputShape(Shape.of(2, 3, 9)));
    assertEquals("Conv1D", conv.typeName());
    assertEquals("Conv1D(3->6, k=5)", conv.toString());
    assertEquals(Shape.of(6, 3, 5), conv.weight().value().shape());
    assertEquals(Shape.of(6, 3, 5), conv.weight().grad().shape());
    assertEquals(0, conv.bias().value().maxAbs(), "bias starts at zero");
    double bound = Math.sqrt(6.0 / (3 * 5));
    assertTrue(conv.weight().value().maxAbs() <= bound, "He-uniform bound " + bound);
    assertTrue(conv.weight().value().maxAbs() > bound / 2, "weights are initialised");
    assertEquals(2L * 2 * 6 * 5 * 3 * 5, conv.flops(Shape.of(2, 3, 9)));
    assertEquals("Conv1D(4->8, k=3, stride=2, padding=1, dilation=2, groups=4)",
        Conv1D.builder(4, 8).kernel(3).stride(2).padding(1).dilation(2).groups(4).build().toString());
    assertEquals(Shape.of(1, 6, 9), Conv1D.builder(3, 6).kernel(5).padding("same").build()
        .outputShape(Shape.of(1, 3, 9)));
  }

  @Test
  void viewsAreReusedWhileTheInputStays() {
    Conv1D conv = Conv1D.builder(2, 3).kernel(3).padding(1).seed(1).build();
    Tensor x = Tensor.uniform(Shape.of(2, 2, 7), -1, 1, 2);
    Tensor y1 = conv.forward(x, true).copy();
    Tensor y2 = conv.forward(x, true);
    assertSame(y2, conv.forward(x, true));
    Conformance.assertClose("same input, same output", y1, y2, 0);
    // Another tensor with the same shape: the views follow it.
    Tensor x2 = Tensor.uniform(Shape.of(2, 2, 7), -1, 1, 3);
    Tensor expected = Conv1D.builder(2, 3).kernel(3).padding(1).seed(1).build().forward(x2, true);
    Conformance.assertClose("new input", expected, conv.forward(x2, true), 0);
  }

  static IllegalArgumentException rejects(Runnable r) {
    return assertThrows(IllegalArgumentException.class, r::run);
  }

  @Test
  void rejectsBadInputsAndConfigurations() {
    Conv1D conv = new Conv1D(3, 6, 3);
    assertEquals("Conv1D(3->6, k=3): input [2, 4, 8] has 4 channels (expected: 3)",
        rejects(() -> conv.forward(Tensor.zeros(2, 4, 8), true)).getMessage());
    assertEquals("Conv1D(3->6, k=3): input [2, 3, 8, 8] has rank 4 (expected: 3, [N, 3, L])",
        rejects(() -> conv.forward(Tensor.zeros(2, 3, 8, 8), true)).getMessage());
    Conv1D big = Conv1D.builder(1, 1).kernel(5).padding(1).dilation(2).build();
    assertEquals("Conv1D(1->1, k=5, padding=1, dilation=2): input [1, 1, 6] padded by 1 has length 8, shorter than "
        + "the dilated kernel 9 (expected: at least 9)", rejects(() -> big.outputShape(Shape.of(1, 1, 6))).getMessage());
    assertEquals(Shape.of(1, 1, 1), big.outputShape(Shape.of(1, 1, 7)));
    assertEquals("Conv1D(4->6, k=3, groups=4): groups 4 (expected: a divisor of both in channels 4 and out channels 6)",
        rejects(() -> Conv1D.builder(4, 6).kernel(3).groups(4).build()).getMessage());
    assertEquals("Conv1D(3->6, k=3, stride=0): stride 0 (expected: >= 1)",
        rejects(() -> Conv1D.builder(3, 6).kernel(3).stride(0).build()).getMessage());
    assertEquals("Conv1D(3->6, k=3, dilation=0): dilation 0 (expected: >= 1)",
        rejects(() -> Conv1D.builder(3, 6).kernel(3).dilation(0).build()).getMessage());
    assertEquals("Conv1D(3->6, k=-1): kernel -1 (expected: >= 1)",
        rejects(() -> Conv1D.builder(3, 6).kernel(-1).build()).getMessage());
    assertEquals("Conv1D(3->6): no kernel size (expected: .kernel(k), as PyTorch's kernel_size)",
        rejects(() -> Conv1D.builder(3, 6).build()).getMessage());
    assertEquals("Conv1D(3->6, k=3, padding=1x2): padding 1x2 (expected: one length, as PyTorch's Conv1d padding)",
        rejects(() -> Conv1D.builder(3, 6).kernel(3).padding(Padding.of(1, 2)).build()).getMessage());
    assertTrue(rejects(() -> Conv1D.builder(3, 6).kernel(3).stride(2).padding("same").build()).getMessage()
        .startsWith("Conv1D(3->6, k=3, stride=2, padding=same): padding 'same' needs stride 1"));
  }
}

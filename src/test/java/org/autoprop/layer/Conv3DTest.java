package org.autoprop.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
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

/** Conv3D against PyTorch, finite differences, a naive reference, the scalar kernels, and bad inputs. */
class Conv3DTest {

  /** A configuration: per-axis kernel, stride, padding, dilation ({d, h, w}) and a fitting input. */
  record Setting(int in, int out, int[] k, int[] s, int[] p, int[] d, int groups, boolean bias, Shape input) {
    Conv3D build(long seed, KernelProvider kernels) {
      return KernelProvider.building(kernels, () -> Conv3D.builder(in, out).kernel(k[0], k[1], k[2])
          .stride(s[0], s[1], s[2]).padding(p[0], p[1], p[2]).dilation(d[0], d[1], d[2]).groups(groups).bias(bias)
          .seed(seed).build());
    }

    @Override
    public String toString() {
      return in + "->" + out + " k=" + Arrays.toString(k) + " s=" + Arrays.toString(s) + " p=" + Arrays.toString(p)
          + " d=" + Arrays.toString(d) + " g=" + groups + " bias=" + bias + " on " + input;
    }
  }

  static Setting randomSetting(SplittableRandom r) {
    while (true) {
      int in = 1 + r.nextInt(4);
      int out = 1 + r.nextInt(4);
      int groups = 1;
      if (r.nextInt(3) == 0) {
        groups = in;
        out = in * (1 + r.nextInt(2));
      } else {
        int g = 1 + r.nextInt(Math.min(in, out));
        if (in % g == 0 && out % g == 0) {
          groups = g;
        }
      }
      int[] k = new int[3];
      int[] s = new int[3];
      int[] p = new int[3];
      int[] d = new int[3];
      int[] dims = new int[5];
      dims[0] = 1 + r.nextInt(2);
      dims[1] = in;
      boolean ok = true;
      for (int a = 0; a < 3; a++) {
        k[a] = 1 + r.nextInt(3);
        s[a] = r.nextInt(3) == 0 ? 2 : 1;
        d[a] = 1 + r.nextInt(2);
        p[a] = r.nextInt(3);
        dims[2 + a] = 1 + r.nextInt(6);
        ok &= dims[2 + a] + 2 * p[a] >= d[a] * (k[a] - 1) + 1;
      }
      if (ok) {
        return new Setting(in, out, k, s, p, d, groups, r.nextBoolean(), Shape.of(dims));
      }
    }
  }

  /** The definition, evaluated naively in double. */
  static double[] reference(Tensor w, Tensor b, int[] s, int[] p, int[] d, int groups, Tensor x, Shape ys) {
    int out = ys.dim(1);
    int inG = w.dim(1);
    int outG = out / groups;
    double[] y = new double[ys.size()];
    int at = 0;
    for (int n = 0; n < ys.dim(0); n++) {
      for (int o = 0; o < out; o++) {
        for (int z = 0; z < ys.dim(2); z++) {
          for (int oy = 0; oy < ys.dim(3); oy++) {
            for (int ox = 0; ox < ys.dim(4); ox++) {
              double v = b != null ? b.get(o) : 0;
              for (int c = 0; c < inG; c++) {
                for (int a = 0; a < w.dim(2); a++) {
                  for (int i = 0; i < w.dim(3); i++) {
                    for (int j = 0; j < w.dim(4); j++) {
                      int iz = z * s[0] - p[0] + a * d[0];
                      int iy = oy * s[1] - p[1] + i * d[1];
                      int ix = ox * s[2] - p[2] + j * d[2];
                      if (iz >= 0 && iz < x.dim(2) && iy >= 0 && iy < x.dim(3) && ix >= 0 && ix < x.dim(4)) {
                        v += (double) w.get(o, c, a, i, j) * x.get(n, o / outG * inG + c, iz, iy, ix);
                      }
                    }
                  }
                }
              }
              y[at++] = v;
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
    Setting s = randomSetting(r);
    for (KernelProvider kernels : new KernelProvider[] {KernelProvider.scalar(), KernelProvider.get()}) {
      Conv3D conv = s.build(seed, kernels);
      if (s.bias()) {
        conv.bias().value().copyFrom(Tensor.uniform(Shape.of(s.out()), -1, 1, seed + 1));
      }
      Tensor x = Tensor.uniform(s.input(), -1, 1, seed + 2);
      Tensor y = conv.forward(x, true);
      double[] expected = reference(conv.weight().value(), s.bias() ? conv.bias().value() : null, s.s(), s.p(),
          s.d(), s.groups(), x, y.shape());
      for (int i = 0; i < expected.length; i++) {
        assertEquals(expected[i], y.getFlat(i), 1e-4 * (1 + Math.abs(expected[i])), s + " at " + i);
      }
      GradCheck.Report report = GradCheck.forLayer(conv).seed(seed).maxChecksPerTensor(60).check(x);
      assertEquals(s.bias() ? 3 : 2, report.entries().size());
      assertTrue(report.passed(1e-2), () -> s + " on " + kernels.description() + "\n" + report);
    }
  }

  /**
   * At stride 1 with in/groups {@literal >=} Conv2D.TRANSPOSED_MIN_IN the input gradient is a convolution of dY
   * with the flipped kernel (depth dilation: phase-ordered slices; groups); padding beyond the dilated
   * kernel falls back to the slice-by-slice path.
   */
  static Stream<Setting> paths() {
    return Stream.of(
        new Setting(12, 5, new int[] {3, 2, 3}, new int[] {1, 1, 1}, new int[] {1, 0, 1}, new int[] {2, 1, 1}, 1,
            true, Shape.of(2, 12, 5, 4, 5)),
        new Setting(24, 4, new int[] {3, 3, 3}, new int[] {1, 1, 1}, new int[] {1, 1, 1}, new int[] {1, 1, 1}, 2,
            false, Shape.of(1, 24, 3, 4, 3)),
        new Setting(13, 3, new int[] {2, 3, 2}, new int[] {1, 1, 1}, new int[] {2, 1, 0}, new int[] {1, 1, 2}, 1,
            true, Shape.of(2, 13, 2, 3, 4)),
        new Setting(12, 6, new int[] {3, 3, 3}, new int[] {1, 2, 1}, new int[] {1, 1, 1}, new int[] {1, 1, 1}, 3,
            true, Shape.of(1, 12, 3, 5, 4)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("paths")
  void everyInputGradientPathMatchesTheDefinitionAndFiniteDifferences(Setting s) {
    for (KernelProvider kernels : new KernelProvider[] {KernelProvider.scalar(), KernelProvider.vector()}) {
      Conv3D conv = s.build(5, kernels);
      Tensor x = Tensor.uniform(s.input(), -1, 1, 7);
      Tensor y = conv.forward(x, true);
      double[] expected = reference(conv.weight().value(), s.bias() ? conv.bias().value() : null, s.s(), s.p(),
          s.d(), s.groups(), x, y.shape());
      for (int i = 0; i < expected.length; i++) {
        assertEquals(expected[i], y.getFlat(i), 1e-4 * (1 + Math.abs(expected[i])), s + " at " + i);
      }
      GradCheck.Report report = GradCheck.forLayer(conv).maxChecksPerTensor(80).check(x);
      assertTrue(report.passed(1e-2), () -> s + " on " + kernels.description() + "\n" + report);
    }
  }

  /** A batch split across the engine threads (above ParallelPolicy.CONV) against the same layer fed image by image. */
  @Test
  void batchSplitAcrossThreadsMatchesImageByImage() {
    Conv3D batched = Conv3D.builder(8, 8).kernel(3).padding(1).seed(4).build();
    Conv3D single = Conv3D.builder(8, 8).kernel(3).padding(1).seed(4).build();
    Shape xs = Shape.of(4, 8, 6, 10, 10);
    assertTrue(batched.flops(xs) / 2 >= ParallelPolicy.CONV.minWork(), "the batch must be above the threshold");
    Tensor x = Tensor.uniform(xs, -1, 1, 8);
    Tensor y = batched.forward(x, true);
    Tensor gy = Tensor.uniform(y.shape(), -1, 1, 9);
    Tensor gx = batched.backward(gy);
    for (int n = 0; n < 4; n++) {
      Tensor yi = single.forward(x.slice(0, n, n + 1), true);
      Tensor gxi = single.backward(gy.slice(0, n, n + 1));
      Conformance.assertClose("y of image " + n, y.slice(0, n, n + 1).contiguous(), yi, 1e-5);
      Conformance.assertClose("gx of image " + n, gx.slice(0, n, n + 1).contiguous(), gxi, 1e-5);
    }
    Conformance.assertClose("weight grad", single.weight().grad(), batched.weight().grad(), 1e-4);
    Conformance.assertClose("bias grad", single.bias().grad(), batched.bias().grad(), 1e-4);
  }

  static Stream<String> conformanceFiles() throws IOException {
    try (Stream<Path> files = Files.list(Conformance.dir())) {
      return files.map(p -> p.getFileName().toString())
          .filter(f -> f.startsWith("conv3d_") && f.endsWith(".safetensors")).sorted().toList().stream();
    }
  }

  @Test
  void conformanceFilesArePresent() throws IOException {
    assertTrue(conformanceFiles().count() >= 6, "conv3d_*.safetensors files in " + Conformance.dir());
  }

  static int[] ints(String csv) {
    return Arrays.stream(csv.split(",")).mapToInt(t -> Integer.parseInt(t.trim())).toArray();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("conformanceFiles")
  void matchesPyTorch(String file) {
    SafeTensors st = Conformance.load(file);
    Map<String, String> m = st.metadata();
    assertEquals("Conv3D", m.get("layer"));
    boolean hasBias = Boolean.parseBoolean(m.get("bias"));
    for (KernelProvider kernels : new KernelProvider[] {KernelProvider.scalar(), KernelProvider.vector()}) {
      Conv3D conv = KernelProvider.building(kernels, () -> {
        int[] k = ints(m.get("kernel"));
        int[] s = ints(m.get("stride"));
        int[] d = ints(m.get("dilation"));
        Conv3D.Builder b = Conv3D.builder(Integer.parseInt(m.get("in_channels")),
            Integer.parseInt(m.get("out_channels"))).kernel(k[0], k[1], k[2]).stride(s[0], s[1], s[2])
            .dilation(d[0], d[1], d[2]).groups(Integer.parseInt(m.get("groups"))).bias(hasBias);
        return b.padding(m.get("padding")).build();
      });
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
    Conv3D conv = new Conv3D(3, 6, 3);
    assertEquals(Shape.of(2, 6, 3, 5, 7), conv.outputShape(Shape.of(2, 3, 5, 7, 9)));
    assertEquals("Conv3D", conv.typeName());
    assertEquals("Conv3D(3->6, k=3x3x3)", conv.toString());
    assertEquals(Shape.of(6, 3, 3, 3, 3), conv.weight().value().shape());
    assertEquals(0, conv.bias().value().maxAbs(), "bias starts at zero");
    double bound = Math.sqrt(6.0 / (3 * 27));
    assertTrue(conv.weight().value().maxAbs() <= bound, "He-uniform bound " + bound);
    assertTrue(conv.weight().value().maxAbs() > bound / 2, "weights are initialised");
    assertEquals(Shape.of(1, 6, 5, 7, 9),
        Conv3D.builder(3, 6).kernel(3).padding("same").build().outputShape(Shape.of(1, 3, 5, 7, 9)));
    assertEquals(Shape.of(1, 6, 5, 7, 9),
        Conv3D.builder(3, 6).kernel(3).padding(Padding.SAME).build().outputShape(Shape.of(1, 3, 5, 7, 9)));
    assertEquals(Shape.of(1, 6, 3, 5, 7),
        Conv3D.builder(3, 6).kernel(3).padding(Padding.VALID).build().outputShape(Shape.of(1, 3, 5, 7, 9)));
    assertEquals(2L * 1 * 6 * 3 * 5 * 7 * 3 * 27, conv.flops(Shape.of(1, 3, 5, 7, 9)));
  }

  static void assertMessage(IllegalArgumentException e, String expected) {
    assertEquals(expected, e.getMessage());
  }

  static IllegalArgumentException rejects(Runnable r) {
    return assertThrows(IllegalArgumentException.class, r::run);
  }

  @Test
  void rejectsInputsOfTheWrongShape() {
    Conv3D conv = new Conv3D(3, 6, 3);
    assertMessage(rejects(() -> conv.forward(Tensor.zeros(2, 4, 5, 5, 5), true)),
        "Conv3D(3->6, k=3x3x3): input [2, 4, 5, 5, 5] has 4 channels (expected: 3)");
    assertMessage(rejects(() -> conv.forward(Tensor.zeros(2, 3, 8, 8), true)),
        "Conv3D(3->6, k=3x3x3): input [2, 3, 8, 8] has rank 4 (expected: 5, [N, 3, D, H, W])");
    Conv3D big = Conv3D.builder(1, 1).kernel(3, 5, 3).padding(0, 1, 0).dilation(1, 2, 1).build();
    assertMessage(rejects(() -> big.outputShape(Shape.of(1, 1, 3, 6, 3))),
        "Conv3D(1->1, k=3x5x3, padding=0x1x0, dilation=1x2x1): input [1, 1, 3, 6, 3] padded by 0x1x0 is 3x8x3, "
            + "smaller than the dilated kernel 3x9x3 (expected: at least 3x9x3)");
    assertEquals(Shape.of(1, 1, 1, 1, 1), big.outputShape(Shape.of(1, 1, 3, 7, 3)));
  }

  @Test
  void rejectsBadConfigurations() {
    assertMessage(rejects(() -> Conv3D.builder(4, 6).kernel(3).groups(4).build()),
        "Conv3D(4->6, k=3x3x3, groups=4): groups 4 (expected: a divisor of both in channels 4 and out channels 6)");
    assertMessage(rejects(() -> Conv3D.builder(3, 6).kernel(3).stride(1, 0, 1).build()),
        "Conv3D(3->6, k=3x3x3, stride=1x0x1): stride 1x0x1 (expected: >= 1 on every axis)");
    assertMessage(rejects(() -> Conv3D.builder(3, 6).kernel(3).dilation(0).build()),
        "Conv3D(3->6, k=3x3x3, dilation=0x0x0): dilation 0x0x0 (expected: >= 1 on every axis)");
    assertMessage(rejects(() -> Conv3D.builder(3, 6).kernel(3, 0, 3).build()),
        "Conv3D(3->6, k=3x0x3): kernel 3x0x3 (expected: >= 1 on every axis)");
    assertMessage(rejects(() -> Conv3D.builder(0, 6).kernel(1).build()),
        "Conv3D(0->6, k=1x1x1): channels 0->6 (expected: >= 1 each)");
    assertMessage(rejects(() -> Conv3D.builder(3, 6).kernel(3).padding(1, -1, 0).build()),
        "Conv3D(3->6, k=3x3x3, padding=1x-1x0): padding 1x-1x0 (expected: >= 0 on every axis)");
    assertMessage(rejects(() -> Conv3D.builder(3, 6).build()),
        "Conv3D(3->6): no kernel size (expected: .kernel(k) or .kernel(kd, kh, kw), as PyTorch's kernel_size)");
    assertTrue(rejects(() -> Conv3D.builder(3, 6).kernel(3).stride(2).padding("same").build()).getMessage()
        .startsWith("Conv3D(3->6, k=3x3x3, stride=2x2x2, padding=same): padding 'same' needs stride 1"));
    assertTrue(rejects(() -> Conv3D.builder(3, 6).kernel(2, 3, 3).padding("same").build()).getMessage()
        .startsWith("Conv3D(3->6, k=2x3x3, padding=same): padding 'same' with kernel 2x3"));
    assertMessage(rejects(() -> Conv3D.builder(3, 6).padding("1,2")),
        "padding: \"1,2\" (expected: \"same\", \"valid\", an integer or \"d,h,w\")");
    assertMessage(rejects(() -> Conv3D.builder(3, 6).padding(Padding.of(1, 2))),
        "padding 1x2 (expected: the same on every axis; use padding(pd, ph, pw) for a 3-D padding)");
  }
}

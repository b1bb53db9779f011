package org.autoprop.layer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.autoprop.io.SafeTensors;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.testing.Conformance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * HardSigmoid, Mish, ChannelShuffle, ZeroPad2D, Upsample, AdaptiveMaxPool2D against PyTorch
 * ({@code tools/conformance/zoo_shapes.py}) and finite differences over random settings; DropPath's
 * masks, scaling and determinism; every bad input against its message.
 */
class ZooShapesTest {
  static Stream<String> files() throws IOException {
    return LayersNDTest.files("hardsigmoid_", "mish_", "channelshuffle_", "zeropad2d_", "upsample_", "adaptivemax2d_");
  }

  @Test
  void conformanceFilesArePresent() throws IOException {
    assertEquals(27, files().count());
  }

  static Layer layer(Map<String, String> m) {
    return switch (m.get("kind")) {
      case "hardsigmoid" -> new HardSigmoid();
      case "mish" -> new Mish();
      case "channelshuffle" -> new ChannelShuffle(Integer.parseInt(m.get("groups")));
      case "zeropad2d" -> {
        int[] p = LayersNDTest.ints(m.get("padding"));
        yield new ZeroPad2D(p[0], p[1], p[2], p[3]);
      }
      case "adaptivemax2d" -> {
        int[] o = LayersNDTest.ints(m.get("output_size"));
        yield new AdaptiveMaxPool2D(o[0], o[1]);
      }
      case "upsample" -> {
        Upsample.Builder b = Upsample.builder().mode(m.get("mode"));
        if (m.containsKey("size")) {
          int[] s = LayersNDTest.ints(m.get("size"));
          b.size(s[0], s[1]);
        } else {
          double[] s = Arrays.stream(m.get("scale_factor").split(",")).mapToDouble(Double::parseDouble).toArray();
          b.scaleFactor(s[0], s[1]);
        }
        if (m.containsKey("align_corners")) {
          b.alignCorners(Boolean.parseBoolean(m.get("align_corners")));
        }
        yield b.build();
      }
      default -> throw new IllegalArgumentException("unknown kind " + m.get("kind"));
    };
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("files")
  void matchesPyTorch(String file) {
    SafeTensors f = Conformance.load(file);
    Layer layer = layer(f.metadata());
    String what = file + " " + layer;
    assertEquals(f.tensor("y").shape(), layer.outputShape(f.tensor("x").shape()), what);
    Conformance.assertClose(what + " y", f.tensor("y"), layer.forward(f.tensor("x"), true));
    Conformance.assertClose(what + " gx", f.tensor("gx"), layer.backward(f.tensor("gy")));
  }

  @Test
  void hardSigmoidHasNoGradientAtItsKinks() {
    Layer layer = new HardSigmoid();
    Tensor x = Tensor.wrap(new float[] {-3.5f, -3f, -2.5f, 0f, 2.5f, 3f, 3.5f}, 1, 7);
    assertArrayEquals(new float[] {0f, 0f, 0.5f / 6, 0.5f, 5.5f / 6, 1f, 1f}, layer.forward(x, true).toArray(), 1e-7f);
    assertArrayEquals(new float[] {0f, 0f, 1f / 6, 1f / 6, 1f / 6, 0f, 0f},
        layer.backward(Tensor.full(Shape.of(1, 7), 1f)).toArray(), 1e-7f);
  }

  @Test
  void mishIsFiniteAndExactAtTheExtremes() {
    Layer layer = new Mish();
    Tensor x = Tensor.wrap(new float[] {-1000f, -100f, 0f, 100f, 1000f, Float.MAX_VALUE}, 1, 6);
    float[] y = layer.forward(x, true).toArray();
    assertArrayEquals(new float[] {-0f, (float) (-100 * Math.exp(-100)), 0f, 100f, 1000f, Float.MAX_VALUE}, y, 1e-30f);
    // The gradient tends to 0 below and 1 above; at 0 it is tanh(log 2) = 0.6.
    assertArrayEquals(new float[] {0f, 0f, 0.6f, 1f, 1f, 1f}, layer.backward(Tensor.full(Shape.of(1, 6), 1f)).toArray(),
        1e-6f);
  }

  /** An input whose elements keep a distance of 0.05 from the kinks of HardSigmoid. */
  private static Tensor awayFromKinks(Shape s, long seed) {
    Tensor x = Tensor.uniform(s, -5f, 5f, seed);
    float[] d = x.data();
    for (int i = 0; i < d.length; i++) {
      if (Math.abs(Math.abs(d[i]) - 3f) < 0.05f) {
        d[i] += 0.1f;
      }
    }
    return x;
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#seeds")
  void activationsMatchFiniteDifferences(long seed) {
    Shape s = Shape.of(2, 3, 4);
    assertGradients(new Mish(), Tensor.uniform(s, -8f, 8f, seed), seed);
    assertGradients(new HardSigmoid(), awayFromKinks(s, seed), seed);
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#seeds")
  void shapeLayersMatchFiniteDifferences(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    Shape s = Shape.of(1 + r.nextInt(2), 2 * (1 + r.nextInt(3)), 2 + r.nextInt(5), 2 + r.nextInt(5));
    Tensor x = Tensor.uniform(s, -1f, 1f, seed);
    assertGradients(new ChannelShuffle(r.nextBoolean() ? 2 : 1), x, seed);
    int h = s.dim(2);
    int w = s.dim(3);
    assertGradients(new ZeroPad2D(r.nextInt(-w + 1, 3), r.nextInt(0, 3), r.nextInt(0, 3), r.nextInt(-h + 1, 3)), x, seed);
    assertGradients(randomUpsample(r), x, seed);
    assertGradients(new AdaptiveMaxPool2D(1 + r.nextInt(6), 1 + r.nextInt(6)), distinct(s, r), seed);
  }

  /** An Upsample of random mode, target (scales with outputs of at least 1 on an input of at least 2) and corners. */
  private static Upsample randomUpsample(SplittableRandom r) {
    double[] scales = {0.5, 0.7, 1, 1.1, 1.5, 2, 2.05, 2.5, 3};
    Upsample.Builder b = Upsample.builder();
    if (r.nextBoolean()) {
      b.size(1 + r.nextInt(8), 1 + r.nextInt(8));
    } else {
      b.scaleFactor(scales[r.nextInt(scales.length)], scales[r.nextInt(scales.length)]);
    }
    if (r.nextBoolean()) {
      b.mode(Upsample.Mode.BILINEAR).alignCorners(r.nextBoolean());
    }
    return b.build();
  }

  /** Distinct values at least 0.01 apart, shuffled: no finite-difference step changes a window's maximum. */
  private static Tensor distinct(Shape s, SplittableRandom r) {
    int n = s.size();
    float[] d = new float[n];
    for (int i = 0; i < n; i++) {
      d[i] = (i - n / 2) * 0.01f;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      float t = d[i];
      d[i] = d[j];
      d[j] = t;
    }
    return Tensor.wrap(d, s);
  }

  private static void assertGradients(Layer layer, Tensor x, long seed) {
    GradCheck.Report report = GradCheck.forLayer(layer).skipKinks(false).seed(seed).check(x);
    assertTrue(report.passed() && report.checked() > 0, () -> layer + " on " + x.shape() + "\n" + report);
  }

  @Test
  void adaptiveMaxPoolSendsTiesToTheFirstMaximum() {
    // Windows of 4 -> 3 columns: [0, 2), [1, 3), [2, 4); the middle window ties 5 and 5.
    Layer layer = new AdaptiveMaxPool2D(1, 3);
    Tensor x = Tensor.wrap(new float[] {1, 5, 5, 2}, 1, 1, 1, 4);
    assertArrayEquals(new float[] {5, 5, 5}, layer.forward(x, true).toArray());
    assertArrayEquals(new float[] {0, 1 + 2 + 0, 4, 0},
        layer.backward(Tensor.wrap(new float[] {1, 2, 4}, 1, 1, 1, 3)).toArray());
    // NaN wins its windows, as PyTorch's (v > max || isnan(v)).
    float[] y = layer.forward(Tensor.wrap(new float[] {1, Float.NaN, 3, 2}, 1, 1, 1, 4), true).toArray();
    assertTrue(Float.isNaN(y[0]) && Float.isNaN(y[1]) && y[2] == 3f, Arrays.toString(y));
  }

  @Test
  void upsampleUsesTheGivenScaleNotTheSizeRatio() {
    // 10 -> floor(10 * 0.45) = 4 columns at source floor(d / 0.45) = 0, 2, 4, 6; the ratio 10 / 4 would give 0, 2, 5, 7.
    Layer byScale = Upsample.builder().scaleFactor(1, 0.45).build();
    Layer bySize = Upsample.builder().size(1, 4).build();
    Tensor x = Tensor.wrap(new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 1, 1, 1, 10);
    assertArrayEquals(new float[] {0, 2, 4, 6}, byScale.forward(x, true).toArray());
    assertArrayEquals(new float[] {0, 2, 5, 7}, bySize.forward(x, true).toArray());
  }

  @Test
  void settingsNamesAndFlops() {
    assertEquals("Upsample(scale_factor=2.0x2.0, mode=nearest)", Upsample.nearest(2).toString());
    assertEquals("Upsample(scale_factor=1.5x1.5, mode=bilinear, align_corners=true)",
        Upsample.bilinear(1.5, true).toString());
    assertEquals("Upsample(size=7x9, mode=bilinear, align_corners=false)",
        Upsample.builder().size(7, 9).mode("bilinear").build().toString());
    assertEquals(Shape.of(2, 3, 7, 6), Upsample.nearest(1.5).outputShape(Shape.of(2, 3, 5, 4)));
    assertEquals(Upsample.Mode.BILINEAR, Upsample.bilinear(2, false).mode());
    assertFalse(Upsample.bilinear(2, false).alignCorners());
    assertEquals(0, Upsample.nearest(2).flops(Shape.of(1, 2, 3, 3)));
    assertEquals(9 * 2 * 6 * 6, Upsample.bilinear(2, false).flops(Shape.of(1, 2, 3, 3)));
    assertEquals("ZeroPad2D(left=1, right=2, top=0, bottom=-1)", new ZeroPad2D(1, 2, 0, -1).toString());
    assertArrayEquals(new int[] {3, 3, 3, 3}, new ZeroPad2D(3).padding());
    assertEquals(Shape.of(2, 3, 4, 8), new ZeroPad2D(1, 2, 0, -1).outputShape(Shape.of(2, 3, 5, 5)));
    assertEquals("ChannelShuffle(groups=3)", new ChannelShuffle(3).toString());
    assertEquals(3, new ChannelShuffle(3).groups());
    assertEquals("AdaptiveMaxPool2D(2x3)", new AdaptiveMaxPool2D(2, 3).toString());
    assertEquals(Shape.of(2, 3, 4, 4), new AdaptiveMaxPool2D(4).outputShape(Shape.of(2, 3, 5, 7)));
    // 5 -> 2 rows: windows [0, 3), [2, 5), 6 rows; 7 -> 3 columns: [0, 3), [2, 5), [4, 7), 9 columns.
    assertEquals(2 * 3 * 6 * 9, new AdaptiveMaxPool2D(2, 3).flops(Shape.of(2, 3, 5, 7)));
    assertEquals(24, new HardSigmoid().flops(Shape.of(2, 3, 4)));
    assertEquals(24, new Mish().flops(Shape.of(2, 3, 4)));
    assertEquals("DropPath(p=0.2)", new DropPath(0.2, 1).toString());
    assertEquals(0.2, new DropPath(0.2, 1).p());
    assertEquals(0, new DropPath(0.2, 1).flops(Shape.of(2, 3)));
  }

  @Test
  void badInputsAreNamed() {
    assertEquals("ChannelShuffle: groups 0 (expected: >= 1)", rejects(() -> new ChannelShuffle(0)).getMessage());
    assertEquals("ChannelShuffle(groups=3): input [2, 6] has rank 2 (expected: >= 3, [N, C, *])",
        rejects(() -> new ChannelShuffle(3).forward(Tensor.zeros(2, 6), true)).getMessage());
    assertEquals("ChannelShuffle(groups=4): input [2, 6, 3] has 6 channels (expected: a multiple of groups 4)",
        rejects(() -> new ChannelShuffle(4).outputShape(Shape.of(2, 6, 3))).getMessage());
    assertEquals("ZeroPad2D(left=1, right=1, top=1, bottom=1): input [2, 3, 4] has rank 3 (expected: 4, [N, C, H, W])",
        rejects(() -> new ZeroPad2D(1).forward(Tensor.zeros(2, 3, 4), true)).getMessage());
    assertEquals("ZeroPad2D(left=-2, right=-2, top=0, bottom=0): input [1, 1, 3, 4] padded to 3x0"
        + " (expected: at least 1x1 and below 2^31)",
        rejects(() -> new ZeroPad2D(-2, -2, 0, 0).outputShape(Shape.of(1, 1, 3, 4))).getMessage());
    assertEquals("AdaptiveMaxPool2D: output size 0x2 (expected: >= 1x1)",
        rejects(() -> new AdaptiveMaxPool2D(0, 2)).getMessage());
    assertEquals("AdaptiveMaxPool2D(2x2): input [1, 4, 4] has rank 3 (expected: 4, [N, C, H, W])",
        rejects(() -> new AdaptiveMaxPool2D(2).outputShape(Shape.of(1, 4, 4))).getMessage());
    assertEquals("AdaptiveMaxPool2D(2x2): input [1, 1, 0, 4] has an empty spatial size (expected: at least 1x1)",
        rejects(() -> new AdaptiveMaxPool2D(2).outputShape(Shape.of(1, 1, 0, 4))).getMessage());
    assertEquals("DropPath: p 1.5 (expected: 0 <= p <= 1)", rejects(() -> new DropPath(1.5, 1)).getMessage());
    assertEquals("DropPath: p NaN (expected: 0 <= p <= 1)", rejects(() -> new DropPath(Double.NaN, 1)).getMessage());
    assertEquals("DropPath(p=0.5): input [] has rank 0 (expected: >= 1, [N, *])",
        rejects(() -> new DropPath(0.5, 1).outputShape(Shape.of())).getMessage());
    assertEquals("Upsample: neither size and scale_factor given (expected: exactly one, as F.interpolate)",
        rejects(() -> Upsample.builder().build()).getMessage());
    assertEquals("Upsample: both size and scale_factor given (expected: exactly one, as F.interpolate)",
        rejects(() -> Upsample.builder().size(4).scaleFactor(2).build()).getMessage());
    assertEquals("Upsample: size 0x4 (expected: >= 1x1)", rejects(() -> Upsample.builder().size(0, 4).build()).getMessage());
    assertEquals("Upsample: scale_factor 2.0xNaN (expected: finite and > 0)",
        rejects(() -> Upsample.builder().scaleFactor(2, Double.NaN).build()).getMessage());
    assertEquals("Upsample: scale_factor -1.0x-1.0 (expected: finite and > 0)",
        rejects(() -> Upsample.nearest(-1)).getMessage());
    assertEquals("Upsample: align_corners with mode nearest (expected: only with bilinear, as F.interpolate)",
        rejects(() -> Upsample.builder().scaleFactor(2).alignCorners(false).build()).getMessage());
    assertEquals("Upsample: mode bicubic (expected: nearest or bilinear)",
        rejects(() -> Upsample.builder().mode("bicubic")).getMessage());
    assertEquals("Upsample(scale_factor=2.0x2.0, mode=nearest): input [1, 2, 3] has rank 3 (expected: 4, [N, C, H, W])",
        rejects(() -> Upsample.nearest(2).forward(Tensor.zeros(1, 2, 3), true)).getMessage());
    assertEquals("Upsample(scale_factor=0.3x0.3, mode=nearest): input [1, 1, 3, 4] gives output size 0x1"
        + " (expected: input and output at least 1x1, output below 2^31)",
        rejects(() -> Upsample.nearest(0.3).outputShape(Shape.of(1, 1, 3, 4))).getMessage());
  }

  static IllegalArgumentException rejects(Runnable r) {
    return assertThrows(IllegalArgumentException.class, r::run);
  }

  // DropPath: random, so checked by its rule instead of PyTorch vectors.

  /** The per-sample factor of a training forward on {@code x}: checks the sample is uniformly scaled or zeroed. */
  private static float[] factors(Tensor x, Tensor y, float keepScale) {
    int n = x.dim(0);
    int per = x.size() / n;
    float[] f = new float[n];
    for (int i = 0; i < n; i++) {
      boolean kept = y.data()[i * per] != 0f;
      f[i] = kept ? keepScale : 0f;
      for (int j = 0; j < per; j++) {
        assertEquals(x.data()[i * per + j] * f[i], y.data()[i * per + j], "sample " + i + " element " + j);
      }
    }
    return f;
  }

  @Test
  void dropPathKeepsWholeSamplesScaledExactly() {
    double p = 0.25;
    float keepScale = (float) (1 / (1 - p));
    Layer layer = new DropPath(p, 7);
    Tensor x = Tensor.uniform(Shape.of(64, 3, 2), 0.5f, 1.5f, 3); // no zeros: a zero output means dropped
    float[] f = factors(x, layer.forward(x, true), keepScale);
    long kept = count(f, keepScale);
    assertTrue(kept > 0 && kept < 64, "kept " + kept + " of 64");
    Tensor gy = Tensor.uniform(x.shape(), -1f, 1f, 4);
    Tensor gx = layer.backward(gy);
    int per = 6;
    for (int i = 0; i < 64; i++) {
      for (int j = 0; j < per; j++) {
        assertEquals(gy.data()[i * per + j] * f[i], gx.data()[i * per + j], "gradient of sample " + i);
      }
    }
  }

  @Test
  void dropPathKeepsAboutOneMinusPOfTheSamples() {
    Layer layer = new DropPath(0.3, 11);
    Tensor x = Tensor.full(Shape.of(20_000, 1), 1f);
    float keepScale = (float) (1 / 0.7);
    for (int call = 0; call < 3; call++) {
      long kept = count(layer.forward(x, true).toArray(), keepScale);
      // 0.7 +- 0.015 is more than 4.5 standard deviations (sqrt(0.21 / 20000) = 0.0032).
      assertEquals(0.7, kept / 20_000.0, 0.015, "call " + call);
    }
  }

  @Test
  void dropPathIsTheIdentityInEvaluationAndForPZero() {
    Tensor x = Tensor.uniform(Shape.of(5, 2, 3), -1f, 1f, 1);
    Tensor gy = Tensor.uniform(x.shape(), -1f, 1f, 2);
    DropPath layer = new DropPath(0.9, 3);
    layer.forward(x, true);
    assertArrayEquals(x.toArray(), layer.forward(x, false).toArray());
    assertArrayEquals(gy.toArray(), layer.backward(gy).toArray());
    DropPath zero = new DropPath(0, 3);
    assertArrayEquals(x.toArray(), zero.forward(x, true).toArray());
    assertArrayEquals(gy.toArray(), zero.backward(gy).toArray());
  }

  @Test
  void dropPathWithPOneZeroesEverySample() {
    DropPath layer = new DropPath(1, 3);
    Tensor x = Tensor.uniform(Shape.of(5, 4), -1f, 1f, 1);
    assertEquals(0.0, layer.forward(x, true).maxAbs());
    assertEquals(0.0, layer.backward(Tensor.full(x.shape(), 1f)).maxAbs());
  }

  /** The kept samples of the next training forward on a batch of {@code n} ones. */
  private static float[] mask(Layer layer, int n) {
    return layer.forward(Tensor.full(Shape.of(n, 2), 1f), true).copy().toArray();
  }

  @Test
  void dropPathMasksArePureFunctionsOfSeedAndCallCount() {
    DropPath a = new DropPath(0.5, 21);
    DropPath b = new DropPath(0.5, 21);
    DropPath c = new DropPath(0.5, 22);
    float[] a1 = mask(a, 64);
    assertArrayEquals(a1, mask(b, 64), "same seed, first call");
    assertFalse(Arrays.equals(a1, mask(c, 64)), "another seed");
    // Second call: the same mask whatever the batch size of the first, and evaluation passes do not count.
    a.forward(Tensor.full(Shape.of(3, 2), 1f), false);
    float[] a2 = mask(a, 64);
    float[] b2 = mask(b, 64);
    assertArrayEquals(a2, b2, "same seed, second call");
    assertFalse(Arrays.equals(a1, a2), "the second call draws a new mask");
    DropPath d = new DropPath(0.5, 21);
    mask(d, 5);
    assertArrayEquals(a2, mask(d, 64), "second call after a first call of another batch size");
    // The first samples of a smaller batch take the same draws as a larger one's.
    assertArrayEquals(Arrays.copyOf(a1, 20), mask(new DropPath(0.5, 21), 10));
  }

  /** How many of {@code values} equal {@code v}. */
  private static long count(float[] values, float v) {
    long n = 0;
    for (float f : values) {
      if (f == v) {
        n++;
      }
    }
    return n;
  }
}

package org.autoprop.layer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.autoprop.io.SafeTensors;
import org.autoprop.io.StateDict;
import org.autoprop.io.StateMismatchException;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.testing.Conformance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * GroupNorm, InstanceNorm2D, LocalResponseNorm, LayerNorm2D, GlobalResponseNorm and LayerScale
 * against PyTorch ({@code tools/conformance/zoo_norms.py}), finite differences over random
 * settings, their definitions, and every bad input against its message.
 */
class ZooNormsTest {
  static Stream<String> files() throws IOException {
    return LayersNDTest.files("groupnorm_", "instancenorm2d_", "lrn_", "layernorm2d_", "grn_", "layerscale_");
  }

  @Test
  void conformanceFilesArePresent() throws IOException {
    Map<String, Long> byKind = files().collect(Collectors.groupingBy(f -> f.substring(0, f.indexOf('_')),
        Collectors.counting()));
    assertEquals(Map.of("groupnorm", 5L, "instancenorm2d", 2L, "lrn", 5L, "layernorm2d", 2L, "grn", 2L,
        "layerscale", 1L), byKind);
  }

  /** The layer a file describes, from its metadata (PyTorch's setting names). */
  static Layer fromMetadata(Map<String, String> m) {
    boolean affine = !"false".equals(m.get("affine"));
    return switch (m.get("kind")) {
      case "groupnorm" -> GroupNorm.builder(Integer.parseInt(m.get("num_groups")),
              Integer.parseInt(m.get("num_channels")))
          .eps(Double.parseDouble(m.get("eps"))).affine(affine).build();
      case "instancenorm2d" -> InstanceNorm2D.builder(Integer.parseInt(m.get("num_features")))
          .eps(Double.parseDouble(m.get("eps"))).affine(affine).build();
      case "lrn" -> LocalResponseNorm.builder(Integer.parseInt(m.get("size"))).alpha(Double.parseDouble(m.get("alpha")))
          .beta(Double.parseDouble(m.get("beta"))).k(Double.parseDouble(m.get("k"))).build();
      case "layernorm2d" -> LayerNorm2D.builder(Integer.parseInt(m.get("channels")))
          .eps(Double.parseDouble(m.get("eps"))).build();
      case "grn" -> {
        assertEquals(GlobalResponseNorm.EPS, Double.parseDouble(m.get("eps")));
        yield new GlobalResponseNorm(Integer.parseInt(m.get("channels")));
      }
      case "layerscale" -> new LayerScale(Integer.parseInt(m.get("channels")));
      default -> throw new IllegalArgumentException("unknown kind " + m.get("kind"));
    };
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("files")
  void matchesPyTorch(String file) {
    SafeTensors f = Conformance.load(file);
    Layer layer = fromMetadata(f.metadata());
    // PyTorch's parameter names and shapes: every tensor of the file that is not x, y, gy, gx or a gradient.
    Set<String> torchParams = f.names().stream().filter(n -> !n.startsWith("grad.") && !List.of("x", "y", "gy", "gx")
        .contains(n)).collect(Collectors.toCollection(TreeSet::new));
    assertEquals(torchParams, layer.parameters().stream().map(Parameter::name).collect(Collectors.toCollection(
        TreeSet::new)), file + ": parameter names");
    for (Parameter p : layer.parameters()) {
      assertEquals(f.shape(p.name()), p.value().shape(), file + ": shape of " + p.name());
      p.value().copyFrom(f.tensor(p.name()));
    }
    Tensor x = f.tensor("x");
    String what = file + " " + layer;
    Conformance.assertClose(what + " y", f.tensor("y"), layer.forward(x, true));
    Conformance.assertClose(what + " gx", f.tensor("gx"), layer.backward(f.tensor("gy")));
    for (Parameter p : layer.parameters()) {
      Conformance.assertClose(what + " grad." + p.name(), f.tensor("grad." + p.name()), p.grad());
    }
    // No running statistics: evaluation gives the same output.
    Conformance.assertClose(what + " y (evaluation)", f.tensor("y"), layer.forward(x, false));
  }

  /** A layer and an input shape it takes. */
  record Setting(Layer layer, Shape input) {}

  /** {@code [n, c, *]} with {@code extra} trailing axes of 1 to 3. */
  private static Shape channelsFirst(SplittableRandom r, int n, int c, int extra) {
    int[] dims = new int[2 + extra];
    dims[0] = n;
    dims[1] = c;
    for (int a = 2; a < dims.length; a++) {
      dims[a] = 1 + r.nextInt(3);
    }
    return Shape.of(dims);
  }

  /**
   * One of the six layers (by {@code kind}) in random settings, with an input it takes. Every set a
   * norm normalises has at least 3 elements: over 2, the output is +-1 to within eps, and a float32
   * forward cannot resolve its gradient (of the order of eps) by finite differences.
   */
  static Setting randomSetting(int kind, SplittableRandom r) {
    int n = 1 + r.nextInt(2);
    int c = 1 + r.nextInt(5);
    Shape image = Shape.of(n, c, 2 + r.nextInt(3), 2 + r.nextInt(3));
    return switch (kind) {
      case 0 -> {
        int groups = 1 + r.nextInt(3);
        int channels = groups * (1 + r.nextInt(3));
        Shape input;
        do {
          input = channelsFirst(r, 2, channels, r.nextInt(4));
        } while ((long) channels / groups * input.sizeOf(2, input.rank()) < 3);
        yield new Setting(GroupNorm.builder(groups, channels).affine(r.nextBoolean()).build(), input);
      }
      case 1 -> new Setting(InstanceNorm2D.builder(c).affine(r.nextBoolean()).eps(r.nextBoolean() ? 1e-5 : 1e-3)
          .build(), image);
      case 2 -> new Setting(LocalResponseNorm.builder(1 + r.nextInt(6)).alpha(0.1 + r.nextDouble())
          .beta(0.25 + r.nextDouble()).k(0.5 + r.nextDouble()).build(), channelsFirst(r, n, 1 + r.nextInt(6),
          1 + r.nextInt(3)));
      case 3 -> {
        int wide = 3 + r.nextInt(3);
        yield new Setting(LayerNorm2D.builder(wide).affine(r.nextBoolean()).build(), image.withDim(1, wide));
      }
      case 4 -> new Setting(new GlobalResponseNorm(c), image);
      default -> new Setting(new LayerScale(c, 0.5), image);
    };
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#seeds")
  void backwardMatchesFiniteDifferences(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    for (int kind = 0; kind < 6; kind++) {
      Setting setting = randomSetting(kind, r);
      Layer layer = setting.layer();
      long s = seed * 8 + kind;
      // Random parameters, away from their initial ones and zeros (a fresh GRN is the identity).
      for (Parameter p : layer.parameters()) {
        p.value().copyFrom(Tensor.uniform(p.value().shape(), 0.5f, 1.5f, s + 100));
      }
      Tensor x = Tensor.uniform(setting.input(), -2f, 2f, s);
      GradCheck.Report report = GradCheck.forLayer(layer).seed(s).check(x);
      assertEquals(1 + layer.parameters().size(), report.entries().size(), layer + " " + setting.input());
      assertTrue(report.passed(), () -> layer + " on " + setting.input() + "\n" + report);
    }
  }

  @Test
  void groupNormWithOneChannelPerGroupIsTheInstanceNorm() {
    Tensor x = Tensor.uniform(Shape.of(2, 3, 4, 5), -1f, 3f, 1);
    Tensor gy = Tensor.uniform(Shape.of(2, 3, 4, 5), -1f, 1f, 2);
    GroupNorm group = new GroupNorm(3, 3);
    InstanceNorm2D instance = InstanceNorm2D.builder(3).affine(true).build();
    for (Layer l : List.of(group, instance)) {
      l.parameters().get(0).value().copyFrom(Tensor.wrap(new float[] {0.5f, 1f, 2f}, 3));
      l.parameters().get(1).value().copyFrom(Tensor.wrap(new float[] {-1f, 0f, 1f}, 3));
    }
    assertArrayEquals(group.forward(x, true).toArray(), instance.forward(x, true).toArray());
    assertArrayEquals(group.backward(gy).toArray(), instance.backward(gy).toArray());
    assertArrayEquals(group.weight().grad().toArray(), instance.weight().grad().toArray());
  }

  @Test
  void lrnFollowsItsDefinition() {
    // Channels 0..3 at one position, size 3: windows [c - 1, c + 1] clipped, divided by size 3 anyway.
    float[] v = {1, 2, 3, 4};
    Tensor x = Tensor.wrap(v.clone(), 1, 4, 1);
    LocalResponseNorm lrn = LocalResponseNorm.builder(3).alpha(0.6).beta(0.5).k(2).build();
    float[] y = lrn.forward(x, true).toArray();
    double[] windows = {1 + 4, 1 + 4 + 9, 4 + 9 + 16, 9 + 16};
    for (int c = 0; c < 4; c++) {
      assertEquals(v[c] / Math.sqrt(2 + 0.6 / 3 * windows[c]), y[c], 1e-6, "channel " + c);
    }
  }

  @Test
  void freshLayersHaveTheirPyTorchDefaults() {
    Tensor x = Tensor.uniform(Shape.of(2, 3, 2, 2), -1f, 1f, 3);
    GlobalResponseNorm grn = new GlobalResponseNorm(3);
    assertArrayEquals(x.toArray(), grn.forward(x, true).toArray(), "gamma = beta = 0: the identity");
    assertEquals(Shape.of(1, 3, 1, 1), grn.gamma().value().shape());
    assertEquals(List.of("gamma", "beta"), names(grn));
    LayerScale scale = new LayerScale(3);
    assertEquals(Shape.of(3, 1, 1), scale.gamma().value().shape());
    assertArrayEquals(new float[] {1e-6f, 1e-6f, 1e-6f}, scale.gamma().value().toArray());
    assertEquals(List.of("weight", "bias"), names(new GroupNorm(1, 3)));
    assertEquals(List.of(), names(new InstanceNorm2D(3)), "nn.InstanceNorm2d: affine=False by default");
    assertEquals(List.of("weight", "bias"), names(new LayerNorm2D(3)));
    assertEquals(1e-5, new GroupNorm(1, 3).eps());
    assertEquals(1e-5, new InstanceNorm2D(3).eps());
    assertEquals(1e-6, new LayerNorm2D(3).eps());
    LocalResponseNorm lrn = new LocalResponseNorm(5);
    assertEquals(List.of(5.0, 1e-4, 0.75, 1.0), List.of((double) lrn.size(), lrn.alpha(), lrn.beta(), lrn.k()));
    assertEquals(Map.of(), lrn.buffers());
    assertEquals(Map.of(), new InstanceNorm2D(3).buffers(), "no running statistics");
    assertEquals(6L * 24, new GroupNorm(1, 3).flops(Shape.of(2, 3, 2, 2)));
    assertEquals(10L * 24, lrn.flops(Shape.of(2, 3, 2, 2)));
    assertEquals(24L, scale.flops(Shape.of(2, 3, 2, 2)));
  }

  private static List<String> names(Layer l) {
    return l.parameters().stream().map(Parameter::name).toList();
  }

  @Test
  void instanceNormRunningStatisticsAreRefusedByName(@TempDir Path dir) throws IOException {
    // nn.InstanceNorm2d(3, affine=True, track_running_stats=True)'s state dict.
    Path file = dir.resolve("tracked.safetensors");
    SafeTensors.write(file, Map.of("weight", Tensor.zeros(3), "bias", Tensor.zeros(3), "running_mean", Tensor.zeros(3),
        "running_var", Tensor.zeros(3), "num_batches_tracked", Tensor.zeros(1)), Map.of());
    StateMismatchException e = assertThrows(StateMismatchException.class,
        () -> StateDict.load(InstanceNorm2D.builder(3).affine(true).build(), file));
    assertEquals(Set.of("running_mean", "running_var", "num_batches_tracked"), Set.copyOf(e.unexpected()));
  }

  @Test
  void toStrings() {
    assertEquals("GroupNorm(2, 6)", new GroupNorm(2, 6).toString());
    assertEquals("GroupNorm(2, 6, eps=0.001, affine=false)", GroupNorm.builder(2, 6).eps(1e-3).affine(false).build()
        .toString());
    assertEquals("InstanceNorm2D(3)", new InstanceNorm2D(3).toString());
    assertEquals("InstanceNorm2D(3, eps=0.001, affine)", InstanceNorm2D.builder(3).eps(1e-3).affine(true).build()
        .toString());
    assertEquals("LayerNorm2D(4, eps=1.0E-5, affine=false)", LayerNorm2D.builder(4).eps(1e-5).affine(false).build()
        .toString());
    assertEquals("LocalResponseNorm(5, alpha=1.0E-4, beta=0.75, k=1.0)", new LocalResponseNorm(5).toString());
    assertEquals("GlobalResponseNorm(4)", new GlobalResponseNorm(4).toString());
    assertEquals("LayerScale(4)", new LayerScale(4).toString());
  }

  @Test
  void badSettingsAreNamed() {
    assertMessage("GroupNorm(4, 6): 6 channels are not divisible by 4 groups (expected: channels a multiple of groups)",
        () -> new GroupNorm(4, 6));
    assertMessage("GroupNorm(0, 6): groups 0 (expected: >= 1)", () -> new GroupNorm(0, 6));
    assertMessage("GroupNorm(2, 0): channels 0 (expected: >= 1)", () -> new GroupNorm(2, 0));
    assertMessage("GroupNorm(2, 6, eps=0.0): eps 0.0 (expected: finite and > 0)",
        () -> GroupNorm.builder(2, 6).eps(0).build());
    assertMessage("InstanceNorm2D(-1): channels -1 (expected: >= 1)", () -> new InstanceNorm2D(-1));
    assertMessage("InstanceNorm2D(3, eps=NaN): eps NaN (expected: finite and > 0)",
        () -> InstanceNorm2D.builder(3).eps(Double.NaN).build());
    assertMessage("LayerNorm2D(0): channels 0 (expected: >= 1)", () -> new LayerNorm2D(0));
    assertMessage("LayerNorm2D(3, eps=Infinity): eps Infinity (expected: finite and > 0)",
        () -> LayerNorm2D.builder(3).eps(Double.POSITIVE_INFINITY).build());
    assertMessage("LocalResponseNorm(0, alpha=1.0E-4, beta=0.75, k=1.0): size 0 (expected: >= 1)",
        () -> new LocalResponseNorm(0));
    assertMessage("LocalResponseNorm(3, alpha=-1.0, beta=0.75, k=1.0): alpha -1.0 (expected: finite and >= 0)",
        () -> LocalResponseNorm.builder(3).alpha(-1).build());
    assertMessage("LocalResponseNorm(3, alpha=1.0E-4, beta=NaN, k=1.0): beta NaN (expected: finite)",
        () -> LocalResponseNorm.builder(3).beta(Double.NaN).build());
    assertMessage("LocalResponseNorm(3, alpha=1.0E-4, beta=0.75, k=0.0): k 0.0 (expected: finite and > 0)",
        () -> LocalResponseNorm.builder(3).k(0).build());
    assertMessage("GlobalResponseNorm(0): channels 0 (expected: >= 1)", () -> new GlobalResponseNorm(0));
    assertMessage("LayerScale(-2): channels -2 (expected: >= 1)", () -> new LayerScale(-2));
    assertMessage("LayerScale(2): init NaN (expected: finite)", () -> new LayerScale(2, Double.NaN));
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> new InstanceNorm2D(3).weight());
    assertEquals("InstanceNorm2D(3) has no weight (built with affine(false))", e.getMessage());
    e = assertThrows(IllegalStateException.class, () -> LayerNorm2D.builder(3).affine(false).build().bias());
    assertEquals("LayerNorm2D(3, affine=false) has no bias (built with affine(false))", e.getMessage());
  }

  @Test
  void badInputsAreNamed() {
    assertMessage("GroupNorm(2, 6): input [6] has rank 1 (expected: at least 2, [N, C, *])",
        () -> new GroupNorm(2, 6).forward(Tensor.zeros(6), true));
    assertMessage("GroupNorm(2, 6): input [2, 4, 3] has 4 channels (expected: 6)",
        () -> new GroupNorm(2, 6).forward(Tensor.zeros(2, 4, 3), true));
    assertMessage("GroupNorm(2, 2): input [1, 2, 1, 1] has 1 value per channel (expected: more than 1 value in"
        + " N * C / groups * positions, as PyTorch)", () -> new GroupNorm(2, 2).outputShape(Shape.of(1, 2, 1, 1)));
    assertEquals(Shape.of(2, 2, 1, 1), new GroupNorm(2, 2).outputShape(Shape.of(2, 2, 1, 1)),
        "as PyTorch: N = 2 passes");
    assertMessage("InstanceNorm2D(3): input [2, 3, 4] has rank 3 (expected: 4, [N, C, H, W])",
        () -> new InstanceNorm2D(3).forward(Tensor.zeros(2, 3, 4), true));
    assertMessage("InstanceNorm2D(3): input [2, 5, 4, 4] has 5 channels (expected: 3)",
        () -> new InstanceNorm2D(3).forward(Tensor.zeros(2, 5, 4, 4), false));
    assertMessage("InstanceNorm2D(3): input [2, 3, 1, 1] has 1 position per channel (expected: more than 1 spatial"
        + " element, as PyTorch)", () -> new InstanceNorm2D(3).forward(Tensor.zeros(2, 3, 1, 1), false));
    assertMessage("LayerNorm2D(4): input [2, 4, 3] has rank 3 (expected: 4, [N, C, H, W])",
        () -> new LayerNorm2D(4).forward(Tensor.zeros(2, 4, 3), true));
    assertMessage("LayerNorm2D(4): input [2, 3, 3, 3] has 3 channels (expected: 4)",
        () -> new LayerNorm2D(4).outputShape(Shape.of(2, 3, 3, 3)));
    assertMessage("LocalResponseNorm(5, alpha=1.0E-4, beta=0.75, k=1.0): input [2, 3] has rank 2 (expected: at least"
        + " 3, [N, C, *])", () -> new LocalResponseNorm(5).forward(Tensor.zeros(2, 3), true));
    assertMessage("GlobalResponseNorm(4): input [2, 4, 3, 3, 3] has rank 5 (expected: 4, [N, C, H, W])",
        () -> new GlobalResponseNorm(4).forward(Tensor.zeros(2, 4, 3, 3, 3), true));
    assertMessage("GlobalResponseNorm(4): input [2, 5, 3, 3] has 5 channels (expected: 4)",
        () -> new GlobalResponseNorm(4).forward(Tensor.zeros(2, 5, 3, 3), true));
    assertMessage("LayerScale(4): input [4, 3, 3] has rank 3 (expected: 4, [N, C, H, W])",
        () -> new LayerScale(4).forward(Tensor.zeros(4, 3, 3), true));
    assertMessage("LayerScale(4): input [1, 2, 3, 3] has 2 channels (expected: 4)",
        () -> new LayerScale(4).forward(Tensor.zeros(1, 2, 3, 3), true));
  }

  /**
   * The layer with every parameter uniform in [0.5, 1.5), away from the initial ones and zeros that
   * would hide a term (a fresh GlobalResponseNorm is the identity); for {@link LayerCatalog}.
   */
  static Layer withParameters(Layer layer) {
    long seed = 70;
    for (Parameter p : layer.parameters()) {
      p.value().copyFrom(Tensor.uniform(p.value().shape(), 0.5f, 1.5f, seed++));
    }
    return layer;
  }

  private static void assertMessage(String expected, Executable e) {
    assertEquals(expected, assertThrows(IllegalArgumentException.class, e::execute).getMessage());
  }

  /** A call that throws. */
  @FunctionalInterface
  interface Executable {
    void execute();
  }
}

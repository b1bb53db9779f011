package org.autoprop.blocks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.autoprop.graph.LayerNode;
import org.autoprop.graph.MergeMode;
import org.autoprop.io.SafeTensors;
import org.autoprop.io.StateDict;
import org.autoprop.layer.Parameter;
import org.autoprop.models.GraphBlock;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.testing.Conformance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Inception blocks against torchvision's GoogLeNet {@code Inception} and Inception V3's
 * {@code InceptionA} to {@code InceptionE} ({@code tools/conformance/inception_zoo.py}, narrowed by
 * a width divisor): torchvision's state dict loads strictly, and the training output, the input and
 * parameter gradients, the updated running statistics and the evaluation output agree. The V4,
 * Inception-ResNet and Xception blocks have no torchvision counterpart: their shape rules, names and
 * options are checked here, their gradients by the catalogue entries in {@code LayerCatalog}.
 */
class IncepBlockTest {
  static Stream<String> files() throws IOException {
    try (Stream<java.nio.file.Path> s = Files.list(Conformance.dir())) {
      return s.map(p -> p.getFileName().toString()).filter(f -> f.startsWith("inception_"))
          .map(f -> f.substring(0, f.length() - ".safetensors".length())).sorted().toList().stream();
    }
  }

  @Test
  void conformanceFilesArePresent() throws IOException {
    assertEquals(List.of("inception_v1", "inception_v2_a", "inception_v2_b", "inception_v2_c", "inception_v2_redux_a",
        "inception_v2_redux_b"), files().toList());
  }

  private static IncepBlock block(Map<String, String> m) {
    int in = Integer.parseInt(m.get("in"));
    int d = Integer.parseInt(m.get("divisor"));
    IncepBlock.Builder b = switch (m.get("kind")) {
      case "v1" -> {
        int[] w = java.util.Arrays.stream(m.get("widths").split(",")).mapToInt(Integer::parseInt).toArray();
        yield IncepBlock.v1(in, w[0], w[1], w[2], w[3], w[4], w[5]);
      }
      case "v2_a" -> IncepBlock.v2TypeA(in, Integer.parseInt(m.get("arg"))).widthDivisor(d);
      case "v2_redux_a" -> IncepBlock.v2ReduxA(in).widthDivisor(d);
      case "v2_b" -> IncepBlock.v2TypeB(in, Integer.parseInt(m.get("arg"))).widthDivisor(d);
      case "v2_redux_b" -> IncepBlock.v2ReduxB(in).widthDivisor(d);
      case "v2_c" -> IncepBlock.v2TypeC(in).widthDivisor(d);
      default -> throw new IllegalArgumentException("unknown kind " + m.get("kind"));
    };
    return b.seed(1).build();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("files")
  void matchesTorchvision(String file) {
    SafeTensors f = Conformance.load(file);
    IncepBlock block = block(f.metadata());
    StateDict.load(block, f, "state.", file);
    Tensor x = f.tensor("x");
    Conformance.assertClose(file + " y", f.tensor("y"), block.forward(x, true));
    Conformance.assertClose(file + " gx", f.tensor("gx"), block.backward(f.tensor("gy")));
    List<Parameter> params = block.parameters();
    assertEquals(names(f, "grad."), params.stream().map(Parameter::name).collect(Collectors.toCollection(TreeSet::new)),
        "parameter names are torchvision's");
    for (Parameter p : params) {
      Conformance.assertClose(file + " grad of " + p.name(), f.tensor("grad." + p.name()), p.grad());
    }
    assertEquals(names(f, "after."), new TreeSet<>(block.buffers().keySet()), "buffer names are torchvision's");
    for (Map.Entry<String, Tensor> b : block.buffers().entrySet()) {
      if (Conformance.isBatchCounter(b.getKey())) {
        Conformance.assertBatchCounter(file + " " + b.getKey(), b.getValue(), (int) f.longs("after." + b.getKey())[0]);
      } else {
        Conformance.assertClose(file + " " + b.getKey() + " after the training forward",
            f.tensor("after." + b.getKey()), b.getValue());
      }
    }
    Conformance.assertClose(file + " y_eval", f.tensor("y_eval"), block.forward(x, false));
  }

  private static TreeSet<String> names(SafeTensors f, String prefix) {
    return f.names().stream().filter(n -> n.startsWith(prefix)).map(n -> n.substring(prefix.length()))
        .collect(Collectors.toCollection(TreeSet::new));
  }

  /** Each block at its published widths: the output shape of the paper's (or torchvision's) input. */
  static Stream<Arguments> publishedShapes() {
    return Stream.of(
        Arguments.of((Supplier<GraphBlock>) () -> IncepBlock.v1(192, 64, 96, 128, 16, 32, 32).seed(1).build(),
            Shape.of(1, 192, 28, 28), Shape.of(1, 256, 28, 28)),
        Arguments.of((Supplier<GraphBlock>) () -> IncepBlock.v2TypeA(192, 32).seed(1).build(),
            Shape.of(1, 192, 35, 35), Shape.of(1, 256, 35, 35)),
        Arguments.of((Supplier<GraphBlock>) () -> IncepBlock.v2ReduxA(288).seed(1).build(),
            Shape.of(1, 288, 35, 35), Shape.of(1, 768, 17, 17)),
        Arguments.of((Supplier<GraphBlock>) () -> IncepBlock.v2TypeB(768, 128).seed(1).build(),
            Shape.of(1, 768, 17, 17), Shape.of(1, 768, 17, 17)),
        Arguments.of((Supplier<GraphBlock>) () -> IncepBlock.v2ReduxB(768).seed(1).build(),
            Shape.of(1, 768, 17, 17), Shape.of(1, 1280, 8, 8)),
        Arguments.of((Supplier<GraphBlock>) () -> IncepBlock.v2TypeC(1280).seed(1).build(),
            Shape.of(1, 1280, 8, 8), Shape.of(1, 2048, 8, 8)),
        Arguments.of((Supplier<GraphBlock>) () -> IncepBlock.v4Stem(3).seed(1).build(),
            Shape.of(1, 3, 299, 299), Shape.of(1, 384, 35, 35)),
        Arguments.of((Supplier<GraphBlock>) () -> IncepBlock.v4TypeA(384).seed(1).build(),
            Shape.of(1, 384, 35, 35), Shape.of(1, 384, 35, 35)),
        Arguments.of((Supplier<GraphBlock>) () -> IncepBlock.v4ReduxA(384).seed(1).build(),
            Shape.of(1, 384, 35, 35), Shape.of(1, 1024, 17, 17)),
        Arguments.of((Supplier<GraphBlock>) () -> IncepBlock.v4TypeB(1024).seed(1).build(),
            Shape.of(1, 1024, 17, 17), Shape.of(1, 1024, 17, 17)),
        Arguments.of((Supplier<GraphBlock>) () -> IncepBlock.v4ReduxB(1024).seed(1).build(),
            Shape.of(1, 1024, 17, 17), Shape.of(1, 1536, 8, 8)),
        Arguments.of((Supplier<GraphBlock>) () -> IncepBlock.v4TypeC(1536).seed(1).build(),
            Shape.of(1, 1536, 8, 8), Shape.of(1, 1536, 8, 8)),
        Arguments.of((Supplier<GraphBlock>) () -> IncepResBlock.v1TypeA(256).seed(1).build(),
            Shape.of(1, 256, 35, 35), Shape.of(1, 256, 35, 35)),
        Arguments.of((Supplier<GraphBlock>) () -> IncepResBlock.v2TypeC(2080).seed(1).build(),
            Shape.of(1, 2080, 8, 8), Shape.of(1, 2080, 8, 8)),
        Arguments.of((Supplier<GraphBlock>) () -> XceptionBlock.entry(64, 128).startWithRelu(false).seed(1).build(),
            Shape.of(1, 64, 147, 147), Shape.of(1, 128, 74, 74)),
        Arguments.of((Supplier<GraphBlock>) () -> XceptionBlock.middle(728).seed(1).build(),
            Shape.of(1, 728, 19, 19), Shape.of(1, 728, 19, 19)),
        Arguments.of((Supplier<GraphBlock>) () -> XceptionBlock.exit(728, 1024).seed(1).build(),
            Shape.of(1, 728, 19, 19), Shape.of(1, 1024, 10, 10)));
  }

  @ParameterizedTest(name = "{1} -> {2}")
  @MethodSource("publishedShapes")
  void publishedWidthsGiveThePublishedShapes(Supplier<GraphBlock> make, Shape in, Shape out) {
    assertEquals(out, make.get().outputShape(in));
  }

  @Test
  void theV2TypeCFlattensTorchvisionsInnerConcatenations() {
    IncepBlock c = IncepBlock.v2TypeC(8).widthDivisor(16).seed(2).build();
    assertEquals("IncepBlock.V2.TypeC", c.typeName());
    LayerNode cat = c.graph().term();
    assertEquals(MergeMode.CHCAT, cat.mode());
    assertEquals(List.of("branch1x1", "branch3x3_2a", "branch3x3_2b", "branch3x3dbl_3a", "branch3x3dbl_3b",
        "branch_pool"), c.graph().predecessors(cat).stream().map(LayerNode::name).toList());
  }

  @Test
  void residualBlocksKeepTheShapeAndScaleTheResidual() {
    IncepResBlock a = IncepResBlock.v2TypeA(8).widthDivisor(16).scale(0).relu(false).seed(3).build();
    assertEquals("IncepResBlock.V2.TypeA", a.typeName());
    Tensor x = Tensor.uniform(Shape.of(2, 8, 5, 5), -1f, 1f, 4);
    // Scale 0 and no ReLU: the block is the identity.
    Conformance.assertClose("scale 0", x, a.forward(x, true), 0);
    IncepResBlock b = IncepResBlock.v2TypeB(12).widthDivisor(16).seed(3).build();
    assertEquals(Shape.of(2, 12, 6, 6), b.outputShape(Shape.of(2, 12, 6, 6)));
    assertEquals(List.of("branch0.conv.weight", "branch0.bn.weight", "branch0.bn.bias"),
        b.parameters().stream().map(Parameter::name).limit(3).toList());
    assertTrue(b.parameters().stream().anyMatch(p -> p.name().equals("conv2d.bias")), "conv2d has a bias");
    assertEquals(Shape.of(12, 24, 1, 1), StateDict.of(b).get("conv2d.weight").shape());
    assertTrue(StateDict.of(b).containsKey("branch1.2.bn.running_var"));
  }

  @Test
  void xceptionBlocksHaveTimmsNames() {
    XceptionBlock first = XceptionBlock.entry(4, 8).startWithRelu(false).seed(5).build();
    assertEquals("XceptionBlock.Entry", first.typeName());
    assertEquals(List.of("rep.0.conv1.weight", "rep.0.pointwise.weight", "rep.1.weight", "rep.1.bias",
        "rep.3.conv1.weight", "rep.3.pointwise.weight", "rep.4.weight", "rep.4.bias", "skip.weight",
        "skipbn.weight", "skipbn.bias"), first.parameters().stream().map(Parameter::name).toList());
    assertEquals(Shape.of(4, 1, 3, 3), StateDict.of(first).get("rep.0.conv1.weight").shape());
    XceptionBlock exit = XceptionBlock.exit(4, 8).seed(5).build();
    // Grow last: the first separable convolution keeps 4 channels, the second widens to 8.
    assertEquals(Shape.of(4, 4, 1, 1), StateDict.of(exit).get("rep.1.pointwise.weight").shape());
    assertEquals(Shape.of(8, 4, 1, 1), StateDict.of(exit).get("rep.4.pointwise.weight").shape());
    XceptionBlock middle = XceptionBlock.middle(4).seed(5).build();
    assertTrue(middle.parameters().stream().noneMatch(p -> p.name().startsWith("skip")), "identity shortcut");
  }

  @Test
  void badOptionsAreNamed() {
    var e = assertThrows(IllegalArgumentException.class, () -> IncepBlock.v2TypeA(8, 0));
    assertEquals("IncepBlock.V2.TypeA: channels [8, 0] (expected: >= 1 each)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> IncepBlock.v2TypeC(8).widthDivisor(7).build());
    assertEquals("IncepBlock.V2.TypeC: widthDivisor 7 does not divide the width 320 (expected: a divisor of every"
        + " width of the block)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> IncepBlock.v1(4, 1, 1, 1, 1, 1, 1).widthDivisor(2));
    assertEquals("IncepBlock.V1: widthDivisor is an option of the V2 and V4 blocks (V1's widths are its arguments)",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> IncepResBlock.v1TypeB(8).scale(Double.NaN));
    assertEquals("IncepResBlock.V1.TypeB: scale NaN (expected: finite)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> XceptionBlock.middle(8).reps(0));
    assertEquals("XceptionBlock.Middle: reps 0 (expected: >= 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> BasicConv2D.builder(3, 0));
    assertEquals("BasicConv2D: in 3, out 0 (expected: >= 1 each)", e.getMessage());
    IncepBlock v1 = IncepBlock.v1(4, 1, 1, 1, 1, 1, 1).seed(1).build();
    e = assertThrows(IllegalArgumentException.class, () -> v1.forward(Tensor.zeros(1, 3, 5, 5), true));
    assertTrue(e.getMessage().startsWith("IncepBlock.V1: ") && e.getMessage().contains("[1, 3, 5, 5]"), e.getMessage());
  }
}

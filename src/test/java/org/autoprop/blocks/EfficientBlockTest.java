package org.autoprop.blocks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.autoprop.io.SafeTensors;
import org.autoprop.io.StateDict;
import org.autoprop.layer.Parameter;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.testing.Conformance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * EfficientBlock MBConv and FusedMBConv against torchvision's {@code MBConv} and {@code FusedMBConv}
 * ({@code tools/conformance/efficient_zoo.py}: with and without expansion and residual, kernel 3 and
 * 5, batch norm eps 1e-5 and 1e-3), and torchvision's {@code SqueezeExcitation} inside them: strict
 * loading, outputs, gradients and running statistics ({@link TorchvisionBlockCheck}). Finite
 * differences: the catalogue entries in {@code LayerCatalog}.
 */
class EfficientBlockTest {
  static Stream<String> files() throws IOException {
    return TorchvisionBlockCheck.files("effblock_");
  }

  @Test
  void conformanceFilesArePresent() throws IOException {
    assertEquals(4, files().count());
  }

  private static EfficientBlock block(Map<String, String> m) {
    int in = Integer.parseInt(m.get("in"));
    int out = Integer.parseInt(m.get("out"));
    EfficientBlock.Builder b = m.get("kind").equals("fused") ? EfficientBlock.fusedMBConv(in, out)
        : EfficientBlock.mbConv(in, out);
    return b.expand(Double.parseDouble(m.get("expand"))).kernel(Integer.parseInt(m.get("kernel")))
        .stride(Integer.parseInt(m.get("stride"))).eps(Double.parseDouble(m.get("eps"))).seed(1).build();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("files")
  void matchesTorchvision(String file) {
    SafeTensors f = Conformance.load(file);
    TorchvisionBlockCheck.assertMatches(file, f, block(f.metadata()));
  }

  @Test
  void mbConvHasTorchvisionsLayout() {
    EfficientBlock block = EfficientBlock.mbConv(8, 8).expand(4).kernel(5).seed(2).build();
    assertEquals("EfficientBlock.MBConv", block.typeName());
    List<String> names = block.parameters().stream().map(Parameter::name).toList();
    assertEquals(List.of("block.0.0.weight", "block.0.1.weight", "block.0.1.bias", "block.1.0.weight",
        "block.1.1.weight", "block.1.1.bias", "block.2.fc1.weight", "block.2.fc1.bias", "block.2.fc2.weight",
        "block.2.fc2.bias", "block.3.0.weight", "block.3.1.weight", "block.3.1.bias"), names);
    Map<String, Tensor> state = StateDict.of(block);
    assertEquals(Shape.of(32, 1, 5, 5), state.get("block.1.0.weight").shape());
    // The squeeze width is max(1, in / 4) of the block's input, not of the expanded width.
    assertEquals(Shape.of(2, 32, 1, 1), state.get("block.2.fc1.weight").shape());
    assertTrue(block.summary(Shape.of(2, 8, 5, 5)).contains("SUM"));
    assertTrue(!block.summary(Shape.of(2, 8, 5, 5)).contains("DropPath"), "no stochastic depth at p = 0");
  }

  @Test
  void theExpandedWidthRoundsAsTorchvision() {
    // _make_divisible(4 * 1, 8) = 8: even expansion 1 adds the expansion layer to a width of 4.
    EfficientBlock narrow = EfficientBlock.mbConv(4, 4).expand(1).seed(3).build();
    assertEquals(Shape.of(8, 4, 1, 1), StateDict.of(narrow).get("block.0.0.weight").shape());
    // in 16, expansion 1: no expansion; the fused block is then one k x k conv, batch norm, SiLU.
    EfficientBlock fused = EfficientBlock.fusedMBConv(16, 24).expand(1).stride(2).seed(4).build();
    assertEquals(List.of("block.0.0.weight", "block.0.1.weight", "block.0.1.bias"),
        fused.parameters().stream().map(Parameter::name).toList());
    assertEquals(Shape.of(2, 24, 4, 4), fused.outputShape(Shape.of(2, 16, 7, 7)));
  }

  @Test
  void stochasticDepthDropsWholeSamplesOfTheBranchInTraining() {
    EfficientBlock block = EfficientBlock.fusedMBConv(8, 8).expand(2).stochasticDepth(1).seed(5).build();
    assertTrue(block.summary(Shape.of(2, 8, 4, 4)).contains("DropPath"));
    Tensor x = Tensor.zeros(2, 8, 4, 4);
    float[] v = x.data();
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) Math.sin(i);
    }
    // p = 1 drops the branch of every sample: the training output is the input.
    Conformance.assertClose("p = 1, training", x, block.forward(x, true), 0);
    Tensor eval = block.forward(x, false);
    assertTrue(Math.abs(eval.data()[0] - v[0]) > 1e-6, "evaluation keeps the branch");
  }

  @Test
  void badOptionsAreNamed() {
    var e = assertThrows(IllegalArgumentException.class, () -> EfficientBlock.mbConv(0, 4));
    assertEquals("EfficientBlock.MBConv: in 0, out 4 (expected: >= 1 each)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> EfficientBlock.fusedMBConv(4, 4).stride(3));
    assertEquals("EfficientBlock.FusedMBConv: stride 3 (expected: 1 or 2)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> EfficientBlock.mbConv(4, 4).kernel(2));
    assertEquals("EfficientBlock.MBConv: kernel 2 (expected: odd and >= 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> EfficientBlock.mbConv(4, 4).expand(-1));
    assertEquals("EfficientBlock.MBConv: expand -1.0 (expected: > 0)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> EfficientBlock.mbConv(4, 4).stochasticDepth(1.5));
    assertEquals("EfficientBlock.MBConv: stochasticDepth 1.5 (expected: 0 <= p <= 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> EfficientBlock.mbConv(4, 4).eps(0));
    assertEquals("EfficientBlock.MBConv: eps 0.0 (expected: > 0)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> EfficientBlock.mbConv(4, 4).momentum(-0.1));
    assertEquals("EfficientBlock.MBConv: momentum -0.1 (expected: 0 <= momentum <= 1)", e.getMessage());
    EfficientBlock block = EfficientBlock.mbConv(8, 8).seed(6).build();
    e = assertThrows(IllegalArgumentException.class, () -> block.forward(Tensor.zeros(1, 4, 5, 5), false));
    assertTrue(e.getMessage().startsWith("EfficientBlock.MBConv: ") && e.getMessage().contains("[1, 4, 5, 5]"),
        e.getMessage());
  }

  @Test
  void squeezeExcitationIsTorchvisions() {
    SqueezeExcitation se = SqueezeExcitation.builder(6, 2).seed(7).build();
    assertEquals("SqueezeExcitation", se.typeName());
    assertEquals(List.of("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"),
        se.parameters().stream().map(Parameter::name).toList());
    assertEquals(Shape.of(2, 6, 3, 4), se.outputShape(Shape.of(2, 6, 3, 4)));
    var e = assertThrows(IllegalArgumentException.class, () -> SqueezeExcitation.builder(6, 0));
    assertEquals("SqueezeExcitation: channels 6, squeeze 0 (expected: >= 1 each)", e.getMessage());
  }
}

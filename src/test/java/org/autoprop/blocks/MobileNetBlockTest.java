package org.autoprop.blocks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.autoprop.io.SafeTensors;
import org.autoprop.io.StateDict;
import org.autoprop.layer.HardSigmoid;
import org.autoprop.layer.HardSwish;
import org.autoprop.layer.Parameter;
import org.autoprop.layer.ReLU;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.testing.Conformance;
import org.autoprop.testing.LayerTree;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The MobileNet blocks against torchvision's {@code InvertedResidual} (expansion 1 and 6, with
 * and without the residual) and, for {@code InvRes_SE}, the same composed of torch.nn modules
 * ({@code tools/conformance/mobilenet_zoo.py}): the state dict loads strictly into the block, and
 * the training output, the input and parameter gradients, the updated running statistics and the
 * evaluation output agree; the same for the MobileNetV3 block against torchvision's
 * {@code mobilenetv3.InvertedResidual} ({@code tools/conformance/efficient_zoo.py}, files
 * {@code mnv3block_*}). Finite differences: the catalogue entries in {@code LayerCatalog}.
 */
class MobileNetBlockTest {
  static Stream<String> files() throws IOException {
    try (Stream<java.nio.file.Path> s = Files.list(Conformance.dir())) {
      return s.map(p -> p.getFileName().toString()).filter(f -> f.startsWith("mobilenet_"))
          .map(f -> f.substring(0, f.length() - ".safetensors".length())).sorted().toList().stream();
    }
  }

  @Test
  void conformanceFilesArePresent() throws IOException {
    assertEquals(5, files().count());
  }

  private static MobileNetBlock block(Map<String, String> m) {
    int in = Integer.parseInt(m.get("in"));
    int out = Integer.parseInt(m.get("out"));
    MobileNetBlock.Builder b = m.get("kind").equals("invres") ? MobileNetBlock.invRes(in, out)
        : MobileNetBlock.invResSE(in, out);
    return b.stride(Integer.parseInt(m.get("stride"))).expand(Double.parseDouble(m.get("expand"))).seed(1).build();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("files")
  void matchesTorchvision(String file) {
    SafeTensors f = Conformance.load(file);
    MobileNetBlock block = block(f.metadata());
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
        // torchvision's int64 count, loaded (7) and advanced by the training forward.
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

  @Test
  void theResidualIsAddedOnlyWhenStrideIsOneAndTheWidthsAgree() {
    assertTrue(MobileNetBlock.invRes(4, 4).expand(6).seed(2).build().summary(Shape.of(1, 4, 5, 5)).contains("SUM"));
    assertTrue(!MobileNetBlock.invRes(4, 8).seed(2).build().summary(Shape.of(1, 4, 5, 5)).contains("SUM"));
    MobileNetBlock strided = MobileNetBlock.invRes(4, 4).stride(2).seed(2).build();
    assertTrue(!strided.summary(Shape.of(1, 4, 5, 5)).contains("SUM"));
    assertEquals(Shape.of(1, 4, 3, 3), strided.outputShape(Shape.of(1, 4, 5, 5)));
  }

  @Test
  void theHiddenWidthRoundsHalfToEvenAsPython() {
    // round(5 * 0.5) = round(2.5) = 2 in Python: the depthwise weight is [2, 1, 3, 3].
    MobileNetBlock block = MobileNetBlock.invRes(5, 5).expand(0.5).seed(3).build();
    assertEquals(Shape.of(2, 1, 3, 3), StateDict.of(block).get("conv.1.0.weight").shape());
  }

  @Test
  void squeezeExcitationGatesTheDepthwiseStage() {
    MobileNetBlock block = MobileNetBlock.invResSE(4, 6).expand(2).seReduction(2).kernel(5).seed(4).build();
    assertEquals("MobileNetBlock.InvRes_SE", block.typeName());
    assertEquals(Shape.of(2, 6, 5, 5), block.outputShape(Shape.of(2, 4, 5, 5)));
    List<String> names = block.parameters().stream().map(Parameter::name).toList();
    assertEquals(List.of("expand.0.weight", "expand.1.weight", "expand.1.bias", "depthwise.0.weight",
        "depthwise.1.weight", "depthwise.1.bias", "se.2.weight", "se.2.bias", "se.4.weight", "se.4.bias",
        "project.0.weight", "project.1.weight", "project.1.bias"), names);
    assertEquals(Shape.of(8, 1, 5, 5), StateDict.of(block).get("depthwise.0.weight").shape());
    assertEquals(Shape.of(4, 8), StateDict.of(block).get("se.2.weight").shape());
    String summary = block.summary(Shape.of(2, 4, 5, 5));
    assertTrue(summary.contains("HardSwish") && summary.contains("HADAMARD"), summary);
  }

  @Test
  void aSeedReproducesTheWeights() {
    Map<String, Tensor> a = StateDict.of(MobileNetBlock.invRes(3, 5).expand(6).seed(9).build());
    Map<String, Tensor> b = StateDict.of(MobileNetBlock.invRes(3, 5).expand(6).seed(9).build());
    for (String k : a.keySet()) {
      Conformance.assertClose(k, a.get(k), b.get(k), 0);
    }
  }

  @Test
  void badOptionsAreNamed() {
    var e = assertThrows(IllegalArgumentException.class, () -> MobileNetBlock.invRes(4, 0));
    assertEquals("MobileNetBlock.InvRes: in 4, out 0 (expected: >= 1 each)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> MobileNetBlock.invRes(4, 4).stride(3));
    assertEquals("MobileNetBlock.InvRes: stride 3 (expected: 1 or 2)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> MobileNetBlock.invRes(4, 4).kernel(4));
    assertEquals("MobileNetBlock.InvRes: kernel 4 (expected: odd and >= 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> MobileNetBlock.invRes(4, 4).expand(0));
    assertEquals("MobileNetBlock.InvRes: expand 0.0 (expected: > 0)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> MobileNetBlock.invRes(4, 4).expand(Double.NaN));
    assertEquals("MobileNetBlock.InvRes: expand NaN (expected: > 0)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> MobileNetBlock.invRes(4, 4).expand(0.1).build());
    assertEquals("MobileNetBlock.InvRes: hidden width round(in * expand) = round(4 * 0.1) = 0 (expected: 1 .. "
        + Integer.MAX_VALUE + ")", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> MobileNetBlock.invRes(4, 4).seReduction(2));
    assertEquals("MobileNetBlock.InvRes: seReduction is an option of MobileNetBlock.InvRes_SE", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> MobileNetBlock.invRes(4, 4).momentum(1.5));
    assertEquals("MobileNetBlock.InvRes: momentum 1.5 (expected: 0 <= momentum <= 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> MobileNetBlock.invResSE(4, 4).seReduction(5).build());
    assertTrue(e.getMessage().startsWith("SEBlock2D: reduction 5 (expected: 1 <= reduction <= 4"), e.getMessage());
    MobileNetBlock block = MobileNetBlock.invRes(4, 4).seed(1).build();
    e = assertThrows(IllegalArgumentException.class, () -> block.forward(Tensor.zeros(1, 3, 5, 5), true));
    assertTrue(e.getMessage().startsWith("MobileNetBlock.InvRes: ") && e.getMessage().contains("[1, 3, 5, 5]"),
        e.getMessage());
  }

  static Stream<String> v3Files() throws IOException {
    return TorchvisionBlockCheck.files("mnv3block_");
  }

  @Test
  void v3ConformanceFilesArePresent() throws IOException {
    assertEquals(3, v3Files().count());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("v3Files")
  void v3MatchesTorchvision(String file) {
    SafeTensors f = Conformance.load(file);
    Map<String, String> m = f.metadata();
    MobileNetBlock.V3Builder b = MobileNetBlock.invResV3(Integer.parseInt(m.get("in")),
        Integer.parseInt(m.get("expanded")), Integer.parseInt(m.get("out"))).kernel(Integer.parseInt(m.get("kernel")))
        .stride(Integer.parseInt(m.get("stride"))).seed(1);
    int se = Integer.parseInt(m.get("se"));
    if (se > 0) {
      b.squeezeExcitation(se);
    }
    if (m.get("hs").equals("1")) {
      b.hardSwish();
    }
    TorchvisionBlockCheck.assertMatches(file, f, b.build());
  }

  @Test
  void v3HasTorchvisionsLayout() {
    MobileNetBlock block = MobileNetBlock.invResV3(8, 24, 8).kernel(5).squeezeExcitation(8).hardSwish().seed(5)
        .build();
    assertEquals("MobileNetBlock.InvResV3", block.typeName());
    assertEquals(List.of("block.0.0.weight", "block.0.1.weight", "block.0.1.bias", "block.1.0.weight",
        "block.1.1.weight", "block.1.1.bias", "block.2.fc1.weight", "block.2.fc1.bias", "block.2.fc2.weight",
        "block.2.fc2.bias", "block.3.0.weight", "block.3.1.weight", "block.3.1.bias"),
        block.parameters().stream().map(Parameter::name).toList());
    assertTrue(block.summary(Shape.of(2, 8, 5, 5)).contains("SUM"));
    // Hard swish after the expansion and the depthwise conv, ReLU and a hard sigmoid in the gate.
    assertEquals(2, LayerTree.all(block, HardSwish.class).size());
    assertEquals(1, LayerTree.all(block, ReLU.class).size());
    assertEquals(1, LayerTree.all(block, HardSigmoid.class).size());
    MobileNetBlock plain = MobileNetBlock.invResV3(8, 8, 16).stride(2).seed(6).build();
    assertEquals(List.of("block.0.0.weight", "block.0.1.weight", "block.0.1.bias", "block.1.0.weight",
        "block.1.1.weight", "block.1.1.bias"), plain.parameters().stream().map(Parameter::name).toList());
    assertTrue(!plain.summary(Shape.of(2, 8, 5, 5)).contains("SUM"));
    assertEquals(1, LayerTree.all(plain, ReLU.class).size());
    assertEquals(0, LayerTree.all(plain, HardSwish.class).size());
    assertEquals(Shape.of(2, 16, 3, 3), plain.outputShape(Shape.of(2, 8, 5, 5)));
  }

  @Test
  void v3BadOptionsAreNamed() {
    var e = assertThrows(IllegalArgumentException.class, () -> MobileNetBlock.invResV3(4, 0, 4));
    assertEquals("MobileNetBlock.InvResV3: in 4, expanded 0, out 4 (expected: >= 1 each)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> MobileNetBlock.invResV3(4, 4, 4).stride(0));
    assertEquals("MobileNetBlock.InvResV3: stride 0 (expected: 1 or 2)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> MobileNetBlock.invResV3(4, 4, 4).kernel(6));
    assertEquals("MobileNetBlock.InvResV3: kernel 6 (expected: odd and >= 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> MobileNetBlock.invResV3(4, 4, 4).squeezeExcitation(0));
    assertEquals("MobileNetBlock.InvResV3: squeezeExcitation 0 (expected: >= 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> MobileNetBlock.invResV3(4, 4, 4).eps(-1));
    assertEquals("MobileNetBlock.InvResV3: eps -1.0 (expected: > 0)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> MobileNetBlock.invResV3(4, 4, 4).momentum(2));
    assertEquals("MobileNetBlock.InvResV3: momentum 2.0 (expected: 0 <= momentum <= 1)", e.getMessage());
  }
}

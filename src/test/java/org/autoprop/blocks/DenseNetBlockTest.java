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
import org.autoprop.graph.LayerGraph;
import org.autoprop.graph.LayerNode;
import org.autoprop.graph.MergeMode;
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
 * The DenseNet blocks against torchvision's {@code _DenseLayer}, {@code _DenseBlock} and
 * {@code _Transition} ({@code tools/conformance/densenet_zoo.py}): torchvision's state dict loads
 * strictly into the block, and the training output (the dense block's concatenation in
 * torchvision's order), the input and parameter gradients, the updated running statistics and the
 * evaluation output agree. Finite differences: the catalogue entries in {@code LayerCatalog}.
 */
class DenseNetBlockTest {
  static Stream<String> files() throws IOException {
    try (Stream<java.nio.file.Path> s = Files.list(Conformance.dir())) {
      return s.map(p -> p.getFileName().toString()).filter(f -> f.startsWith("densenet_"))
          .map(f -> f.substring(0, f.length() - ".safetensors".length())).sorted().toList().stream();
    }
  }

  @Test
  void conformanceFilesArePresent() throws IOException {
    assertEquals(List.of("densenet_block_2_layers", "densenet_block_3_layers", "densenet_layer", "densenet_transition"),
        files().toList());
  }

  private static DenseNetBlock block(Map<String, String> m) {
    int in = Integer.parseInt(m.get("in"));
    return switch (m.get("kind")) {
      case "layer" -> DenseNetBlock.composite(in, Integer.parseInt(m.get("growth")))
          .bnSize(Integer.parseInt(m.get("bn_size"))).seed(1).build();
      case "block" -> DenseNetBlock.denseUnit(in, Integer.parseInt(m.get("layers")), Integer.parseInt(m.get("growth")))
          .bnSize(Integer.parseInt(m.get("bn_size"))).seed(1).build();
      case "transition" -> DenseNetBlock.transition(in, Integer.parseInt(m.get("out"))).seed(1).build();
      default -> throw new IllegalArgumentException("unknown kind " + m.get("kind"));
    };
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("files")
  void matchesTorchvision(String file) {
    SafeTensors f = Conformance.load(file);
    DenseNetBlock block = block(f.metadata());
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
  void theDenseUnitConcatenatesTheInputThenEveryLayerInOrder() {
    DenseNetBlock unit = DenseNetBlock.denseUnit(3, 3, 2).seed(4).build();
    assertEquals("DenseNetBlock.DenseUnit", unit.typeName());
    assertEquals(Shape.of(2, 9, 4, 4), unit.outputShape(Shape.of(2, 3, 4, 4)));
    LayerGraph g = unit.graph();
    LayerNode concat = g.term();
    assertEquals(MergeMode.CHCAT, concat.mode());
    assertEquals(List.of("in", "denselayer1", "denselayer2", "denselayer3"),
        g.predecessors(concat).stream().map(LayerNode::name).toList());
    LayerNode third = g.predecessors(concat).get(3);
    assertEquals(MergeMode.CHCAT, third.mode());
    assertEquals(List.of("in", "denselayer1", "denselayer2"), g.predecessors(third).stream().map(LayerNode::name).toList());
    assertEquals("DenseNetBlock.Composite", third.layer().typeName());
    // The first in + 0 channels of the output are the input itself.
    Tensor x = Tensor.uniform(Shape.of(2, 3, 4, 4), -1f, 1f, 5);
    Tensor y = unit.forward(x, true);
    for (int n = 0; n < 2; n++) {
      for (int i = 0; i < 3 * 16; i++) {
        assertEquals(x.data()[n * 48 + i], y.data()[n * 9 * 16 + i], "input channel element " + i + " of sample " + n);
      }
    }
  }

  @Test
  void theCompositeAndTheTransitionHaveTorchvisionsShapes() {
    DenseNetBlock layer = DenseNetBlock.composite(5, 3).seed(2).build();
    assertEquals(Shape.of(1, 3, 6, 6), layer.outputShape(Shape.of(1, 5, 6, 6)));
    assertEquals(List.of("norm1.weight", "norm1.bias", "conv1.weight", "norm2.weight", "norm2.bias", "conv2.weight"),
        layer.parameters().stream().map(Parameter::name).toList());
    assertEquals(Shape.of(12, 5, 1, 1), layer.parameters().get(2).value().shape());
    assertEquals(Shape.of(3, 12, 3, 3), layer.parameters().get(5).value().shape());
    DenseNetBlock transition = DenseNetBlock.transition(6, 3).seed(3).build();
    assertEquals("DenseNetBlock.Transition", transition.typeName());
    assertEquals(Shape.of(2, 3, 2, 3), transition.outputShape(Shape.of(2, 6, 5, 7)));
    assertEquals(List.of("norm.weight", "norm.bias", "conv.weight"),
        transition.parameters().stream().map(Parameter::name).toList());
  }

  @Test
  void aSeedReproducesTheWeights() {
    List<Parameter> a = DenseNetBlock.denseUnit(2, 2, 3).seed(9).build().parameters();
    List<Parameter> b = DenseNetBlock.denseUnit(2, 2, 3).seed(9).build().parameters();
    for (int i = 0; i < a.size(); i++) {
      Conformance.assertClose(a.get(i).name(), a.get(i).value(), b.get(i).value(), 0);
    }
    assertTrue(!java.util.Arrays.equals(a.get(2).value().data(),
        DenseNetBlock.denseUnit(2, 2, 3).seed(10).build().parameters().get(2).value().data()), "another seed");
  }

  @Test
  void badOptionsAreNamed() {
    var e = assertThrows(IllegalArgumentException.class, () -> DenseNetBlock.denseUnit(4, 0, 2));
    assertEquals("DenseNetBlock.DenseUnit: in 4, layers 0, growth 2 (expected: >= 1 each)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> DenseNetBlock.composite(0, 2));
    assertEquals("DenseNetBlock.Composite: in 0, growth 2 (expected: >= 1 each)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> DenseNetBlock.transition(4, 0));
    assertEquals("DenseNetBlock.Transition: in 4, out 0 (expected: >= 1 each)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> DenseNetBlock.transition(4, 2).bnSize(2));
    assertEquals("DenseNetBlock.Transition: bnSize is an option of the composite and the dense unit", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> DenseNetBlock.composite(4, 2).bnSize(0));
    assertEquals("DenseNetBlock.Composite: bnSize 0 (expected: 1 .. 1073741823 for growth 2)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> DenseNetBlock.denseUnit(4, 2, 2).momentum(1.5));
    assertEquals("DenseNetBlock.DenseUnit: momentum 1.5 (expected: 0 <= momentum <= 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> DenseNetBlock.denseUnit(2, 1 << 20, 1 << 12));
    assertEquals("DenseNetBlock.DenseUnit: in + layers * growth = 4294967298 channels (expected: <= 2147483647)",
        e.getMessage());
    DenseNetBlock unit = DenseNetBlock.denseUnit(4, 2, 2).seed(1).build();
    e = assertThrows(IllegalArgumentException.class, () -> unit.forward(Tensor.zeros(1, 3, 5, 5), true));
    assertTrue(e.getMessage().startsWith("DenseNetBlock.DenseUnit: ") && e.getMessage().contains("[1, 3, 5, 5]"),
        e.getMessage());
  }
}

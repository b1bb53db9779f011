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
import org.autoprop.layer.Parameter;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.testing.Conformance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The ResNet blocks against torchvision's {@code BasicBlock} and {@code Bottleneck}
 * ({@code tools/conformance/resnet_blocks.py}): torchvision's state dict loads strictly into the
 * block, and the training output, the input and parameter gradients, the updated running statistics
 * and the evaluation output agree. Finite differences: the catalogue entries in
 * {@code LayerCatalog}.
 */
class ResNetBlockTest {
  static Stream<String> files() throws IOException {
    try (Stream<java.nio.file.Path> s = Files.list(Conformance.dir())) {
      return s.map(p -> p.getFileName().toString()).filter(f -> f.startsWith("resnet_"))
          .map(f -> f.substring(0, f.length() - ".safetensors".length())).sorted().toList().stream();
    }
  }

  @Test
  void conformanceFilesArePresent() throws IOException {
    assertEquals(5, files().count());
  }

  private static ResNetBlock block(Map<String, String> m) {
    int in = Integer.parseInt(m.get("in"));
    int planes = Integer.parseInt(m.get("planes"));
    int stride = Integer.parseInt(m.get("stride"));
    if (m.get("kind").equals("basic")) {
      return ResNetBlock.basic(in, planes).stride(stride).seed(1).build();
    }
    return ResNetBlock.bottleneck(in, planes).stride(stride).groups(Integer.parseInt(m.get("groups")))
        .baseWidth(Integer.parseInt(m.get("base_width"))).seed(1).build();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("files")
  void matchesTorchvision(String file) {
    SafeTensors f = Conformance.load(file);
    ResNetBlock block = block(f.metadata());
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
  void squeezeExcitationGatesTheResidual() {
    ResNetBlock block = ResNetBlock.bottleneck(8, 4).squeezeExcitation(4).seed(2).build();
    assertEquals("ResNetBlock.Bottleneck", block.typeName());
    assertEquals(Shape.of(2, 16, 5, 5), block.outputShape(Shape.of(2, 8, 5, 5)));
    List<String> names = block.parameters().stream().map(Parameter::name).toList();
    assertTrue(names.containsAll(List.of("se.2.weight", "se.4.weight", "downsample.0.weight", "downsample.1.weight")),
        names::toString);
    String summary = block.summary(Shape.of(2, 8, 5, 5));
    assertTrue(summary.contains("scale") && summary.contains("HADAMARD"), summary);
  }

  @Test
  void preActivationBlockEndsWithTheSumAndProjectsWithAConvolution() {
    ResNetBlock block = ResNetBlock.preActBottleneck(4, 2).stride(2).seed(3).build();
    assertEquals(Shape.of(1, 8, 3, 3), block.outputShape(Shape.of(1, 4, 5, 5)));
    List<String> names = block.parameters().stream().map(Parameter::name).toList();
    assertEquals(List.of("bn1.weight", "bn1.bias", "conv1.weight", "bn2.weight", "bn2.bias", "conv2.weight",
        "bn3.weight", "bn3.bias", "conv3.weight", "downsample.0.weight"), names);
  }

  @Test
  void badOptionsAreNamed() {
    var e = assertThrows(IllegalArgumentException.class, () -> ResNetBlock.basic(4, 4).groups(2));
    assertEquals("ResNetBlock.Basic: groups is an option of the bottleneck block", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ResNetBlock.bottleneck(4, 0));
    assertEquals("ResNetBlock.Bottleneck: in 4, planes 0 (expected: >= 1 each)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ResNetBlock.bottleneck(4, 1).baseWidth(16).build());
    assertEquals("ResNetBlock.Bottleneck: width planes * baseWidth / 64 * groups = 0 (expected: 1 .. 2147483647)",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ResNetBlock.basic(4, 4).stride(0));
    assertEquals("ResNetBlock.Basic: stride 0 (expected: >= 1)", e.getMessage());
    ResNetBlock block = ResNetBlock.basic(4, 4).seed(1).build();
    e = assertThrows(IllegalArgumentException.class, () -> block.forward(Tensor.zeros(1, 3, 5, 5), true));
    assertTrue(e.getMessage().startsWith("ResNetBlock.Basic: ") && e.getMessage().contains("[1, 3, 5, 5]"), e.getMessage());
  }
}

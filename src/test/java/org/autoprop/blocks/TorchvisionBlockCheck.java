package org.autoprop.blocks;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.autoprop.io.SafeTensors;
import org.autoprop.io.StateDict;
import org.autoprop.layer.Layer;
import org.autoprop.layer.Parameter;
import org.autoprop.tensor.Tensor;
import org.autoprop.testing.Conformance;

/**
 * A block against the torchvision vectors of one conformance file (the layout of
 * {@code tools/conformance/efficient_zoo.py}): the state dict {@code state.*} loads strictly, and the
 * training output, the input and parameter gradients, the running statistics after that forward
 * (BatchNorm's count included) and the evaluation output agree.
 */
final class TorchvisionBlockCheck {
  private TorchvisionBlockCheck() {}

  /** The conformance files whose names start with {@code prefix}, without the extension, sorted. */
  static Stream<String> files(String prefix) throws IOException {
    try (Stream<java.nio.file.Path> s = Files.list(Conformance.dir())) {
      return s.map(p -> p.getFileName().toString()).filter(f -> f.startsWith(prefix))
          .map(f -> f.substring(0, f.length() - ".safetensors".length())).sorted().toList().stream();
    }
  }

  static void assertMatches(String file, SafeTensors f, Layer block) {
    StateDict.load(block, f, "state.", file);
    Tensor x = f.tensor("x");
    Conformance.assertClose(file + " y", f.tensor("y"), block.forward(x, true));
    Conformance.assertClose(file + " gx", f.tensor("gx"), block.backward(f.tensor("gy")));
    List<Parameter> params = block.parameters();
    assertEquals(names(f, "grad."), params.stream().map(Parameter::name).collect(Collectors.toCollection(TreeSet::new)),
        file + ": parameter names are torchvision's");
    for (Parameter p : params) {
      Conformance.assertClose(file + " grad of " + p.name(), f.tensor("grad." + p.name()), p.grad());
    }
    assertEquals(names(f, "after."), new TreeSet<>(block.buffers().keySet()), file + ": buffer names are torchvision's");
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
}

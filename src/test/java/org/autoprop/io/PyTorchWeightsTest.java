package org.autoprop.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongFunction;
import java.util.stream.Stream;
import org.autoprop.graph.LayerGraph;
import org.autoprop.models.ReferenceNets;
import org.autoprop.models.SeedGraphs;
import org.autoprop.tensor.Tensor;
import org.autoprop.testing.Conformance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Weights saved by PyTorch under its {@code state_dict} names load strictly into the equivalent
 * graphs and reproduce PyTorch's outputs: the {@code graph_*} reference files' parameters and
 * initial BatchNorm statistics are written as a plain safetensors state dict, loaded with
 * {@link StateDict#load(org.autoprop.layer.Layer, Path)}, and one training step is compared.
 */
class PyTorchWeightsTest {
  @TempDir Path dir;

  static Stream<Arguments> graphs() {
    return Stream.of(
        Arguments.of("graph_seed_linear", (LongFunction<LayerGraph>) SeedGraphs::linear),
        Arguments.of("graph_seed_shortcut", (LongFunction<LayerGraph>) SeedGraphs::shortcut),
        Arguments.of("graph_seed_chcat", (LongFunction<LayerGraph>) SeedGraphs::chcat),
        Arguments.of("graph_basic_block", (LongFunction<LayerGraph>) s -> ReferenceNets.basicBlock(8, s)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("graphs")
  void stateDictByPyTorchNamesReproducesPyTorch(String file, LongFunction<LayerGraph> factory) throws IOException {
    SafeTensors ref = Conformance.load(file);
    // PyTorch's state_dict as it was before the forward pass: parameters as stored, BatchNorm
    // statistics at their initial 0 and 1 (the reference files hold them after the pass).
    Map<String, Tensor> state = new LinkedHashMap<>();
    for (String name : ref.names()) {
      if (ref.contains("grad." + name)) {
        state.put(name, ref.tensor(name));
      } else if (name.endsWith(".running_mean")) {
        state.put(name, Tensor.zeros(ref.shape(name)));
      } else if (name.endsWith(".running_var")) {
        state.put(name, Tensor.full(ref.shape(name), 1f));
      }
    }
    Path weights = dir.resolve(file + ".weights.safetensors");
    SafeTensors.write(weights, state, Map.of("source", "PyTorch state_dict"));

    LayerGraph graph = factory.apply(99); // other initial weights: the load must replace them all
    StateDict.load(graph, weights);
    Conformance.assertClose(file + " y", ref.tensor("y"), graph.forward(ref.tensor("x"), true));
    graph.zeroGrad();
    Conformance.assertClose(file + " gx", ref.tensor("gx"), graph.backward(ref.tensor("gy")));
    for (Map.Entry<String, Tensor> b : graph.buffers().entrySet()) {
      if (Conformance.isBatchCounter(b.getKey())) {
        Conformance.assertBatchCounter(file + " " + b.getKey(), b.getValue(), 1);
      } else {
        Conformance.assertClose(file + " " + b.getKey() + " after the pass", ref.tensor(b.getKey()), b.getValue());
      }
    }
  }
}

package org.autoprop.models;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.TreeSet;
import java.util.function.LongFunction;
import java.util.stream.Stream;
import org.autoprop.graph.GraphConformanceTest;
import org.autoprop.graph.LayerGraph;
import org.autoprop.layer.Parameter;
import org.autoprop.testing.Conformance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The ready-made graphs ({@link SeedGraphs}, {@link ReferenceNets#basicBlock}) are the graphs of
 * the PyTorch reference files: same parameter names, same numbers.
 */
class ModelsConformanceTest {
  static Stream<Arguments> graphs() {
    return Stream.of(
        Arguments.of("graph_seed_linear", (LongFunction<LayerGraph>) SeedGraphs::linear),
        Arguments.of("graph_seed_shortcut", (LongFunction<LayerGraph>) SeedGraphs::shortcut),
        Arguments.of("graph_seed_chcat", (LongFunction<LayerGraph>) SeedGraphs::chcat),
        Arguments.of("graph_basic_block", (LongFunction<LayerGraph>) s -> ReferenceNets.basicBlock(8, s)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("graphs")
  void matchesPyTorch(String file, LongFunction<LayerGraph> factory) {
    LayerGraph graph = factory.apply(1);
    TreeSet<String> expected = new TreeSet<>();
    for (String name : Conformance.load(file).names()) {
      if (name.startsWith("grad.")) {
        expected.add(name.substring("grad.".length()));
      }
    }
    TreeSet<String> actual = new TreeSet<>();
    for (Parameter p : graph.parameters()) {
      actual.add(p.name());
    }
    assertEquals(expected, actual, "parameter names follow PyTorch's state_dict");
    GraphConformanceTest.check(file, graph);
  }
}

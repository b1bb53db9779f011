package org.autoprop.zoo;

import java.util.stream.Stream;
import org.autoprop.graph.LayerGraph;
import org.autoprop.layer.Layer;
import org.autoprop.layer.Sequential;
import org.autoprop.models.GraphBlock;

/** Every layer inside a model, depth first: through sequentials, graphs and graph blocks. */
final class ZooLayers {
  private ZooLayers() {}

  static Stream<Layer> all(Layer layer) {
    Stream<Layer> inner;
    if (layer instanceof Sequential s) {
      inner = s.layers().stream().flatMap(ZooLayers::all);
    } else if (layer instanceof GraphBlock b) {
      inner = b.graph().nodes().stream().flatMap(n -> all(n.layer()));
    } else if (layer instanceof LayerGraph g) {
      inner = g.nodes().stream().flatMap(n -> all(n.layer()));
    } else {
      inner = Stream.empty();
    }
    return Stream.concat(Stream.of(layer), inner);
  }
}

package org.autoprop.models;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import java.util.TreeMap;
import org.autoprop.graph.LayerNode;
import org.autoprop.layer.Dropout;
import org.autoprop.layer.Identity;
import org.junit.jupiter.api.Test;

/** The blocks keep PyTorch's dropout nodes; with p = 0 they are free views, as PyTorch returns the input. */
class DropoutNodesTest {
  private static Map<String, Class<?>> dropoutNodes(Encoder e) {
    Map<String, Class<?>> out = new TreeMap<>();
    for (LayerNode n : e.graph().nodes()) {
      if (n.name().startsWith("dropout")) {
        out.put(n.name(), n.layer().getClass());
      }
    }
    return out;
  }

  @Test
  void zeroDropoutIsAViewAndPositiveDropoutDrops() {
    Encoder none = Encoder.builder(8, 2).dimFeedforward(16).dropout(0).seed(3).build();
    Encoder some = Encoder.builder(8, 2).dimFeedforward(16).dropout(0.25).seed(3).build();
    assertEquals(Map.of("dropout", Identity.class, "dropout1", Identity.class, "dropout2", Identity.class),
        dropoutNodes(none));
    assertEquals(Map.of("dropout", Dropout.class, "dropout1", Dropout.class, "dropout2", Dropout.class),
        dropoutNodes(some));
  }
}

package org.autoprop.testing;

import java.util.ArrayList;
import java.util.List;
import org.autoprop.graph.LayerNode;
import org.autoprop.layer.Layer;
import org.autoprop.layer.Sequential;
import org.autoprop.models.GraphBlock;

/** The layers nested in a model, for tests that check its composition. */
public final class LayerTree {
  private LayerTree() {}

  /**
   * Every layer of the tree under {@code root} that is an instance of {@code type}, depth first in
   * the order the layers run (a graph's nodes in their execution order, a Sequential's children in
   * order).
   */
  public static <T extends Layer> List<T> all(Layer root, Class<T> type) {
    List<T> found = new ArrayList<>();
    collect(root, type, found);
    return found;
  }

  private static <T extends Layer> void collect(Layer layer, Class<T> type, List<T> found) {
    if (type.isInstance(layer)) {
      found.add(type.cast(layer));
    }
    if (layer instanceof Sequential s) {
      for (Layer child : s.layers()) {
        collect(child, type, found);
      }
    } else if (layer instanceof GraphBlock g) {
      for (LayerNode n : g.graph().order()) {
        collect(n.layer(), type, found);
      }
    }
  }
}

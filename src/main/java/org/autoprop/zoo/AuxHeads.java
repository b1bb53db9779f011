package org.autoprop.zoo;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.autoprop.layer.Layer;
import org.autoprop.layer.Parameter;
import org.autoprop.tensor.Tensor;

/**
 * The auxiliary classifiers of an Inception network, carried beside its graph so that a state
 * dict with them (torchvision's {@code aux1}, {@code aux2}, {@code AuxLogits}) loads strictly and
 * saves back: their parameters and buffers are named {@code HEAD.NAME}. They do not run in the
 * network's forward (a graph has one output), so they get no gradient.
 */
final class AuxHeads {
  private final Map<String, Layer> heads = new LinkedHashMap<>();

  void add(String name, Layer head) {
    heads.put(name, head);
  }

  boolean isEmpty() {
    return heads.isEmpty();
  }

  /** The head named {@code name}, or null. */
  Layer get(String name) {
    return heads.get(name);
  }

  /** {@code before} followed by the heads' parameters, named {@code HEAD.NAME}. */
  List<Parameter> parameters(List<Parameter> before) {
    if (heads.isEmpty()) {
      return before;
    }
    List<Parameter> out = new ArrayList<>(before);
    for (Map.Entry<String, Layer> h : heads.entrySet()) {
      for (Parameter p : h.getValue().parameters()) {
        out.add(p.withPrefix(h.getKey()));
      }
    }
    return Collections.unmodifiableList(out);
  }

  /** {@code before} followed by the heads' buffers, named {@code HEAD.NAME}. */
  Map<String, Tensor> buffers(Map<String, Tensor> before) {
    if (heads.isEmpty()) {
      return before;
    }
    Map<String, Tensor> out = new LinkedHashMap<>(before);
    for (Map.Entry<String, Layer> h : heads.entrySet()) {
      for (Map.Entry<String, Tensor> b : h.getValue().buffers().entrySet()) {
        out.put(h.getKey() + "." + b.getKey(), b.getValue());
      }
    }
    return Collections.unmodifiableMap(out);
  }

  void zeroGrad() {
    for (Layer h : heads.values()) {
      h.zeroGrad();
    }
  }
}

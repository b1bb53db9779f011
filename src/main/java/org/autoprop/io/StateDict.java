package org.autoprop.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.autoprop.layer.Layer;
import org.autoprop.layer.Parameter;
import org.autoprop.tensor.Tensor;

/**
 * A model's weights by dotted name, like PyTorch's {@code state_dict}: every parameter
 * ({@link Layer#parameters()}) and buffer ({@link Layer#buffers()}), saved to and loaded from
 * safetensors files, so weights move between the two by name.
 */
public final class StateDict {
  private StateDict() {}

  /** Parameters then buffers by name (the live tensors); a name used twice is an error. */
  public static Map<String, Tensor> of(Layer model) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (Parameter p : model.parameters()) {
      if (out.put(p.name(), p.value()) != null) {
        throw new IllegalArgumentException(model.typeName() + ": parameter name '" + p.name() + "' used twice");
      }
    }
    for (Map.Entry<String, Tensor> b : model.buffers().entrySet()) {
      if (out.put(b.getKey(), b.getValue()) != null) {
        throw new IllegalArgumentException(model.typeName() + ": buffer name '" + b.getKey()
            + "' is also a parameter or buffer name");
      }
    }
    return out;
  }

  /** Saves the model's weights (atomically: a failed save leaves the previous file intact). */
  public static void save(Layer model, Path file) throws IOException {
    save(model, file, Map.of());
  }

  /** Saves the model's weights with header metadata (atomically). */
  public static void save(Layer model, Path file, Map<String, String> metadata) throws IOException {
    SafeTensors.write(file, of(model), metadata);
  }

  /**
   * Loads weights strictly: the file must hold exactly the model's names with the same shapes.
   *
   * @throws StateMismatchException listing every problem, before anything is changed
   * @throws IOException on a read error or a corrupt or truncated file
   */
  public static void load(Layer model, Path file) throws IOException {
    load(model, SafeTensors.read(file), "", file.toString());
  }

  /**
   * Loads the tensors named {@code prefix + name} from an open file into the model, strictly
   * (tensors outside the prefix are ignored); {@code source} names the file in messages.
   */
  public static void load(Layer model, SafeTensors file, String prefix, String source) {
    Map<String, Tensor> target = of(model);
    check(source, target, file, prefix);
    for (Map.Entry<String, Tensor> e : target.entrySet()) {
      e.getValue().copyFrom(file.tensor(prefix + e.getKey()));
    }
  }

  /**
   * Checks that the file's tensors under {@code prefix} match {@code target} by name, shape and
   * float dtype.
   *
   * @throws StateMismatchException listing every problem
   */
  static void check(String source, Map<String, Tensor> target, SafeTensors file, String prefix) {
    StateMismatchException e = mismatch(source, target, file, prefix);
    if (e != null) {
      throw e;
    }
  }

  /** The mismatch found, or null. */
  static StateMismatchException mismatch(String source, Map<String, Tensor> target, SafeTensors file, String prefix) {
    List<String> missing = new ArrayList<>();
    List<String> mismatched = new ArrayList<>();
    for (Map.Entry<String, Tensor> e : target.entrySet()) {
      String key = prefix + e.getKey();
      if (!file.contains(key)) {
        missing.add(e.getKey());
      } else if (!file.shape(key).equals(e.getValue().shape())) {
        mismatched.add(e.getKey() + " " + file.shape(key) + " (expected: " + e.getValue().shape() + ")");
      } else if (!file.isFloat(key)) {
        mismatched.add(e.getKey() + " has dtype " + file.dtype(key) + " (expected: F32 or F64)");
      }
    }
    List<String> unexpected = new ArrayList<>();
    for (String name : file.names()) {
      if (name.startsWith(prefix) && !target.containsKey(name.substring(prefix.length()))) {
        unexpected.add(name.substring(prefix.length()));
      }
    }
    if (missing.isEmpty() && unexpected.isEmpty() && mismatched.isEmpty()) {
      return null;
    }
    return new StateMismatchException(source, missing, unexpected, mismatched);
  }
}

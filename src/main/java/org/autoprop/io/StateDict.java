package org.autoprop.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.autoprop.layer.Layer;
import org.autoprop.layer.Parameter;
import org.autoprop.tensor.Shape;
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
   * Loads weights strictly: the file must hold exactly the model's names with the same shapes,
   * and finite values (a BatchNorm {@code running_var} also non-negative). For a file that may
   * be a checkpoint, use {@link #loadWeights(Layer, Path)}.
   *
   * @param model the model whose weights are replaced
   * @param file a safetensors file of the model's state dict
   * @throws StateMismatchException listing every problem, before anything is changed; if the
   *     names would match after removing a common prefix (a checkpoint's {@code model.}), the
   *     message says so
   * @throws IOException on a read error, a corrupt or truncated file, or a non-finite value
   *     (named with its tensor and index); nothing is changed
   */
  public static void load(Layer model, Path file) throws IOException {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(file, "file");
    copy(loadChecked(model, SafeTensors.read(file), "", file.toString(), IOException::new));
  }

  /**
   * Loads a model's weights from either kind of file: a state dict written by
   * {@link #save(Layer, Path)} (or PyTorch's {@code safetensors.torch.save_file}), or a
   * {@link Checkpoint} (whose weights are named {@code model.<name>}; its optimizer state is
   * ignored). Strict as {@link #load(Layer, Path)}: every name and shape must match and every
   * value be finite, else nothing is changed.
   *
   * @param model the model whose weights are replaced
   * @param file a state dict or checkpoint safetensors file
   * @throws StateMismatchException listing every problem, before anything is changed
   * @throws IOException on a read error, a corrupt file or a non-finite value
   */
  public static void loadWeights(Layer model, Path file) throws IOException {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(file, "file");
    SafeTensors st = SafeTensors.read(file);
    String prefix = Checkpoint.FORMAT.equals(st.metadata().get("format")) ? Checkpoint.MODEL : "";
    copy(loadChecked(model, st, prefix, file.toString(), IOException::new));
  }

  /**
   * Loads the tensors named {@code prefix + name} from an open file into the model, strictly
   * (tensors outside the prefix are ignored); {@code source} names the file in messages.
   *
   * @param model the model whose weights are replaced
   * @param file the open file
   * @param prefix prepended to the model's names to find them in the file ({@code ""} for none)
   * @param source the file's name for messages
   * @throws StateMismatchException listing every problem, before anything is changed
   * @throws IllegalArgumentException naming the tensor and index of a non-finite value (or a
   *     negative running variance), before anything is changed
   */
  public static void load(Layer model, SafeTensors file, String prefix, String source) {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(prefix, "prefix");
    copy(loadChecked(model, file, prefix, String.valueOf(source), IllegalArgumentException::new));
  }

  /** Builds the exception type of the caller from a message. */
  @FunctionalInterface
  interface Failure<E extends Exception> {
    E of(String message);
  }

  private static <E extends Exception> Map<Tensor, Tensor> loadChecked(Layer model, SafeTensors file, String prefix,
      String source, Failure<E> failure) throws E {
    Map<String, Tensor> target = of(model);
    check(source, target, file, prefix);
    return read(source, target, file, prefix, failure);
  }

  /**
   * Reads the file's tensors for {@code target} (already checked by name and shape) and checks
   * their values; returns live tensor to loaded copy, so nothing changes until all are read.
   */
  static <E extends Exception> Map<Tensor, Tensor> read(String source, Map<String, Tensor> target, SafeTensors file,
      String prefix, Failure<E> failure) throws E {
    Map<Tensor, Tensor> out = new java.util.IdentityHashMap<>();
    for (Map.Entry<String, Tensor> e : target.entrySet()) {
      String key = prefix + e.getKey();
      Tensor loaded = isBatchCounter(key) ? batchCounter(file, key, e.getValue().shape()) : file.tensor(key);
      String bad = badValue(key, loaded);
      if (bad != null) {
        throw failure.of(source + ": " + bad);
      }
      out.put(e.getValue(), loaded);
    }
    return out;
  }

  /**
   * Whether {@code name} is a BatchNorm's {@code num_batches_tracked}: PyTorch stores it as int64,
   * and, as PyTorch's own BatchNorm loading does for state dicts older than the buffer, a file
   * without it loads with the count 0.
   */
  static boolean isBatchCounter(String name) {
    return name.equals("num_batches_tracked") || name.endsWith(".num_batches_tracked");
  }

  /** The counter as a float tensor: 0 when absent, an integer dtype converted (exact to 2^24). */
  private static Tensor batchCounter(SafeTensors file, String key, Shape shape) {
    if (!file.contains(key)) {
      return Tensor.zeros(shape);
    }
    if (file.isFloat(key)) {
      return file.tensor(key);
    }
    long[] counts = file.longs(key);
    float[] values = new float[counts.length];
    for (int i = 0; i < counts.length; i++) {
      values[i] = counts[i];
    }
    return Tensor.wrap(values, shape);
  }

  /** Copies each loaded tensor into its live one. */
  static void copy(Map<Tensor, Tensor> loaded) {
    loaded.forEach(Tensor::copyFrom);
  }

  /**
   * The first value a model must not load, described, or null: NaN or an infinity anywhere (a
   * diverged run's weights), a negative value in a {@code running_var} (variances are not).
   */
  private static String badValue(String name, Tensor t) {
    boolean variance = name.equals("running_var") || name.endsWith(".running_var");
    float[] d = t.data();
    for (int i = 0, o = t.offset(); i < t.size(); i++) {
      float v = d[o + i];
      if (!Float.isFinite(v)) {
        return "tensor '" + name + "' has " + v + " at index " + i + indexOf(t, i) + " (expected: finite values)";
      }
      if (variance && v < 0) {
        return "tensor '" + name + "' has " + v + " at index " + i + indexOf(t, i)
            + " (expected: a running variance >= 0)";
      }
    }
    return null;
  }

  /** The coordinates of flat index {@code i}, e.g. {@code " [1, 2]"}, for tensors of rank 2 or more. */
  private static String indexOf(Tensor t, int i) {
    int[] dims = t.shape().dims();
    if (dims.length < 2) {
      return "";
    }
    int[] at = new int[dims.length];
    for (int a = dims.length - 1; a >= 0; a--) {
      at[a] = i % dims[a];
      i /= dims[a];
    }
    return " " + java.util.Arrays.toString(at);
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
        if (!isBatchCounter(key)) {
          missing.add(e.getKey());
        }
      } else if (!file.shape(key).equals(e.getValue().shape())) {
        mismatched.add(e.getKey() + " " + file.shape(key) + " (expected: " + e.getValue().shape() + ")");
      } else if (isBatchCounter(key) && !file.isFloat(key)) {
        if (!file.dtype(key).equals("I64") && !file.dtype(key).equals("I32")) {
          mismatched.add(e.getKey() + " has dtype " + file.dtype(key) + " (expected: I64, I32, F32 or F64)");
        }
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
    return new StateMismatchException(source, missing, unexpected, mismatched, prefixHint(target.keySet(), file, prefix));
  }

  /**
   * When the names differ only by a common prefix (a checkpoint's {@code model.}, a wrapper's
   * {@code module.}, a sub-layer saved on its own), says which and how to load; else null.
   */
  static String prefixHint(java.util.Set<String> target, SafeTensors file, String prefix) {
    List<String> names = new ArrayList<>();
    for (String name : file.names()) {
      if (name.startsWith(prefix)) {
        names.add(name.substring(prefix.length()));
      }
    }
    if (target.isEmpty() || names.isEmpty()) {
      return null;
    }
    java.util.Set<String> inFile = new java.util.HashSet<>(names);
    String t0 = target.iterator().next();
    for (String f : names) {
      String extra = extraPrefix(f, t0);
      if (extra != null && target.stream().allMatch(t -> inFile.contains(extra + t))) {
        String full = prefix + extra;
        return "the names in the file start with '" + full + "' and the model's do not: "
            + (full.equals(Checkpoint.MODEL) && prefix.isEmpty()
                ? "a checkpoint? load its weights with StateDict.loadWeights(model, file)"
                : "load them with StateDict.load(model, SafeTensors.read(file), \"" + full + "\", name)");
      }
    }
    String f0 = names.get(0);
    for (String t : target) {
      String extra = extraPrefix(t, f0);
      if (extra != null && target.stream().allMatch(n -> n.startsWith(extra)
          && inFile.contains(n.substring(extra.length())))) {
        return "the model's names start with '" + extra + "' and the names in the file do not: the file holds "
            + "the weights of that part of the model; load it into that sub-layer";
      }
    }
    return null;
  }

  /** {@code p} if {@code longer} is {@code p + shorter} with {@code p} ending in a dot, else null. */
  private static String extraPrefix(String longer, String shorter) {
    int cut = longer.length() - shorter.length();
    return cut > 0 && longer.endsWith(shorter) && longer.charAt(cut - 1) == '.' ? longer.substring(0, cut) : null;
  }
}

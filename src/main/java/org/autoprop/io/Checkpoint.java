package org.autoprop.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.autoprop.layer.Layer;
import org.autoprop.tensor.Tensor;
import org.autoprop.train.Optimizer;

/**
 * Everything needed to resume training exactly, in one safetensors file: the model's weights
 * ({@code model.<name>}), the optimizer's state ({@code optimizer.<parameter>.<state>}) and, in
 * the header's {@code __metadata__}, the epoch, the seed, the optimizer's type, step count and
 * learning rate, and free-form user metadata.
 */
public final class Checkpoint {
  /** The value of the {@code format} metadata key. */
  public static final String FORMAT = "autoprop-checkpoint-1";
  /** The prefix of the model's tensor names in a checkpoint. */
  static final String MODEL = "model.";
  private static final String OPTIMIZER = "optimizer.";
  private static final Set<String> RESERVED =
      Set.of("format", "epoch", "seed", "optimizer", "optimizer.step", "optimizer.lr");

  /** The largest epoch a checkpoint may hold: epochs are counted in an {@code int}. */
  public static final long MAX_EPOCH = Integer.MAX_VALUE;

  private Checkpoint() {}

  /**
   * What a checkpoint says besides the tensors.
   *
   * @param epoch the epoch count saved (typically the number of completed epochs)
   * @param seed the run's seed
   * @param step the optimizer's step count
   * @param learningRate the optimizer's learning rate
   * @param metadata the user metadata
   */
  public record Info(long epoch, long seed, long step, double learningRate, Map<String, String> metadata) {}

  /**
   * Saves atomically (a failed save leaves the previous file intact).
   *
   * @param metadata free-form strings; the keys {@code format, epoch, seed, optimizer,
   *     optimizer.step, optimizer.lr} are reserved
   */
  public static void save(Path file, Layer model, Optimizer optimizer, long epoch, long seed,
      Map<String, String> metadata) throws IOException {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(optimizer, "optimizer");
    Objects.requireNonNull(metadata, "metadata");
    if (epoch < 0 || epoch > MAX_EPOCH) {
      throw new IllegalArgumentException("Checkpoint.save: epoch " + epoch + " (expected: 0 <= epoch <= "
          + MAX_EPOCH + ")");
    }
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("format", FORMAT);
    meta.put("epoch", Long.toString(epoch));
    meta.put("seed", Long.toString(seed));
    meta.put("optimizer", optimizer.typeName());
    meta.put("optimizer.step", Long.toString(optimizer.stepCount()));
    meta.put("optimizer.lr", Double.toString(optimizer.learningRate()));
    for (Map.Entry<String, String> e : metadata.entrySet()) {
      if (RESERVED.contains(e.getKey())) {
        throw new IllegalArgumentException("Checkpoint: metadata key '" + e.getKey() + "' is reserved "
            + "(reserved: format, epoch, seed, optimizer, optimizer.step, optimizer.lr)");
      }
      meta.put(e.getKey(), e.getValue());
    }
    SafeTensors.write(file, tensors(model, optimizer), meta);
  }

  /**
   * Restores the model's weights and the optimizer's state, step count and learning rate. All
   * checks (format, optimizer type, metadata ranges, every tensor name and shape, every value
   * finite and every BatchNorm {@code running_var} non-negative) run before anything changes.
   *
   * <p>With a null {@code optimizer}, only the model's weights are loaded (the optimizer state
   * in the file is ignored, whatever its type): the way to use a trained checkpoint for
   * inference. {@link StateDict#loadWeights(Layer, Path)} does the same for either a checkpoint
   * or a plain state dict.
   *
   * @param file the checkpoint
   * @param model the model whose weights are replaced
   * @param optimizer the optimizer whose state is replaced, or null to load the weights only
   * @return what the checkpoint says besides the tensors
   * @throws StateMismatchException if the tensors do not fit the model and optimizer
   * @throws IOException on a read error, a corrupt file (a non-finite value, an epoch outside
   *     {@code [0, 2^31 - 1]}, a negative step), or a file that is not a checkpoint of this
   *     optimizer type
   */
  public static Info load(Path file, Layer model, Optimizer optimizer) throws IOException {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(model, "model");
    SafeTensors st = SafeTensors.read(file);
    Map<String, String> meta = st.metadata();
    if (!FORMAT.equals(meta.get("format"))) {
      throw new IOException(file + ": format '" + meta.get("format") + "' (expected: " + FORMAT + ")"
          + (meta.get("format") == null ? "; a weights file? load it with StateDict.loadWeights(model, file)" : ""));
    }
    if (optimizer != null && !optimizer.typeName().equals(meta.get("optimizer"))) {
      throw new IOException(file + ": saved with optimizer " + meta.get("optimizer")
          + " (expected: " + optimizer.typeName() + ")");
    }
    long epoch = number(file, meta, "epoch", 0, MAX_EPOCH);
    long seed = number(file, meta, "seed", Long.MIN_VALUE, Long.MAX_VALUE);
    long step = number(file, meta, "optimizer.step", 0, Long.MAX_VALUE);
    double lr;
    try {
      lr = Double.parseDouble(meta.get("optimizer.lr"));
    } catch (RuntimeException e) {
      lr = Double.NaN;
    }
    if (!(lr >= 0 && Double.isFinite(lr))) {
      throw new IOException(file + ": metadata optimizer.lr '" + meta.get("optimizer.lr")
          + "' (expected: a finite number >= 0)");
    }
    Map<Tensor, Tensor> loaded;
    if (optimizer == null) {
      Map<String, Tensor> weights = StateDict.of(model);
      StateDict.check(file.toString(), weights, st, MODEL);
      loaded = StateDict.read(file.toString(), weights, st, MODEL, IOException::new);
    } else {
      Map<String, Tensor> target = tensors(model, optimizer);
      StateDict.check(file.toString(), target, st, "");
      loaded = StateDict.read(file.toString(), target, st, "", IOException::new);
    }
    StateDict.copy(loaded);
    if (optimizer != null) {
      Map<String, Tensor> state = new LinkedHashMap<>();
      for (String name : optimizer.state().keySet()) {
        state.put(name, optimizer.state().get(name)); // already restored in place above
      }
      optimizer.loadState(state, step);
      optimizer.setLearningRate(lr);
    }
    Map<String, String> user = new LinkedHashMap<>(meta);
    user.keySet().removeAll(RESERVED);
    return new Info(epoch, seed, step, lr, Map.copyOf(user));
  }

  private static Map<String, Tensor> tensors(Layer model, Optimizer optimizer) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    StateDict.of(model).forEach((k, v) -> out.put(MODEL + k, v));
    optimizer.state().forEach((k, v) -> out.put(OPTIMIZER + k, v));
    return out;
  }

  /** An integer of the metadata in {@code [min, max]}. */
  private static long number(Path file, Map<String, String> meta, String key, long min, long max) throws IOException {
    String v = meta.get(key);
    String range = min == Long.MIN_VALUE ? "an integer" : "an integer " + min + " <= " + key + " <= " + max;
    if (v == null) {
      throw new IOException(file + ": missing metadata " + key + " (expected: " + range + ")");
    }
    long n;
    try {
      n = Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new IOException(file + ": metadata " + key + " '" + v + "' (expected: " + range + ")");
    }
    if (n < min || n > max) {
      throw new IOException(file + ": metadata " + key + " " + n + " (expected: " + range + ")");
    }
    return n;
  }
}

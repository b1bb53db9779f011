package org.autoprop.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
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
  private static final String MODEL = "model.";
  private static final String OPTIMIZER = "optimizer.";
  private static final Set<String> RESERVED =
      Set.of("format", "epoch", "seed", "optimizer", "optimizer.step", "optimizer.lr");

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
   * checks (format, optimizer type, every tensor name and shape) run before anything changes.
   *
   * @throws StateMismatchException if the tensors do not fit the model and optimizer
   * @throws IOException on a read error, a corrupt file, or a file that is not a checkpoint of this
   *     optimizer type
   */
  public static Info load(Path file, Layer model, Optimizer optimizer) throws IOException {
    SafeTensors st = SafeTensors.read(file);
    Map<String, String> meta = st.metadata();
    if (!FORMAT.equals(meta.get("format"))) {
      throw new IOException(file + ": format '" + meta.get("format") + "' (expected: " + FORMAT + ")");
    }
    if (!optimizer.typeName().equals(meta.get("optimizer"))) {
      throw new IOException(file + ": saved with optimizer " + meta.get("optimizer")
          + " (expected: " + optimizer.typeName() + ")");
    }
    long epoch = number(file, meta, "epoch");
    long seed = number(file, meta, "seed");
    long step = number(file, meta, "optimizer.step");
    double lr;
    try {
      lr = Double.parseDouble(meta.get("optimizer.lr"));
    } catch (RuntimeException e) {
      lr = Double.NaN;
    }
    if (!(lr >= 0 && Double.isFinite(lr)) || step < 0) {
      throw new IOException(file + ": bad optimizer.lr '" + meta.get("optimizer.lr") + "' or optimizer.step '"
          + meta.get("optimizer.step") + "'");
    }
    Map<String, Tensor> target = tensors(model, optimizer);
    StateDict.check(file.toString(), target, st, "");
    for (Map.Entry<String, Tensor> e : target.entrySet()) {
      e.getValue().copyFrom(st.tensor(e.getKey()));
    }
    Map<String, Tensor> state = new LinkedHashMap<>();
    for (String name : optimizer.state().keySet()) {
      state.put(name, optimizer.state().get(name)); // already restored in place above
    }
    optimizer.loadState(state, step);
    optimizer.setLearningRate(lr);
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

  private static long number(Path file, Map<String, String> meta, String key) throws IOException {
    try {
      return Long.parseLong(meta.get(key));
    } catch (RuntimeException e) {
      throw new IOException(file + ": bad or missing metadata " + key + " '" + meta.get(key) + "'");
    }
  }
}

package org.autoprop.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.autoprop.layer.Layer;
import org.autoprop.layer.Parameter;
import org.autoprop.tensor.Tensor;

/**
 * An exponential moving average of a model's weights, with timm's {@code ModelEmaV2} semantics
 * (PyTorch's {@code AveragedModel} with an EMA {@code avg_fn}): it starts as a copy of the model,
 * and each {@link #update()} sets {@code ema = decay * ema + (1 - decay) * w} for every parameter
 * and copies every buffer (BatchNorm's running statistics). Call {@code update()} after each
 * optimizer step ({@link Trainer#ema} does).
 *
 * <p>To evaluate or save the averaged weights, {@link #copyTo} writes them into a second instance
 * of the model, or {@link #swap} exchanges them with the model's own (swap again to go back), e.g.
 * {@code ema.swap(); StateDict.save(file, model); ema.swap();}. {@link #state()} holds them by the
 * model's state-dict names.
 */
public final class ModelEma {
  private final double decay;
  private final float keep;
  private final float mix;
  private final List<Tensor> weights = new ArrayList<>();
  private final List<Tensor> averages = new ArrayList<>();
  private final List<Tensor> buffers = new ArrayList<>();
  private final List<Tensor> bufferCopies = new ArrayList<>();
  private final Map<String, Tensor> state = new LinkedHashMap<>();
  private long updates;

  /**
   * An average starting at the model's current weights and buffers.
   *
   * @param model the model whose weights are averaged (its parameter and buffer tensors are read
   *     at every update)
   * @param decay the weight of the old average, in [0, 1] (e.g. 0.999 or 0.9999)
   */
  public ModelEma(Layer model, double decay) {
    Objects.requireNonNull(model, "model");
    if (!(decay >= 0 && decay <= 1)) {
      throw new IllegalArgumentException("ModelEma: decay " + decay + " (expected: 0 <= decay <= 1)");
    }
    this.decay = decay;
    this.keep = (float) decay;
    this.mix = (float) (1 - decay); // in double, like timm's Python float
    for (Parameter p : model.parameters()) {
      Tensor copy = p.value().copy();
      weights.add(p.value());
      averages.add(copy);
      put(p.name(), copy);
    }
    for (Map.Entry<String, Tensor> e : model.buffers().entrySet()) {
      Tensor copy = e.getValue().contiguous().copy();
      buffers.add(e.getValue());
      bufferCopies.add(copy);
      put(e.getKey(), copy);
    }
  }

  private void put(String name, Tensor t) {
    if (state.put(name, t) != null) {
      throw new IllegalArgumentException("ModelEma: the model has two tensors named '" + name + "'");
    }
  }

  /** Moves the average towards the model's current weights and copies its buffers. */
  public void update() {
    for (int i = 0; i < weights.size(); i++) {
      float[] w = weights.get(i).data();
      int o = weights.get(i).offset();
      float[] e = averages.get(i).data();
      for (int j = 0, n = e.length; j < n; j++) {
        e[j] = e[j] * keep + mix * w[o + j];
      }
    }
    for (int i = 0; i < buffers.size(); i++) {
      bufferCopies.get(i).copyFrom(buffers.get(i));
    }
    updates++;
  }

  /** The decay given at construction. */
  public double decay() {
    return decay;
  }

  /** The number of {@link #update()} calls so far. */
  public long updates() {
    return updates;
  }

  /** The averaged parameters and copied buffers by the model's names, live (not copies), parameters first. */
  public Map<String, Tensor> state() {
    return Collections.unmodifiableMap(state);
  }

  /**
   * Writes the averaged weights and buffers into {@code target}, a model with the same parameter
   * and buffer names and shapes (e.g. a second instance of the same architecture). Checks every
   * name and shape before writing anything.
   *
   * @param target the model to receive the average
   * @throws IllegalArgumentException naming the first missing, unexpected or misshapen tensor
   */
  public void copyTo(Layer target) {
    Objects.requireNonNull(target, "target");
    Map<String, Tensor> dst = new LinkedHashMap<>();
    for (Parameter p : target.parameters()) {
      dst.put(p.name(), p.value());
    }
    dst.putAll(target.buffers());
    for (Map.Entry<String, Tensor> e : state.entrySet()) {
      Tensor t = dst.get(e.getKey());
      if (t == null) {
        throw new IllegalArgumentException("ModelEma.copyTo: target has no tensor '" + e.getKey() + "' (target has: "
            + dst.keySet() + ")");
      }
      if (!t.shape().equals(e.getValue().shape())) {
        throw new IllegalArgumentException("ModelEma.copyTo: tensor '" + e.getKey() + "' of target has shape "
            + t.shape() + " (expected: " + e.getValue().shape() + ")");
      }
    }
    for (String name : dst.keySet()) {
      if (!state.containsKey(name)) {
        throw new IllegalArgumentException("ModelEma.copyTo: target has an unexpected tensor '" + name + "'");
      }
    }
    for (Map.Entry<String, Tensor> e : state.entrySet()) {
      dst.get(e.getKey()).copyFrom(e.getValue());
    }
  }

  /**
   * Exchanges the model's weights and buffers with the average's: after one call the model holds
   * the averaged weights (to evaluate or save them), after a second the trained ones again.
   * Do not step the optimizer or call {@link #update()} in between.
   */
  public void swap() {
    swap(weights, averages);
    swap(buffers, bufferCopies);
  }

  private static void swap(List<Tensor> live, List<Tensor> kept) {
    for (int i = 0; i < live.size(); i++) {
      Tensor a = live.get(i);
      Tensor b = kept.get(i);
      float[] ad = a.data();
      float[] bd = b.data();
      int o = a.offset();
      for (int j = 0, n = b.size(); j < n; j++) {
        float t = ad[o + j];
        ad[o + j] = bd[j];
        bd[j] = t;
      }
    }
  }
}

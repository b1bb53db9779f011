package org.autoprop.layer;

import java.util.List;
import java.util.Objects;
import org.autoprop.tensor.NonFiniteException;
import org.autoprop.tensor.Tensor;

/**
 * Anomaly detection ({@link Layer#detectAnomalies}) for a container that runs its children as
 * numbered steps ({@link Sequential}, {@code LayerGraph}): runs one step's forward or backward with
 * the checks, and keeps each step's input and output and their checksums from the latest checked
 * forward, so that the backward can tell whether either was written in between. The container
 * keeps its own loops; it calls these methods instead of the layer only in that mode.
 *
 * <p>A step is named by its child (or node) name and its layer; the layer that runs may be another
 * one (a fused layer standing for the child), and a step that does not run is skipped.
 */
public final class CheckedSteps {
  private final String[] names;
  private final Layer[] layers;
  private final Tensor[] inputs;
  private final long[] inputSums;
  private final Tensor[] outputs;
  private final long[] outputSums;
  /** For a step run with several inputs ({@link #forwardInputs}): those inputs and their checksums. */
  private final Tensor[][] multiInputs;
  private final long[][] multiInputSums;
  private boolean recorded;

  /**
   * Steps named {@code names}, whose own layers (for the type names and the parameter gradients) are
   * {@code layers}, in step order.
   */
  public CheckedSteps(List<String> names, List<? extends Layer> layers) {
    Objects.requireNonNull(names, "names");
    Objects.requireNonNull(layers, "layers");
    if (names.size() != layers.size()) {
      throw new IllegalArgumentException("CheckedSteps: " + names.size() + " names for " + layers.size()
          + " layers (expected: one name per layer)");
    }
    int n = names.size();
    this.names = names.toArray(new String[0]);
    this.layers = layers.toArray(new Layer[0]);
    inputs = new Tensor[n];
    inputSums = new long[n];
    outputs = new Tensor[n];
    outputSums = new long[n];
    multiInputs = new Tensor[n][];
    multiInputSums = new long[n][];
  }

  /**
   * Forgets the record of the previous forward: a forward starts, and until
   * {@link #finishForward()} a backward compares no checksums (an unchecked or failed forward left
   * none it could trust).
   */
  public void startForward() {
    recorded = false;
  }

  /** The checked forward completed: its checksums hold for the next backward. */
  public void finishForward() {
    recorded = true;
  }

  /**
   * Throws a {@link NonFiniteException} naming step {@code step}, its layer type and {@code what}
   * if {@code t} holds a NaN or an infinity.
   */
  public void requireFinite(int step, Tensor t, String what) {
    AnomalyChecks.requireFinite(t, names[step], layers[step].typeName(), what);
  }

  /**
   * {@code run.forward(in, training)} as step {@code step}: records the checksums of the input and
   * the output and checks that the output is finite. A non-finite value found inside a nested
   * container gets the step's name as a prefix.
   */
  public Tensor forward(int step, Layer run, Tensor in, boolean training) {
    inputs[step] = in;
    inputSums[step] = AnomalyChecks.checksum(in);
    Tensor out;
    try {
      out = run.forward(in, training);
    } catch (NonFiniteException e) {
      throw e.withNodePrefix(names[step]);
    }
    requireFinite(step, out, "output");
    outputs[step] = out;
    outputSums[step] = AnomalyChecks.checksum(out);
    return out;
  }

  /**
   * {@code run.forward(inputs, training)} as step {@code step}, a layer of several ordered inputs:
   * checks each input and the output as {@link #forward} does and records their checksums.
   */
  public Tensor forwardInputs(int step, MultiInputLayer run, List<Tensor> in, boolean training) {
    int c = in.size();
    if (multiInputs[step] == null || multiInputs[step].length != c) {
      multiInputs[step] = new Tensor[c];
      multiInputSums[step] = new long[c];
    }
    for (int i = 0; i < c; i++) {
      requireFinite(step, in.get(i), "input " + i);
      multiInputs[step][i] = in.get(i);
      multiInputSums[step][i] = AnomalyChecks.checksum(in.get(i));
    }
    inputs[step] = null;
    Tensor out;
    try {
      out = run.forward(in, training);
    } catch (NonFiniteException e) {
      throw e.withNodePrefix(names[step]);
    }
    requireFinite(step, out, "output");
    outputs[step] = out;
    outputSums[step] = AnomalyChecks.checksum(out);
    return out;
  }

  /**
   * {@code run.backwardInputs(gradOut)} as step {@code step}: checks as {@link #backward} does,
   * every input of the recorded forward and every input gradient included.
   */
  public List<Tensor> backwardInputs(String container, int step, MultiInputLayer run, Tensor gradOut) {
    String name = names[step];
    Layer layer = layers[step];
    if (recorded) {
      for (int i = 0; i < multiInputs[step].length; i++) {
        AnomalyChecks.requireUnchanged(container, multiInputs[step][i], multiInputSums[step][i], name,
            layer.typeName(), "input " + i);
      }
      AnomalyChecks.requireUnchanged(container, outputs[step], outputSums[step], name, layer.typeName(), "output");
    }
    requireFinite(step, gradOut, "output gradient");
    List<Tensor> gin;
    try {
      gin = run.backwardInputs(gradOut);
    } catch (NonFiniteException e) {
      throw e.withNodePrefix(name);
    }
    for (int i = 0; i < gin.size(); i++) {
      requireFinite(step, gin.get(i), "input gradient " + i);
    }
    AnomalyChecks.requireFiniteGradients(layer, name);
    return gin;
  }

  /**
   * {@code run.backward(gradOut, inputGradient)} as step {@code step}: checks, in this order, that
   * the step's input and output are unchanged since the recorded forward (naming
   * {@code container}), that {@code gradOut}, the input gradient (unless null) and the gradients
   * of the step's parameters are finite.
   */
  public Tensor backward(String container, int step, Layer run, Tensor gradOut, boolean inputGradient) {
    String name = names[step];
    Layer layer = layers[step];
    if (recorded) {
      // A layer's backward may read its input (the predecessor's output, or the container input)
      // and its output (what the caller or the successors received).
      AnomalyChecks.requireUnchanged(container, inputs[step], inputSums[step], name, layer.typeName(), "input");
      AnomalyChecks.requireUnchanged(container, outputs[step], outputSums[step], name, layer.typeName(), "output");
    }
    requireFinite(step, gradOut, "output gradient");
    Tensor gin;
    try {
      gin = run.backward(gradOut, inputGradient);
    } catch (NonFiniteException e) {
      throw e.withNodePrefix(name);
    }
    if (gin != null) {
      requireFinite(step, gin, "input gradient");
    }
    AnomalyChecks.requireFiniteGradients(layer, name);
    return gin;
  }
}

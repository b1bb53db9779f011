package org.autoprop.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Map;
import java.util.stream.Collectors;
import org.autoprop.io.SafeTensors;
import org.autoprop.io.StateDict;
import org.autoprop.layer.Layer;
import org.autoprop.layer.Parameter;
import org.autoprop.tensor.Tensor;
import org.autoprop.train.CrossEntropyLoss;
import org.autoprop.train.Sgd;

/**
 * The checks of a file written with {@code tools/conformance/zoo_case.py} (its docstring gives the
 * format): full-size names and parameter counts, small models loaded strictly and compared in
 * evaluation, in training and after one SGD step, blocks compared forward and backward.
 */
public final class ZooCases {
  /** The SGD step's learning rate, zoo_case.py's. */
  private static final double LR = 0.1;

  private ZooCases() {}

  /** {@code name:d0xd1...} of every state-dict entry, sorted and joined by {@code ;}, as the script writes. */
  public static String names(Layer model) {
    return StateDict.of(model).entrySet().stream()
        .map(e -> e.getKey() + ":" + Arrays.stream(e.getValue().shape().dims()).mapToObj(Integer::toString)
            .collect(Collectors.joining("x")))
        .sorted().collect(Collectors.joining(";"));
  }

  /** The model's state-dict names and shapes and its parameter count are the file's {@code key}'s. */
  public static void assertNamesAndCount(SafeTensors f, String key, Layer model) {
    assertEquals(f.metadata().get(key + ".names"), names(model), key + ": state-dict names and shapes");
    long count = model.parameters().stream().mapToLong(p -> p.value().size()).sum();
    assertEquals(Long.parseLong(f.metadata().get(key + ".params")), count, key + ": parameters");
  }

  /**
   * The small model {@code key}: names and count, then its state dict loads strictly and the
   * evaluation logits, the training logits, the running statistics and the evaluation logits after
   * one SGD step on those training logits are the file's.
   */
  public static void assertModelCase(SafeTensors f, String key, Layer model) {
    assertNamesAndCount(f, key, model);
    StateDict.load(model, f, key + ".state.", key);
    Tensor x = f.tensor(key + ".x");
    Conformance.assertClose(key + " evaluation logits", f.tensor(key + ".eval"), model.forward(x, false));
    Sgd sgd = new Sgd(model.parameters(), LR, 0, 0, 0, false);
    sgd.zeroGrad();
    Tensor logits = model.forward(x, true);
    Conformance.assertClose(key + " training logits", f.tensor(key + ".train"), logits);
    float[] labelValues = f.tensor(key + ".labels").toArray();
    int[] labels = new int[labelValues.length];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = (int) labelValues[i];
    }
    CrossEntropyLoss loss = new CrossEntropyLoss();
    loss.forward(logits, labels);
    model.backward(loss.backward());
    sgd.step();
    for (Map.Entry<String, Tensor> e : StateDict.of(model).entrySet()) {
      if (Conformance.isBatchCounter(e.getKey())) {
        Conformance.assertBatchCounter(key + " " + e.getKey(), e.getValue(), 1);
      } else if (e.getKey().contains("running")) {
        Conformance.assertClose(key + " " + e.getKey() + " after the step", f.tensor(key + ".after." + e.getKey()),
            e.getValue());
      }
    }
    Conformance.assertClose(key + " evaluation logits after one SGD step", f.tensor(key + ".after_step"),
        model.forward(x, false));
  }

  /**
   * The block {@code key}: its state dict loads strictly, and the training output, the input and
   * parameter gradients and the evaluation output are the file's.
   */
  public static void assertBlockCase(SafeTensors f, String key, Layer block) {
    StateDict.load(block, f, key + ".state.", key);
    Tensor x = f.tensor(key + ".x");
    block.zeroGrad();
    Conformance.assertClose(key + " y", f.tensor(key + ".y"), block.forward(x, true));
    Conformance.assertClose(key + " gx", f.tensor(key + ".gx"), block.backward(f.tensor(key + ".gy")));
    // A gradient that is zero in exact arithmetic (a bias that feeds a training-mode batch norm,
    // through a convolution or not) is rounding on both sides: the reference's is below 1e-9 of the
    // block's largest gradient, ours must stay below 1e-5 of it (float32 sums of a few large terms).
    double largest = 0;
    for (Parameter p : block.parameters()) {
      largest = Math.max(largest, f.tensor(key + ".grad." + p.name()).maxAbs());
    }
    java.util.Set<String> names = new java.util.TreeSet<>();
    for (Parameter p : block.parameters()) {
      Tensor expected = f.tensor(key + ".grad." + p.name());
      if (expected.maxAbs() <= 1e-9 * largest) {
        assertEquals(expected.shape(), p.grad().shape(), key + " grad " + p.name() + ": shape");
        double bound = 1e-5 * largest;
        double actual = p.grad().maxAbs();
        org.junit.jupiter.api.Assertions.assertTrue(actual <= bound, () -> key + " grad " + p.name()
            + ": zero in exact arithmetic, here " + actual + " (expected: <= " + bound + ", 1e-5 of the largest)");
      } else {
        Conformance.assertClose(key + " grad " + p.name(), expected, p.grad());
      }
      names.add(p.name());
    }
    assertEquals(f.names().stream().filter(n -> n.startsWith(key + ".grad."))
        .map(n -> n.substring((key + ".grad.").length())).collect(Collectors.toCollection(java.util.TreeSet::new)),
        names, key + ": parameter names are the reference's");
    Conformance.assertClose(key + " y_eval", f.tensor(key + ".y_eval"), block.forward(x, false));
  }
}

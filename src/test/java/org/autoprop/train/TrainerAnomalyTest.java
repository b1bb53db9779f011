package org.autoprop.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.autoprop.graph.LayerGraph;
import org.autoprop.graph.LayerNode;
import org.autoprop.layer.Dense;
import org.autoprop.layer.Flatten;
import org.autoprop.layer.Layer;
import org.autoprop.layer.Parameter;
import org.autoprop.layer.ReLU;
import org.autoprop.layer.Sequential;
import org.autoprop.tensor.NonFiniteException;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** A NaN weight in one node stops training with an exception that names that node. */
class TrainerAnomalyTest {
  private static Dataset data(int n) {
    Random r = new Random(3);
    float[] x = new float[n * 4];
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = r.nextInt(3);
      for (int j = 0; j < 4; j++) {
        x[i * 4 + j] = (float) r.nextGaussian() + labels[i];
      }
    }
    return new Dataset(Tensor.wrap(x, Shape.of(n, 1, 2, 2)), labels);
  }

  private static Tensor weight(Layer l) {
    for (Parameter p : l.parameters()) {
      if (p.name().equals("weight")) {
        return p.value();
      }
    }
    throw new AssertionError("no weight");
  }

  @Test
  void aNanWeightInAMiddleNodeIsNamedInTheCause() {
    LayerNode flat = new LayerNode(new Flatten(), "flat");
    LayerNode fc1 = new LayerNode(new Dense(4, 8), "fc1");
    LayerNode act1 = new LayerNode(new ReLU(), "act1");
    LayerNode fc2 = new LayerNode(new Dense(8, 8), "fc2");
    LayerNode act2 = new LayerNode(new ReLU(), "act2");
    LayerNode fc3 = new LayerNode(new Dense(8, 3), "fc3");
    LayerGraph model = LayerGraph.builder().edges(flat, fc1, act1, fc2, act2, fc3).root(flat).term(fc3).build();
    weight(fc2.layer()).set(Float.NaN, 5, 3);
    float[] fc1Before = weight(fc1.layer()).toArray();

    Trainer t = new Trainer(model, new CrossEntropyLoss(), new Sgd(model.parameters(), 0.1)).batchSize(16).epochs(1)
        .progress(null, false);
    TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> t.fit(data(64), null));
    NonFiniteException cause = e.located();
    assertNotNull(cause, e.getMessage());
    assertSame(cause, e.getCause());
    assertEquals("fc2", cause.node());
    assertEquals("Dense", cause.layerKind());
    assertEquals("output", cause.what());
    assertEquals(5, cause.index(), "row 0, output 5: the unit whose weight is NaN");
    assertTrue(e.getMessage().startsWith("epoch 1, batch 1: the loss is NaN; first non-finite value: NaN at index 5 "
        + "[0, 5] of the output [16, 8] of node 'fc2' (Dense)"), e.getMessage());
    assertArrayEquals(fc1Before, weight(fc1.layer()).toArray(), 0f, "no optimizer step was taken");
  }

  @Test
  void aSequentialModelNamesTheChild() {
    Dense middle = new Dense(8, 8);
    Sequential model = new Sequential(new Flatten(), new Dense(4, 8), new ReLU(), middle, new ReLU(), new Dense(8, 3));
    weight(middle).set(Float.POSITIVE_INFINITY, 2, 0);
    Trainer t = new Trainer(model, new CrossEntropyLoss(), new Sgd(model.parameters(), 0.1)).batchSize(16).epochs(1)
        .progress(null, false);
    TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> t.fit(data(64), null));
    assertNotNull(e.located(), e.getMessage());
    assertEquals("3", e.located().node(), e.getMessage());
    assertEquals("Dense", e.located().layerKind());
  }

  /** With anomaly detection on for every step, the model finds the value first; fit still says where. */
  @Test
  void anomalyModeOnEveryStepStillThrowsTrainingDiverged() {
    Dense middle = new Dense(8, 8);
    Sequential model = new Sequential(new Flatten(), new Dense(4, 8), new ReLU(), middle, new ReLU(), new Dense(8, 3));
    weight(middle).set(Float.NaN, 1, 0);
    Trainer t = new Trainer(model, new CrossEntropyLoss(), new Sgd(model.parameters(), 0.1)).batchSize(16).epochs(1)
        .detectAnomalies(true).progress(null, false);
    TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> t.fit(data(64), null));
    assertEquals("3", e.located().node(), e.getMessage());
    assertEquals("output", e.located().what());
    assertTrue(e.getMessage().startsWith("epoch 1, batch 1: first non-finite value: NaN at index 1 "), e.getMessage());
  }

  @Test
  void aLossThatRefusesANonFiniteOutputStillReportsDivergence() {
    LayerNode flat = new LayerNode(new Flatten(), "flat");
    LayerNode fc1 = new LayerNode(new Dense(4, 8), "fc1");
    LayerNode fc2 = new LayerNode(new Dense(8, 3), "fc2");
    LayerGraph model = LayerGraph.builder().edges(flat, fc1, fc2).root(flat).term(fc2).build();
    weight(fc1.layer()).set(Float.NaN, 2, 1);
    Trainer t = new Trainer(model, new MultiMarginLoss(1, 1, null, Reduction.MEAN),
        new Sgd(model.parameters(), 0.1)).batchSize(16).epochs(1).progress(null, false);
    TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> t.fit(data(64), null));
    assertTrue(e.getMessage().startsWith("epoch 1, batch 1: the model's output is not finite; first non-finite value: "
        + "NaN at index 2 [0, 2] of the output [16, 8] of node 'fc1' (Dense)"), e.getMessage());
  }
}

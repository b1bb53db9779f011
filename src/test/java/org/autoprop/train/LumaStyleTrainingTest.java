package org.autoprop.train;

import static org.autoprop.testing.TestTensors.maxAbsDiff;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.autoprop.graph.LayerGraph;
import org.autoprop.layer.Parameter;
import org.autoprop.models.SeedGraphs;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Luma's training style on a graph: setOptimizer, forward, backward, update, updateLr. */
class LumaStyleTrainingTest {
  static final Shape X = Shape.of(4, 3, 6, 6);

  @Test
  void updateIsOneOptimizerStepThenZeroGrad() {
    LayerGraph luma = SeedGraphs.linear(3);
    LayerGraph manual = SeedGraphs.linear(3);
    luma.setOptimizer(new Sgd(luma.parameters(), 0.1, 0.9));
    Sgd sgd = new Sgd(manual.parameters(), 0.1, 0.9);
    Tensor x = Tensor.uniform(X, -1f, 1f, 1);
    for (int step = 0; step < 3; step++) {
      Tensor g = Tensor.uniform(luma.forward(x, true).shape(), -1f, 1f, 10 + step);
      luma.backward(g);
      luma.update();
      manual.forward(x, true);
      manual.zeroGrad();
      manual.backward(g);
      sgd.step();
    }
    List<Parameter> a = luma.parameters();
    List<Parameter> b = manual.parameters();
    for (int i = 0; i < a.size(); i++) {
      assertEquals(0.0, maxAbsDiff(a.get(i).value(), b.get(i).value()), a.get(i).name());
      assertEquals(0.0, a.get(i).grad().maxAbs(), a.get(i).name() + " gradient cleared by update()");
    }
    assertTrue(maxAbsDiff(a.get(0).value(), SeedGraphs.linear(3).parameters().get(0).value()) > 0, "weights moved");
  }

  @Test
  void updateLrSetsTheRate() {
    LayerGraph g = SeedGraphs.linear(1);
    Sgd sgd = new Sgd(g.parameters(), 0.1);
    g.setOptimizer(sgd).updateLr(0.025);
    assertEquals(0.025, sgd.learningRate());
    assertEquals(sgd, g.optimizer());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> g.updateLr(Double.NaN));
    assertEquals("updateLr: learning rate NaN (expected: a finite number >= 0)", e.getMessage());
  }

  @Test
  void withoutAnOptimizerUpdateSaysWhatToDo() {
    LayerGraph g = SeedGraphs.linear(1);
    IllegalStateException e = assertThrows(IllegalStateException.class, g::update);
    assertEquals("LayerGraph.update() needs an optimizer: call setOptimizer(...) first", e.getMessage());
    assertThrows(IllegalStateException.class, () -> g.updateLr(0.1));
  }

  @Test
  void anOptimizerOverOtherParametersIsRefusedByName() {
    LayerGraph g = SeedGraphs.linear(1);
    LayerGraph other = SeedGraphs.shortcut(1);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> g.setOptimizer(new Sgd(other.parameters(), 0.1)));
    assertTrue(e.getMessage().contains("missing: [conv.weight, conv.bias, bn.weight, bn.bias]"), e.getMessage());
    assertTrue(e.getMessage().contains("not in this graph: [conv.weight, conv.bias]"), e.getMessage());
    assertEquals(null, g.optimizer());
  }
}

package org.autoprop.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.autoprop.layer.Parameter;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** ModelEma: ema = decay ema + (1 - decay) w per parameter, buffers copied; swap, copyTo, Trainer.ema. */
class ModelEmaTest {

  @Test
  void averagesParametersAndCopiesBuffers() {
    DenseFixture model = new DenseFixture("fc", 4, 3, 1);
    double decay = 0.9;
    ModelEma ema = new ModelEma(model, decay);
    List<double[]> expected = new ArrayList<>();
    for (Parameter p : model.parameters()) {
      float[] w = p.value().toArray();
      double[] e = new double[w.length];
      for (int j = 0; j < w.length; j++) {
        e[j] = w[j];
      }
      expected.add(e);
    }
    Random r = new Random(3);
    Sgd sgd = new Sgd(model.parameters(), 0.5);
    for (int step = 0; step < 6; step++) {
      for (Parameter p : model.parameters()) {
        float[] g = p.grad().data();
        for (int j = 0; j < g.length; j++) {
          g[j] = (float) r.nextGaussian();
        }
      }
      sgd.step();
      model.forward(Tensor.uniform(Shape.of(5, 4), -1f, 1f, step), true); // moves running_mean
      ema.update();
      for (int i = 0; i < model.parameters().size(); i++) {
        float[] w = model.parameters().get(i).value().toArray();
        double[] e = expected.get(i);
        for (int j = 0; j < w.length; j++) {
          e[j] = decay * e[j] + (1 - decay) * w[j];
        }
      }
    }
    assertEquals(6, ema.updates());
    for (int i = 0; i < model.parameters().size(); i++) {
      Parameter p = model.parameters().get(i);
      float[] got = ema.state().get(p.name()).toArray();
      double[] e = expected.get(i);
      for (int j = 0; j < got.length; j++) {
        assertEquals(e[j], got[j], 1e-6, p.name() + "[" + j + "]");
      }
    }
    assertArrayEquals(model.buffers().get("fc.running_mean").toArray(), ema.state().get("fc.running_mean").toArray());
    assertEquals(List.of("fc.weight", "fc.bias", "fc.running_mean"), List.copyOf(ema.state().keySet()));
  }

  @Test
  void swapTwiceRestoresAndCopyToWritesTheAverage() {
    DenseFixture model = new DenseFixture("fc", 4, 3, 1);
    ModelEma ema = new ModelEma(model, 0.5);
    model.parameters().get(0).value().fill(2f);
    ema.update();
    float[] trained = model.parameters().get(0).value().toArray();
    float[] averaged = ema.state().get("fc.weight").toArray();
    ema.swap();
    assertArrayEquals(averaged, model.parameters().get(0).value().toArray());
    assertArrayEquals(trained, ema.state().get("fc.weight").toArray());
    ema.swap();
    assertArrayEquals(trained, model.parameters().get(0).value().toArray());
    assertArrayEquals(averaged, ema.state().get("fc.weight").toArray());

    DenseFixture copy = new DenseFixture("fc", 4, 3, 9);
    ema.copyTo(copy);
    assertArrayEquals(averaged, copy.parameters().get(0).value().toArray());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ema.copyTo(new DenseFixture("fc", 5, 3, 1)));
    assertEquals("ModelEma.copyTo: tensor 'fc.weight' of target has shape [3, 5] (expected: [3, 4])", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ema.copyTo(new DenseFixture("head", 4, 3, 1)));
    assertEquals("ModelEma.copyTo: target has no tensor 'fc.weight' (target has: [head.weight, head.bias, "
        + "head.running_mean])", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new ModelEma(model, 1.5));
    assertEquals("ModelEma: decay 1.5 (expected: 0 <= decay <= 1)", e.getMessage());
  }

  @Test
  void trainerUpdatesTheAverageAfterEveryStep() {
    DenseFixture model = new DenseFixture("fc", 4, 3, 1);
    ModelEma ema = new ModelEma(model, 0.99);
    Random r = new Random(1);
    float[] x = new float[40 * 4];
    int[] labels = new int[40];
    for (int i = 0; i < 40; i++) {
      labels[i] = i % 3;
      for (int j = 0; j < 4; j++) {
        x[i * 4 + j] = (float) r.nextGaussian() + (j == labels[i] ? 2 : 0);
      }
    }
    Optimizer opt = new Sgd(model.parameters(), 0.1);
    new Trainer(model, new CrossEntropyLoss(), opt).batchSize(10).accumulate(2).epochs(3).ema(ema)
        .progress(null, false).fit(new Dataset(Tensor.wrap(x, Shape.of(40, 4)), labels), null);
    assertEquals(6, opt.stepCount());
    assertEquals(opt.stepCount(), ema.updates());
  }
}

package org.autoprop.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.autoprop.layer.Dense;
import org.autoprop.layer.Flatten;
import org.autoprop.layer.Parameter;
import org.autoprop.layer.Sequential;
import org.autoprop.layer.Tanh;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Trainer.accumulate(k): k batches of B step as one batch of kB does, for a mean loss. */
class TrainerAccumulationTest {
  private static Dataset blobs(int n, long seed) {
    Random r = new Random(seed);
    float[][] centres = {{2, 0, 0, -1}, {-2, 1, 0, 1}, {0, -2, 2, 0}};
    float[] x = new float[n * 4];
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = r.nextInt(3);
      for (int j = 0; j < 4; j++) {
        x[i * 4 + j] = centres[labels[i]][j] + (float) (0.8 * r.nextGaussian());
      }
    }
    return new Dataset(Tensor.wrap(x, Shape.of(n, 1, 2, 2)), labels);
  }

  private static Sequential model() {
    return new Sequential(new Flatten(), new Dense(4, 8), new Tanh(), new Dense(8, 3));
  }

  private static void copyWeights(Sequential from, Sequential to) {
    List<Parameter> a = from.parameters();
    List<Parameter> b = to.parameters();
    for (int i = 0; i < a.size(); i++) {
      b.get(i).value().copyFrom(a.get(i).value());
    }
  }

  private static double maxRelDiff(Sequential x, Sequential y) {
    double worst = 0;
    for (int i = 0; i < x.parameters().size(); i++) {
      float[] p = x.parameters().get(i).value().toArray();
      float[] q = y.parameters().get(i).value().toArray();
      double scale = 1e-6;
      for (float v : p) {
        scale = Math.max(scale, Math.abs(v));
      }
      for (int j = 0; j < p.length; j++) {
        worst = Math.max(worst, Math.abs(p[j] - q[j]) / scale);
      }
    }
    return worst;
  }

  /** Trains {@code model} for two epochs on {@code data}; returns the optimizer. */
  private static Optimizer train(Sequential model, Dataset data, int batch, int k, String type) {
    Optimizer opt = type.equals("SGD") ? Sgd.builder(model.parameters()).lr(0.01).momentum(0.9).build()
        : Adam.builder(model.parameters()).lr(0.01).weightDecay(1e-3).build();
    new Trainer(model, new CrossEntropyLoss(), opt).batchSize(batch).accumulate(k).epochs(2).seed(3)
        .schedule(LrSchedule.cosine(0.01, 10, 0.001), true).progress(null, false).fit(data, null);
    return opt;
  }

  @ParameterizedTest(name = "n={0}, {1} batches of {2}, {3}")
  @CsvSource({"96, 4, 8, SGD", "100, 4, 8, SGD", "90, 3, 5, SGD", "64, 1, 16, SGD", "100, 4, 8, Adam",
      "90, 3, 5, Adam"})
  void kBatchesOfBStepAsOneBatchOfKB(int n, int k, int b, String type) {
    Dataset data = blobs(n, 5);
    Sequential small = model();
    Sequential large = model();
    copyWeights(small, large);
    Optimizer accumulated = train(small, data, b, k, type);
    Optimizer whole = train(large, data, k * b, 1, type);
    assertEquals(whole.stepCount(), accumulated.stepCount(), "one step per window of " + k + " batches");
    assertEquals(2 * ((n + k * b - 1) / (k * b)), accumulated.stepCount());
    double diff = maxRelDiff(small, large);
    assertTrue(diff < 2e-5, () -> "weights differ by " + diff + " relative");
    if (k > 1) {
      // the same batches without accumulation end elsewhere: the equality above is not trivial
      Sequential plain = model();
      copyWeights(large, plain); // any start: compare against a fresh run from the same weights
      Sequential again = model();
      copyWeights(plain, again);
      train(plain, data, b, 1, type);
      train(again, data, k * b, 1, type);
      assertTrue(maxRelDiff(plain, again) > 1e-3, "stepping every batch differs from one batch of kB");
    }
  }

  @org.junit.jupiter.api.Test
  void badCountIsNamed() {
    Sequential m = model();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Trainer(m, new CrossEntropyLoss(), new Sgd(m.parameters(), 0.1)).accumulate(0));
    assertEquals("Trainer: accumulate 0 batches (expected: > 0)", e.getMessage());
  }
}

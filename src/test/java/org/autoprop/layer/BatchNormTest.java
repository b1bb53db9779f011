package org.autoprop.layer;

import static org.autoprop.testing.TestTensors.maxAbsDiff;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.autoprop.io.SafeTensors;
import org.autoprop.kernel.KernelProvider;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.testing.Conformance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** BatchNorm1D and BatchNorm2D: PyTorch conformance, gradient checks, running statistics, errors. */
class BatchNormTest {

  private static void load(BatchNormCore bn, SafeTensors f) {
    bn.parameters().get(0).value().copyFrom(f.tensor("weight"));
    bn.parameters().get(1).value().copyFrom(f.tensor("bias"));
    bn.runningMean().copyFrom(f.tensor("running_mean"));
    bn.runningVar().copyFrom(f.tensor("running_var"));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"batchnorm_train", "batchnorm_eval"})
  void matchesPyTorch(String file) {
    SafeTensors f = Conformance.load(file);
    assertEquals("BatchNorm2D", f.metadata().get("layer"));
    boolean training = f.metadata().get("mode").equals("train");
    BatchNorm2D bn = new BatchNorm2D(Integer.parseInt(f.metadata().get("channels")))
        .momentum(Double.parseDouble(f.metadata().get("momentum")))
        .eps(Double.parseDouble(f.metadata().get("eps")));
    load(bn, f);
    Tensor x = f.tensor("x");
    Tensor xCopy = x.copy();
    Conformance.assertClose(file + " y", f.tensor("y"), bn.forward(x, training));
    Conformance.assertClose(file + " after.running_mean", f.tensor("after.running_mean"), bn.runningMean());
    Conformance.assertClose(file + " after.running_var", f.tensor("after.running_var"), bn.runningVar());
    bn.zeroGrad();
    Conformance.assertClose(file + " gx", f.tensor("gx"), bn.backward(f.tensor("gy")));
    Conformance.assertClose(file + " grad.weight", f.tensor("grad.weight"), bn.parameters().get(0).grad());
    Conformance.assertClose(file + " grad.bias", f.tensor("grad.bias"), bn.parameters().get(1).grad());
    assertEquals(0.0, maxAbsDiff(xCopy, x), "the input is not written");
  }

  /** A random BatchNorm of rank 2, 3 or 4 with random affine parameters and running statistics. */
  private static BatchNormCore randomLayer(SplittableRandom r, int channels, int rank) {
    BatchNormCore bn = rank == 4 ? new BatchNorm2D(channels) : new BatchNorm1D(channels);
    for (int c = 0; c < channels; c++) {
      bn.parameters().get(0).value().set((float) (0.5 + r.nextDouble()) * (r.nextBoolean() ? 1 : -1), c);
      bn.parameters().get(1).value().set((float) (r.nextDouble() - 0.5), c);
      bn.runningMean().set((float) (r.nextDouble() - 0.5), c);
      bn.runningVar().set((float) (0.5 + r.nextDouble()), c);
    }
    return bn;
  }

  private static Shape randomShape(SplittableRandom r, int channels, int rank, boolean training) {
    while (true) {
      int n = 1 + r.nextInt(4);
      Shape s = rank == 2 ? Shape.of(n, channels)
          : rank == 3 ? Shape.of(n, channels, 1 + r.nextInt(5))
          : Shape.of(n, channels, 1 + r.nextInt(5), 1 + r.nextInt(5));
      // Training needs several values per channel (with 2 the output is +-weight: no gradient to check).
      if (!training || s.size() / channels >= 3) {
        return s;
      }
    }
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#seeds")
  void gradientsMatchFiniteDifferences(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    boolean training = r.nextBoolean();
    int rank = 2 + r.nextInt(3);
    int channels = 1 + r.nextInt(4);
    BatchNormCore bn = randomLayer(r, channels, rank);
    Shape shape = randomShape(r, channels, rank, training);
    // Inputs with a per-run offset and scale: normalisation must remove both.
    Tensor x = Tensor.uniform(shape, -1f, 1f, ~seed); // not the seed of the upstream gradient
    float offset = (float) (r.nextDouble() * 4 - 2);
    float scale = (float) (0.5 + r.nextDouble() * 2);
    for (int i = 0; i < x.size(); i++) {
      x.data()[i] = x.data()[i] * scale + offset;
    }
    GradCheck.Report report = GradCheck.forLayer(bn).training(training).epsilon(1e-2).seed(seed).check(x);
    assertTrue(report.passed(2e-2), () -> bn + " " + shape + " training=" + training + "\n" + report);
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#seeds")
  void trainingMatchesDoubleReferenceAndUpdatesRunningStatistics(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int rank = 2 + r.nextInt(3);
    int channels = 1 + r.nextInt(5);
    BatchNormCore bn = randomLayer(r, channels, rank);
    double momentum = r.nextDouble();
    double eps = 1e-5 + r.nextDouble() * 1e-2;
    if (bn instanceof BatchNorm2D) {
      ((BatchNorm2D) bn).momentum(momentum).eps(eps);
    } else {
      ((BatchNorm1D) bn).momentum(momentum).eps(eps);
    }
    Shape shape = randomShape(r, channels, rank, true);
    Tensor x = Tensor.normal(shape, 2f, seed);
    float[] rm0 = bn.runningMean().toArray();
    float[] rv0 = bn.runningVar().toArray();
    Tensor y = bn.forward(x, true);
    int batch = shape.dim(0);
    int spatial = shape.size() / batch / channels;
    int n = batch * spatial;
    for (int c = 0; c < channels; c++) {
      double mean = 0;
      for (int b = 0; b < batch; b++) {
        for (int i = 0; i < spatial; i++) {
          mean += x.data()[(b * channels + c) * spatial + i];
        }
      }
      mean /= n;
      double var = 0;
      for (int b = 0; b < batch; b++) {
        for (int i = 0; i < spatial; i++) {
          double d = x.data()[(b * channels + c) * spatial + i] - mean;
          var += d * d;
        }
      }
      var /= n;
      double gamma = bn.parameters().get(0).value().getFlat(c);
      double beta = bn.parameters().get(1).value().getFlat(c);
      for (int b = 0; b < batch; b++) {
        for (int i = 0; i < spatial; i++) {
          int at = (b * channels + c) * spatial + i;
          double expected = (x.data()[at] - mean) / Math.sqrt(var + eps) * gamma + beta;
          assertEquals(expected, y.data()[at], 1e-4 * (1 + Math.abs(expected)), "y at " + at);
        }
      }
      assertEquals((1 - momentum) * rm0[c] + momentum * mean, bn.runningMean().getFlat(c), 1e-5, "running_mean " + c);
      assertEquals((1 - momentum) * rv0[c] + momentum * var * n / (n - 1), bn.runningVar().getFlat(c),
          1e-5 * (1 + var), "running_var " + c);
    }
  }

  @Test
  void largeInputsSplitChannelsOverThreadsAndMatchADoubleReference() {
    // 3 x 4 x 96 x 96 = 110592 elements: above the layer's parallel threshold.
    Shape shape = Shape.of(3, 4, 96, 96);
    BatchNorm2D bn = new BatchNorm2D(4);
    for (int c = 0; c < 4; c++) {
      bn.parameters().get(0).value().set(0.5f + c, c);
      bn.parameters().get(1).value().set(0.25f * c, c);
    }
    Tensor x = Tensor.normal(shape, 3f, 11);
    Tensor g = Tensor.uniform(shape, -1f, 1f, 12);
    Tensor y = bn.forward(x, true);
    Tensor gx = bn.backward(g);
    int batch = 3;
    int channels = 4;
    int spatial = 96 * 96;
    int n = batch * spatial;
    double maxErrY = 0;
    double maxErrGx = 0;
    for (int c = 0; c < channels; c++) {
      double mean = 0;
      for (int b = 0; b < batch; b++) {
        for (int i = 0; i < spatial; i++) {
          mean += x.data()[(b * channels + c) * spatial + i];
        }
      }
      mean /= n;
      double var = 0;
      for (int b = 0; b < batch; b++) {
        for (int i = 0; i < spatial; i++) {
          double d = x.data()[(b * channels + c) * spatial + i] - mean;
          var += d * d;
        }
      }
      var /= n;
      double is = 1 / Math.sqrt(var + 1e-5);
      double sg = 0;
      double sgx = 0;
      for (int b = 0; b < batch; b++) {
        for (int i = 0; i < spatial; i++) {
          int at = (b * channels + c) * spatial + i;
          sg += g.data()[at];
          sgx += g.data()[at] * (x.data()[at] - mean) * is;
        }
      }
      double gamma = 0.5 + c;
      for (int b = 0; b < batch; b++) {
        for (int i = 0; i < spatial; i++) {
          int at = (b * channels + c) * spatial + i;
          double xhat = (x.data()[at] - mean) * is;
          maxErrY = Math.max(maxErrY, Math.abs(xhat * gamma + 0.25 * c - y.data()[at]));
          double expected = gamma * is * (g.data()[at] - sg / n - xhat * sgx / n);
          maxErrGx = Math.max(maxErrGx, Math.abs(expected - gx.data()[at]));
        }
      }
      assertEquals(sgx, bn.parameters().get(0).grad().getFlat(c), 1e-3 * (1 + Math.abs(sgx)), "grad.weight " + c);
      assertEquals(sg, bn.parameters().get(1).grad().getFlat(c), 1e-3 * (1 + Math.abs(sg)), "grad.bias " + c);
    }
    assertTrue(maxErrY < 1e-4, "y error " + maxErrY);
    assertTrue(maxErrGx < 1e-5, "gx error " + maxErrGx);
  }

  @Test
  void evalUsesRunningStatisticsAndLeavesThemAlone() {
    BatchNorm2D bn = new BatchNorm2D(2);
    bn.runningMean().copyFrom(Tensor.wrap(new float[] {1f, -2f}, 2));
    bn.runningVar().copyFrom(Tensor.wrap(new float[] {4f, 0.25f}, 2));
    bn.parameters().get(0).value().copyFrom(Tensor.wrap(new float[] {2f, 3f}, 2));
    bn.parameters().get(1).value().copyFrom(Tensor.wrap(new float[] {0.5f, -1f}, 2));
    // A single value per channel is fine in evaluation.
    Tensor y = bn.forward(Tensor.wrap(new float[] {3f, -1f}, 1, 2, 1, 1), false);
    assertEquals((3 - 1) / Math.sqrt(4 + 1e-5) * 2 + 0.5, y.getFlat(0), 1e-5);
    assertEquals((-1 + 2) / Math.sqrt(0.25 + 1e-5) * 3 - 1, y.getFlat(1), 1e-5);
    assertEquals(1f, bn.runningMean().getFlat(0));
    assertEquals(0.25f, bn.runningVar().getFlat(1));
  }

  @Test
  void vectorAndScalarKernelsGiveTheSameLayer() {
    Shape shape = Shape.of(3, 4, 7, 9);
    Tensor x = Tensor.normal(shape, 1.5f, 5);
    Tensor g = Tensor.uniform(shape, -1f, 1f, 6);
    BatchNorm2D s = KernelProvider.building(KernelProvider.scalar(), () -> new BatchNorm2D(4));
    BatchNorm2D v = KernelProvider.building(KernelProvider.vector(), () -> new BatchNorm2D(4));
    Conformance.assertClose("y", s.forward(x, true), v.forward(x, true), 1e-5);
    Conformance.assertClose("gx", s.backward(g), v.backward(g), 1e-5);
    Conformance.assertClose("grad.weight", s.parameters().get(0).grad(), v.parameters().get(0).grad(), 1e-5);
    Conformance.assertClose("running_var", s.runningVar(), v.runningVar(), 1e-6);
  }

  @Test
  void namesParametersAndBuffersLikePyTorch() {
    BatchNorm2D bn = new BatchNorm2D(3);
    List<Parameter> ps = bn.parameters();
    assertEquals("weight", ps.get(0).name());
    assertEquals("bias", ps.get(1).name());
    assertEquals(List.of("running_mean", "running_var", "num_batches_tracked"), List.copyOf(bn.buffers().keySet()));
    assertSame(bn.runningMean(), bn.buffers().get("running_mean"));
    assertEquals(1f, ps.get(0).value().getFlat(2));
    assertEquals(0f, ps.get(1).value().getFlat(2));
    assertEquals(0f, bn.runningMean().getFlat(1));
    assertEquals(1f, bn.runningVar().getFlat(1));
    assertEquals(0.1, bn.momentum());
    assertEquals(1e-5, bn.eps());
    assertEquals("BatchNorm2D", bn.typeName());
    assertEquals("BatchNorm1D", new BatchNorm1D(3).typeName());
  }

  @Test
  void reusesOutputAndGradientBuffersWhileTheShapeStays() {
    BatchNorm2D bn = new BatchNorm2D(2);
    Tensor x = Tensor.normal(Shape.of(2, 2, 3, 3), 1f, 1);
    Tensor y1 = bn.forward(x, true);
    Tensor g1 = bn.backward(y1.copy());
    Tensor y2 = bn.forward(Tensor.normal(x.shape(), 1f, 2), true);
    Tensor g2 = bn.backward(y2.copy());
    assertSame(y1, y2);
    assertSame(g1, g2);
    Tensor y3 = bn.forward(Tensor.normal(Shape.of(3, 2, 3, 3), 1f, 3), true);
    assertEquals(Shape.of(3, 2, 3, 3), y3.shape());
  }

  @Test
  void rejectsBadInputsWithClearMessages() {
    BatchNorm2D bn = new BatchNorm2D(3);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> bn.forward(Tensor.zeros(2, 4, 5, 5), true));
    assertEquals("BatchNorm2D(3): input [2, 4, 5, 5] has 4 channels (expected: 3)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> bn.outputShape(Shape.of(2, 3, 5)));
    assertEquals("BatchNorm2D(3): input [2, 3, 5] has rank 3 (expected: 4, [N, 3, H, W])", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> bn.forward(Tensor.zeros(1, 3, 1, 1), true));
    assertEquals("BatchNorm2D(3): Expected more than 1 value per channel when training, got input [1, 3, 1, 1]",
        e.getMessage());
    BatchNorm1D bn1 = new BatchNorm1D(5);
    e = assertThrows(IllegalArgumentException.class, () -> bn1.forward(Tensor.zeros(1, 5), true));
    assertTrue(e.getMessage().contains("Expected more than 1 value per channel when training, got input [1, 5]"),
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> bn1.outputShape(Shape.of(4, 6)));
    assertEquals("BatchNorm1D(5): input [4, 6] has 6 features (expected: 5)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> bn1.outputShape(Shape.of(4, 5, 2, 2)));
    assertEquals("BatchNorm1D(5): input [4, 5, 2, 2] has rank 4 (expected: 2 or 3, [N, 5] or [N, 5, L])",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> bn.momentum(1.5));
    assertEquals("BatchNorm2D(3): momentum 1.5 (expected: 0 <= momentum <= 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> bn.momentum(Double.NaN));
    assertTrue(e.getMessage().contains("momentum NaN"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> bn1.eps(0));
    assertEquals("BatchNorm1D(5): eps 0.0 (expected: > 0)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new BatchNorm2D(0));
    assertEquals("BatchNorm2D: channels 0 (expected: >= 1)", e.getMessage());
    bn.forward(Tensor.zeros(2, 3, 2, 2), true);
    e = assertThrows(IllegalArgumentException.class, () -> bn.backward(Tensor.zeros(2, 3, 2, 3)));
    assertEquals("BatchNorm2D(3): gradient [2, 3, 2, 3] (expected: [2, 3, 2, 2], the shape of the latest output)",
        e.getMessage());
    IllegalStateException s = assertThrows(IllegalStateException.class, () -> new BatchNorm1D(2).backward(Tensor.zeros(2, 2)));
    assertEquals("BatchNorm1D(2): backward called before forward", s.getMessage());
  }

  @Test
  void numBatchesTrackedCountsTrainingForwardsAndMayBeAbsentFromAFile(@org.junit.jupiter.api.io.TempDir
      java.nio.file.Path dir) throws java.io.IOException {
    BatchNorm2D bn = new BatchNorm2D(3);
    Tensor x = Tensor.uniform(Shape.of(2, 3, 4, 4), -1, 1, 1);
    bn.forward(x, true);
    bn.forward(x, true);
    bn.forward(x, false);
    Conformance.assertBatchCounter("after two training forwards and one evaluation", bn.buffers().get("num_batches_tracked"), 2);
    java.nio.file.Path file = dir.resolve("saved.safetensors");
    org.autoprop.io.StateDict.save(bn, file);
    BatchNorm2D copy = new BatchNorm2D(3);
    org.autoprop.io.StateDict.load(copy, file);
    Conformance.assertBatchCounter("loaded", copy.buffers().get("num_batches_tracked"), 2);
    // A state dict written before the count existed loads with 0, PyTorch's own rule for old state dicts.
    java.util.Map<String, Tensor> old = new java.util.LinkedHashMap<>(org.autoprop.io.StateDict.of(bn));
    old.remove("num_batches_tracked");
    java.nio.file.Path oldFile = dir.resolve("old.safetensors");
    SafeTensors.write(oldFile, old, java.util.Map.of());
    org.autoprop.io.StateDict.load(copy, oldFile);
    Conformance.assertBatchCounter("loaded from a file without it", copy.buffers().get("num_batches_tracked"), 0);
  }
}

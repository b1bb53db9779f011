package org.autoprop.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.testing.WarmAllocation;
import org.junit.jupiter.api.Test;

/** A warm forward and backward of each new loss allocates nothing while the shapes stay. */
class KitLossAllocationTest {
  private static final int STEPS = 50;

  private static long bytes(Runnable step) {
    return WarmAllocation.leastBytes(step, STEPS, 0);
  }

  @Test
  void warmStepsAllocateNothing() {
    Shape shape = Shape.of(8, 6);
    Tensor x = Tensor.uniform(shape, -2f, 2f, 1);
    Tensor probs = Tensor.uniform(shape, 0.05f, 0.95f, 2);
    Tensor soft = Tensor.uniform(shape, 0f, 1f, 3);
    Tensor signs = Tensor.uniform(shape, -1f, 1f, 4);
    for (int i = 0; i < signs.size(); i++) {
      signs.data()[i] = signs.data()[i] >= 0 ? 1f : -1f;
    }
    Tensor up = Tensor.uniform(shape, -1f, 1f, 5);
    List<ElementwiseLoss> elementwise = List.of(new HingeEmbeddingLoss(0.5, Reduction.MEAN),
        new HuberLoss(0.7, Reduction.NONE), new SmoothL1Loss(0.3, Reduction.SUM), KlDivLoss.batchMean(false),
        new BceLoss(Reduction.MEAN, Tensor.uniform(Shape.of(6), 0.5f, 1.5f, 6)),
        new SigmoidFocalLoss(0.25, 2, Reduction.NONE));
    for (ElementwiseLoss loss : elementwise) {
      Tensor in = loss instanceof BceLoss ? probs : x;
      Tensor t = loss instanceof HingeEmbeddingLoss ? signs : soft;
      assertEquals(0L, bytes(() -> {
        loss.forward(in, t);
        loss.backward();
        loss.backward(up);
      }), loss.name());
    }
    int[] labels = {0, 1, 2, 3, 4, 5, 0, 1};
    MultiMarginLoss mm = new MultiMarginLoss(2, 1, Tensor.uniform(Shape.of(6), 0.5f, 1.5f, 7), Reduction.NONE);
    Tensor upN = Tensor.uniform(Shape.of(8), -1f, 1f, 8);
    assertEquals(0L, bytes(() -> {
      mm.forward(x, labels);
      mm.backward();
      mm.backward(upN);
    }), mm.name());
    CosineEmbeddingLoss cos = new CosineEmbeddingLoss(0.2, Reduction.MEAN);
    Tensor pair = signs.slice(1, 0, 1).contiguous().reshape(8);
    assertEquals(0L, bytes(() -> {
      cos.forward(x, probs, pair);
      cos.backward(0);
      cos.backward(1);
      cos.backward(upN, 0);
    }), cos.name());
  }
}

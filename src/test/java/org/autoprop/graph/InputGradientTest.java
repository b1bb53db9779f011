package org.autoprop.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.autoprop.layer.Conv2D;
import org.autoprop.layer.Layer;
import org.autoprop.layer.Parameter;
import org.autoprop.layer.Sequential;
import org.autoprop.models.ReferenceNets;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.testing.Cases;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code backward(g, false)}: the parameter gradients are those of {@code backward(g)},
 * and a first layer that can skip the input gradient (Conv2D) does so and returns null.
 */
class InputGradientTest {

  /** Two identical models; backward with and without the input gradient; the same parameter gradients. */
  private static void assertSameParameterGradients(Layer withInput, Layer without, Shape in, boolean expectNull) {
    Tensor x = Tensor.uniform(in, -1, 1, 3);
    Tensor y = withInput.forward(x, true);
    without.forward(x, true);
    Tensor g = Tensor.uniform(y.shape(), -1, 1, 4);
    withInput.zeroGrad();
    without.zeroGrad();
    Tensor full = withInput.backward(g, true);
    assertNotNull(full);
    Tensor gx = without.backward(g, false);
    if (expectNull) {
      assertNull(gx, "input gradient when not asked for");
    } else {
      // A layer that cannot skip the work returns what backward(g) returns.
      assertNotNull(gx, "input gradient of a root that computes it anyway");
      assertArrayEquals(full.toArray(), gx.toArray(), "input gradient");
    }
    List<Parameter> a = withInput.parameters();
    List<Parameter> b = without.parameters();
    assertEquals(a.size(), b.size());
    // Judged against the largest gradient of the model: the same arithmetic, but a bias in front
    // of a BatchNorm has a gradient of pure rounding (~1e-9 against ~1e-1), whose last bits may
    // change with the order C2 picks for a lane reduction once it has compiled the kernel.
    double largest = 0;
    for (Parameter p : a) {
      largest = Math.max(largest, p.grad().maxAbs());
    }
    for (int i = 0; i < a.size(); i++) {
      assertArrayEquals(a.get(i).grad().toArray(), b.get(i).grad().toArray(), (float) (1e-5 * largest),
          a.get(i).name());
    }
  }

  @ParameterizedTest(name = "stride {0}")
  @ValueSource(ints = {1, 2})
  void convSkipsItsInputGradientOnly(int stride) {
    // 1 input channel: the im2col path; 16: the transposed-convolution path at stride 1.
    for (int in : new int[] {1, 16}) {
      Conv2D a = Conv2D.builder(in, 8).kernel(3).stride(stride).padding(1).seed(5).build();
      Conv2D b = Conv2D.builder(in, 8).kernel(3).stride(stride).padding(1).seed(5).build();
      assertSameParameterGradients(a, b, Shape.of(3, in, 9, 10), true);
    }
  }

  @Test
  void sequentialPassesTheFlagToItsFirstLayerOnly() {
    Sequential a = new Sequential(Conv2D.builder(2, 4).kernel(3).padding(1).seed(1).build(),
        Conv2D.builder(4, 4).kernel(3).padding(1).seed(2).build());
    Sequential b = new Sequential(Conv2D.builder(2, 4).kernel(3).padding(1).seed(1).build(),
        Conv2D.builder(4, 4).kernel(3).padding(1).seed(2).build());
    assertSameParameterGradients(a, b, Shape.of(2, 2, 6, 6), true);
  }

  @Test
  void fashionNetTrainsTheSameWithoutTheInputGradient() {
    int side = Cases.fashionSide();
    assertSameParameterGradients(ReferenceNets.fashionNet(7), ReferenceNets.fashionNet(7), Shape.of(4, 1, side, side), true);
  }

  @Test
  void seedGraphWithMergeAtTheRootSideStillReturnsWhatItComputes() {
    // An identity root cannot skip anything: the default backward(g, false) computes it anyway.
    LayerGraph a = org.autoprop.models.SeedGraphs.chcat(7);
    LayerGraph b = org.autoprop.models.SeedGraphs.chcat(7);
    assertSameParameterGradients(a, b, Shape.of(2, 3, 8, 8), false);
  }
}

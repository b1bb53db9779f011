package org.autoprop.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.autoprop.layer.BatchNorm1D;
import org.autoprop.layer.BatchNorm2D;
import org.autoprop.layer.BatchNormReLU2D;
import org.autoprop.layer.FusableActivation;
import org.autoprop.layer.FusesNext;
import org.autoprop.layer.Fusion;
import org.autoprop.layer.Identity;
import org.autoprop.layer.Layer;
import org.autoprop.layer.ReLU;
import org.autoprop.layer.ReLU6;
import org.autoprop.layer.Sequential;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The fusion pass keyed on {@link FusesNext}: a layer that absorbs more than one successor fuses a
 * whole run, in Sequential and LayerGraph alike, with no change to either container.
 */
class FusionPassTest {

  /**
   * y = relu^k(2 x): doubles, then applies the ReLU it absorbed ({@code relus > 0}); absorbs a
   * following ReLU while {@code capacity > 0}.
   */
  static final class Doubler implements FusesNext {
    private final int capacity;
    private final int relus;
    private Tensor y;
    private Tensor gx;

    Doubler(int capacity) {
      this(capacity, 0);
    }

    private Doubler(int capacity, int relus) {
      this.capacity = capacity;
      this.relus = relus;
    }

    @Override
    public Layer fuseWith(Layer next) {
      boolean relu = next instanceof FusableActivation a && a.kind() == FusableActivation.Kind.RELU;
      return relu && capacity > 0 ? new Doubler(capacity - 1, relus + 1) : null;
    }

    @Override
    public Shape outputShape(Shape input) {
      return input;
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
      y = Tensor.reuse(y, x.shape());
      for (int i = 0; i < x.size(); i++) {
        float v = 2 * x.getFlat(i);
        y.data()[i] = relus > 0 ? Math.max(v, 0f) : v;
      }
      return y;
    }

    @Override
    public Tensor backward(Tensor gradOut) {
      gx = Tensor.reuse(gx, gradOut.shape());
      for (int i = 0; i < gradOut.size(); i++) {
        gx.data()[i] = relus > 0 && !(y.getFlat(i) > 0) ? 0f : 2 * gradOut.getFlat(i);
      }
      return gx;
    }

    @Override
    public String typeName() {
      return "Doubler(relus=" + relus + ")";
    }
  }

  @Test
  void aLayerThatAbsorbsTwiceFusesARunOfThree() {
    Layer[] steps = {new Doubler(2), new ReLU(), new ReLU(), new ReLU()};
    Layer[] run = Fusion.plan(steps, new int[] {1, 2, 3, -1});
    assertEquals("Doubler(relus=2)", run[0].typeName());
    assertNull(run[1]);
    assertNull(run[2]);
    assertSame(steps[3], run[3]);
  }

  @Test
  void aMissingLinkOrALayerThatDeclinesStopsTheRun() {
    Layer[] steps = {new Doubler(1), new ReLU(), new Doubler(1), new ReLU6(), new BatchNorm1D(2), new ReLU()};
    Layer[] run = Fusion.plan(steps, new int[] {-1, 2, 3, 4, 5, -1});
    assertArrayEquals(steps, run);
  }

  @Test
  void linksMustPointForward() {
    Layer[] steps = {new Identity(), new Identity()};
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Fusion.plan(steps, new int[] {1, 0}));
    assertEquals("Fusion.plan: step 1 links to step 0 (expected: -1 or a later step, < 2)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Fusion.plan(steps, new int[] {1}));
    assertEquals("Fusion.plan: 2 steps but 1 links (expected: one link per step)", e.getMessage());
  }

  @Test
  void batchNorm2DAbsorbsOnlyAReLU() {
    BatchNorm2D bn = new BatchNorm2D(3);
    assertSame(bn, assertInstanceOf(BatchNormReLU2D.class, bn.fuseWith(new ReLU())).batchNorm());
    assertNull(bn.fuseWith(new ReLU6()));
    assertNull(bn.fuseWith(new BatchNorm2D(3)));
  }

  @Test
  void graphAndSequentialRunAFusedRunOfThreeAsUnfused() {
    Tensor x = Tensor.uniform(Shape.of(2, 3, 4), -1f, 1f, 7);
    Tensor g = Tensor.uniform(Shape.of(2, 3, 4), -1f, 1f, 8);
    Tensor y = new Doubler(0).forward(x, true).copy();
    Tensor expected = y.copy();
    Tensor expectedGrad = g.copy();
    for (int i = 0; i < y.size(); i++) {
      expected.data()[i] = Math.max(y.getFlat(i), 0f);
      expectedGrad.data()[i] = y.getFlat(i) > 0 ? 2 * g.getFlat(i) : 0f;
    }

    LayerNode d = new LayerNode(new Doubler(2), "d");
    LayerNode r1 = new LayerNode(new ReLU(), "r1");
    LayerNode r2 = new LayerNode(new ReLU(), "r2");
    LayerNode r3 = new LayerNode(new ReLU(), "r3");
    LayerGraph graph = LayerGraph.builder().edges(d, r1, r2, r3).root(d).term(r3).fusion(true).build();
    assertEquals(List.of("d->r1->r2"), graph.fusedPairs());
    FusionTest.assertClose("graph y", expected, graph.forward(x, true));
    FusionTest.assertClose("graph gx", expectedGrad, graph.backward(g));

    Sequential seq = new Sequential(new Doubler(2), new ReLU(), new ReLU(), new ReLU());
    FusionTest.assertClose("sequential y", expected, seq.forward(x, true));
    FusionTest.assertClose("sequential gx", expectedGrad, seq.backward(g));
  }
}

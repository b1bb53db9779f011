package org.autoprop.graph;

import static org.autoprop.testing.TestTensors.maxAbsDiff;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.autoprop.layer.Layer;
import org.autoprop.layer.Sequential;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * One model on two threads at once fails at once with a clear error. Deterministic: a layer blocks
 * the first thread inside the graph until the second has tried to enter.
 */
class GraphConcurrencyTest {
  static final Shape X = Shape.of(2, 3, 4, 4);

  /** The identity; forward or backward (as chosen) waits, once, until released. */
  static final class Blocking implements Layer {
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    final boolean inBackward;

    Blocking(boolean inBackward) {
      this.inBackward = inBackward;
    }

    @Override
    public Shape outputShape(Shape input) {
      return input;
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
      if (!inBackward) {
        block();
      }
      return x;
    }

    @Override
    public Tensor backward(Tensor gradOut) {
      if (inBackward) {
        block();
      }
      return gradOut;
    }

    private void block() {
      if (entered.getCount() == 0) {
        return; // only the first call blocks
      }
      entered.countDown();
      try {
        if (!release.await(30, TimeUnit.SECONDS)) {
          throw new AssertionError("never released");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  /**
   * Runs {@code first} on a thread named "worker", waits until it is blocked inside the model, runs
   * {@code second} here and returns its exception; then lets the worker finish and checks it did.
   */
  private static IllegalStateException race(Blocking gate, Runnable first, Executable second) throws Exception {
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread worker = new Thread(() -> {
      try {
        first.run();
      } catch (Throwable t) {
        failure.set(t);
      }
    }, "worker");
    worker.start();
    assertTrue(gate.entered.await(30, TimeUnit.SECONDS), "the worker entered the model");
    IllegalStateException e;
    try {
      e = assertThrows(IllegalStateException.class, second);
    } finally {
      gate.release.countDown();
      worker.join(30_000);
    }
    assertNull(failure.get(), "the first thread is not disturbed");
    return e;
  }

  private static LayerGraph graph(Blocking gate) {
    LayerNode a = new LayerNode(new Scale(3, 1), "a");
    LayerNode g = new LayerNode(gate, "gate");
    LayerNode b = new LayerNode(new Scale(3, 2), "b");
    return LayerGraph.builder().name("shared").edges(a, g, b).root(a).term(b).build();
  }

  private static LayerGraph plain(long seed) {
    LayerNode a = new LayerNode(new Scale(3, seed), "a");
    LayerNode b = new LayerNode(new Scale(3, seed + 1), "b");
    return LayerGraph.builder().edges(a, b).root(a).term(b).build();
  }

  @Test
  void aSecondThreadInForwardFailsNamingTheGraphAndBothThreads() throws Exception {
    Blocking gate = new Blocking(false);
    LayerGraph g = graph(gate);
    Tensor x = Tensor.uniform(X, -1, 1, 1);
    String me = Thread.currentThread().getName();
    IllegalStateException e = race(gate, () -> g.forward(x, true), () -> g.forward(x, true));
    assertEquals("LayerGraph 'shared': forward called on thread '" + me + "' while thread 'worker' is inside its "
        + "forward (a graph is single-threaded: its layers reuse their buffers; give each thread its own copy of "
        + "the model)", e.getMessage());
    // Released on exit: this thread may use the graph now.
    g.forward(x, true);
    g.backward(Tensor.full(X, 1f));
  }

  @Test
  void aForwardDuringAnotherThreadsBackwardFails() throws Exception {
    Blocking gate = new Blocking(true);
    LayerGraph g = graph(gate);
    Tensor x = Tensor.uniform(X, -1, 1, 1);
    g.forward(x, true);
    IllegalStateException e = race(gate, () -> g.backward(Tensor.full(X, 1f)), () -> g.forward(x, true));
    assertTrue(e.getMessage().contains("forward called on thread '" + Thread.currentThread().getName()
        + "' while thread 'worker' is inside its backward"), e.getMessage());
  }

  @Test
  void theGuardIsReleasedWhenALayerThrows() {
    Layer failing = new Layer() {
      @Override
      public Shape outputShape(Shape input) {
        return input;
      }

      @Override
      public Tensor forward(Tensor x, boolean training) {
        throw new IllegalArgumentException("boom");
      }

      @Override
      public Tensor backward(Tensor gradOut) {
        return gradOut;
      }
    };
    LayerNode f = new LayerNode(failing, "f");
    LayerGraph g = LayerGraph.builder().node(f).root(f).term(f).build();
    for (int i = 0; i < 3; i++) {
      assertEquals("boom", assertThrows(IllegalArgumentException.class,
          () -> g.forward(Tensor.zeros(X), true)).getMessage());
    }
  }

  @Test
  void aSequentialIsGuardedToo() throws Exception {
    Blocking gate = new Blocking(false);
    Sequential s = new Sequential(new Scale(3, 1), gate);
    Tensor x = Tensor.uniform(X, -1, 1, 1);
    IllegalStateException e = race(gate, () -> s.forward(x, true), () -> s.forward(x, true));
    assertTrue(e.getMessage().matches("Sequential\\(2 children\\)@[0-9a-f]+: forward called on thread '.*' while "
        + "thread 'worker' is inside its forward \\(a layer is single-threaded.*"), e.getMessage());
  }

  @Test
  void separateCopiesRunInParallel() throws Exception {
    // The documented way: one instance per thread, weights copied by name.
    LayerGraph trained = plain(1);
    Tensor x = Tensor.uniform(X, -1, 1, 3);
    Tensor expected = trained.forward(x, false).copy();
    Tensor[] results = new Tensor[4];
    Thread[] threads = new Thread[results.length];
    for (int i = 0; i < threads.length; i++) {
      int k = i;
      threads[i] = new Thread(() -> {
        LayerGraph mine = plain(100 + k); // other initial weights, replaced by the trained ones
        java.util.Map<String, Tensor> theirs = org.autoprop.io.StateDict.of(trained);
        org.autoprop.io.StateDict.of(mine).forEach((name, t) -> t.copyFrom(theirs.get(name)));
        results[k] = mine.forward(x, false).copy();
      });
      threads[i].start();
    }
    for (Thread t : threads) {
      t.join(30_000);
    }
    for (Tensor r : results) {
      assertEquals(0.0, maxAbsDiff(expected, r), 0.0);
    }
  }
}

package org.autoprop.layer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.autoprop.io.SafeTensors;
import org.autoprop.io.StateDict;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.testing.Conformance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Embedding against nn.Embedding, the definition, finite differences on the weight, padding, and bad ids. */
class EmbeddingTest {

  /** Repeated ids sum their gradients; the padding row gets none. */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"embedding", "embedding_padding"})
  void matchesPyTorch(String file) {
    SafeTensors st = Conformance.load(file);
    int vocab = Integer.parseInt(st.metadata().get("num_embeddings"));
    int dim = Integer.parseInt(st.metadata().get("embedding_dim"));
    String pad = st.metadata().get("padding_idx");
    Embedding.Builder b = Embedding.builder(vocab, dim);
    if (pad != null) {
      b.paddingIdx(Integer.parseInt(pad));
    }
    Embedding layer = b.build();
    layer.weight().value().copyFrom(st.tensor("weight"));
    Conformance.assertClose(file + ": y", st.tensor("y"), layer.forward(st.tensor("x"), true));
    Tensor gx = layer.backward(st.tensor("gy"));
    assertEquals(0.0, gx.maxAbs(), "ids have a zero gradient");
    Conformance.assertClose(file + ": grad.weight", st.tensor("grad.weight"), layer.weight().grad());
  }

  /** y[..., :] = W[id, :]; the weight's gradient passes finite differences on random shapes. */
  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#seeds")
  void looksUpRowsAndItsWeightGradientIsRight(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int vocab = 1 + r.nextInt(9);
    int dim = 1 + r.nextInt(6);
    int[] dims = new int[1 + r.nextInt(3)];
    for (int i = 0; i < dims.length; i++) {
      dims[i] = 1 + r.nextInt(4);
    }
    Shape shape = Shape.of(dims);
    Tensor ids = Tensor.zeros(shape);
    for (int i = 0; i < ids.size(); i++) {
      ids.data()[i] = r.nextInt(vocab);
    }
    Embedding layer = Embedding.builder(vocab, dim).seed(seed).build();
    Tensor y = layer.forward(ids, true);
    int[] out = java.util.Arrays.copyOf(dims, dims.length + 1);
    out[dims.length] = dim;
    assertEquals(Shape.of(out), y.shape());
    for (int i = 0; i < ids.size(); i++) {
      for (int j = 0; j < dim; j++) {
        assertEquals(layer.weight().value().get((int) ids.getFlat(i), j), y.getFlat(i * dim + j));
      }
    }
    GradCheck.Report report = GradCheck.forLayer(layer).checkInput(false).seed(seed).check(ids);
    assertEquals(1, report.entries().size());
    assertEquals("weight", report.entries().get(0).name());
    assertTrue(report.passed(), report::toString);
  }

  @Test
  void thePaddingRowStartsAtZeroAndGetsNoGradient() {
    Embedding layer = Embedding.builder(5, 3).paddingIdx(-1).seed(1).build();
    assertEquals(4, layer.paddingIdx());
    assertEquals("Embedding(5, 3, padding_idx=-1)", layer.toString());
    Tensor w = layer.weight().value();
    assertEquals(0.0, w.slice(0, 4, 5).maxAbs());
    assertTrue(w.slice(0, 0, 4).maxAbs() > 0);
    w.slice(0, 4, 5).fill(2f); // a padding row set by hand is used as it is
    Tensor ids = Tensor.wrap(new float[] {4, 1, 4, 0}, 2, 2);
    Tensor y = layer.forward(ids, true);
    assertEquals(2f, y.get(0, 0, 1));
    layer.backward(Tensor.full(y.shape(), 1f));
    Tensor g = layer.weight().grad();
    assertEquals(0.0, g.slice(0, 4, 5).maxAbs(), "no gradient for the padding row");
    assertArrayEquals(new float[] {1, 1, 1}, g.slice(0, 1, 2).toArray());
    assertArrayEquals(new float[] {0, 0, 0}, g.slice(0, 2, 3).toArray());
  }

  @Test
  void initializationIsStandardNormalAndSeeded() {
    Embedding a = Embedding.builder(200, 50).seed(7).build();
    Embedding b = Embedding.builder(200, 50).seed(7).build();
    assertArrayEquals(a.weight().value().toArray(), b.weight().value().toArray());
    double sum = 0;
    double sq = 0;
    float[] w = a.weight().value().toArray();
    for (float v : w) {
      sum += v;
      sq += (double) v * v;
    }
    double mean = sum / w.length;
    double var = sq / w.length - mean * mean;
    assertEquals(0, mean, 0.05);
    assertEquals(1, var, 0.05);
    assertEquals("Embedding", a.typeName());
    assertEquals("Embedding(200, 50)", a.toString());
    assertEquals(java.util.Set.of("weight"), StateDict.of(a).keySet());
  }

  /** The input gradient is zero, and not computed at all when the caller does not ask for it. */
  @Test
  void theIdsHaveNoGradient() {
    Embedding layer = Embedding.builder(4, 2).seed(2).build();
    Tensor ids = Tensor.wrap(new float[] {0, 3, 3}, 3);
    Tensor y = layer.forward(ids, true);
    assertNull(layer.backward(Tensor.full(y.shape(), 1f), false));
    assertArrayEquals(new float[] {2, 2}, layer.weight().grad().slice(0, 3, 4).toArray());
    Tensor gx = layer.backward(Tensor.full(y.shape(), 1f));
    assertEquals(Shape.of(3), gx.shape());
    assertEquals(0.0, gx.maxAbs());
  }

  @Test
  void badIdsAreNamed() {
    Embedding layer = new Embedding(10, 4);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> layer.forward(Tensor.wrap(new float[] {1, 2, 3, 4, 12, 5}, 2, 3), true));
    assertEquals("Embedding(10, 4): id 12 at input index [1, 1] of [2, 3] is out of range (expected: an integer id"
        + " in [0, 10), the vocabulary size being 10)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> layer.forward(Tensor.wrap(new float[] {1, 2.5f}, 2), true));
    assertEquals("Embedding(10, 4): id 2.5 at input index [1] of [2] is not an integer (expected: an integer id"
        + " in [0, 10), the vocabulary size being 10)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> layer.forward(Tensor.wrap(new float[] {-1}, 1), true));
    assertTrue(e.getMessage().startsWith("Embedding(10, 4): id -1 at input index [0] of [1] is out of range"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> layer.forward(Tensor.wrap(new float[] {Float.NaN}, 1), true));
    assertTrue(e.getMessage().startsWith("Embedding(10, 4): id NaN at input index [0] of [1] is not an integer"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> layer.forward(Tensor.wrap(new float[] {1e10f}, 1), true));
    assertTrue(e.getMessage().startsWith("Embedding(10, 4): id 10000000000 at input index [0] of [1] is out of range"),
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> layer.forward(Tensor.zeros(Shape.of()), true));
    assertEquals("Embedding(10, 4): input [] has rank 0 (expected: >= 1, [N, ...] ids)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Embedding.builder(10, 4).paddingIdx(10).build());
    assertEquals("Embedding(10, 4, padding_idx=10): padding_idx 10 (expected: -10 <= padding_idx < 10, negative counted"
        + " from the end)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new Embedding(0, 4));
    assertEquals("Embedding(0, 4): vocab 0, dim 4 (expected: >= 1 each)", e.getMessage());
    // A forward that threw leaves nothing for a backward.
    IllegalStateException s = assertThrows(IllegalStateException.class, () -> layer.backward(Tensor.zeros(1, 4)));
    assertEquals("Embedding(10, 4): backward called before forward", s.getMessage());
  }
}

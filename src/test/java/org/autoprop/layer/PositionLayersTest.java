package org.autoprop.layer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.SplittableRandom;
import org.autoprop.io.SafeTensors;
import org.autoprop.io.StateDict;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.autoprop.testing.Conformance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** PositionalEncoding, PositionEmbedding and ClassToken against PyTorch, their definitions, finite differences and bad inputs. */
class PositionLayersTest {

  @Test
  void positionalEncodingMatchesPyTorch() {
    SafeTensors st = Conformance.load("positional_encoding");
    PositionalEncoding layer = new PositionalEncoding(Integer.parseInt(st.metadata().get("dim")),
        Integer.parseInt(st.metadata().get("max_len")));
    Conformance.assertClose("y", st.tensor("y"), layer.forward(st.tensor("x"), true));
    Conformance.assertClose("gx", st.tensor("gx"), layer.backward(st.tensor("gy")));
  }

  @Test
  void positionEmbeddingMatchesPyTorch() {
    SafeTensors st = Conformance.load("position_embedding");
    PositionEmbedding layer = new PositionEmbedding(Integer.parseInt(st.metadata().get("max_len")),
        Integer.parseInt(st.metadata().get("dim")));
    layer.weight().value().copyFrom(st.tensor("weight"));
    Conformance.assertClose("y", st.tensor("y"), layer.forward(st.tensor("x"), true));
    Conformance.assertClose("gx", st.tensor("gx"), layer.backward(st.tensor("gy")));
    Conformance.assertClose("grad.weight", st.tensor("grad.weight"), layer.weight().grad());
  }

  @Test
  void classTokenMatchesPyTorch() {
    SafeTensors st = Conformance.load("class_token");
    ClassToken layer = new ClassToken(Integer.parseInt(st.metadata().get("dim")));
    layer.weight().value().copyFrom(st.tensor("weight"));
    Conformance.assertClose("y", st.tensor("y"), layer.forward(st.tensor("x"), true));
    Conformance.assertClose("gx", st.tensor("gx"), layer.backward(st.tensor("gy")));
    Conformance.assertClose("grad.weight", st.tensor("grad.weight"), layer.weight().grad());
  }

  /** The table by the formula of the paper, odd dims included; nothing in the state dict. */
  @Test
  void theTableIsThePapersFormula() {
    for (int dim : new int[] {1, 4, 7, 16}) {
      PositionalEncoding pe = new PositionalEncoding(dim, 50);
      Tensor t = pe.table(50);
      for (int pos = 0; pos < 50; pos++) {
        for (int i = 0; i < dim; i++) {
          double angle = pos / Math.pow(10000, (double) (i - i % 2) / dim);
          double expected = i % 2 == 0 ? Math.sin(angle) : Math.cos(angle);
          assertEquals(expected, t.get(pos, i), 1e-6, "pe[" + pos + ", " + i + "] for dim " + dim);
        }
      }
      assertEquals(Set.of(), StateDict.of(pe).keySet());
      assertTrue(pe.parameters().isEmpty());
    }
    assertEquals(PositionalEncoding.DEFAULT_MAX_LEN, 5000);
    assertEquals(Shape.of(2, 5000, 3), new PositionalEncoding(3).outputShape(Shape.of(2, 5000, 3)));
    assertEquals(2L * 4 * 6, new PositionalEncoding(6).flops(Shape.of(2, 4, 6)));
  }

  /** Random N, T <= maxLen, dim: the definitions, and every gradient by finite differences. */
  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#seeds")
  void definitionsAndGradients(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int n = 1 + r.nextInt(3);
    int maxLen = 1 + r.nextInt(6);
    int t = 1 + r.nextInt(maxLen);
    int dim = 1 + r.nextInt(5);
    Tensor x = Tensor.uniform(Shape.of(n, t, dim), -1, 1, seed);

    PositionalEncoding pe = new PositionalEncoding(dim, maxLen);
    Tensor table = pe.table(t);
    Tensor y = pe.forward(x, true);
    PositionEmbedding pos = PositionEmbedding.builder(maxLen, dim).seed(seed).build();
    pos.weight().value().copyFrom(Tensor.uniform(Shape.of(1, maxLen, dim), -1, 1, seed + 1));
    Tensor yp = pos.forward(x, true);
    for (int i = 0; i < n; i++) {
      for (int p = 0; p < t; p++) {
        for (int j = 0; j < dim; j++) {
          assertEquals(x.get(i, p, j) + table.get(p, j), y.get(i, p, j), 1e-6);
          assertEquals(x.get(i, p, j) + pos.weight().value().get(0, p, j), yp.get(i, p, j), 1e-6);
        }
      }
    }
    ClassToken cls = ClassToken.builder(dim).seed(seed).build();
    Tensor yc = cls.forward(x, true);
    assertEquals(Shape.of(n, t + 1, dim), yc.shape());
    for (int i = 0; i < n; i++) {
      assertArrayEquals(cls.weight().value().toArray(), yc.slice(0, i, i + 1).slice(1, 0, 1).toArray());
      assertArrayEquals(x.slice(0, i, i + 1).toArray(), yc.slice(0, i, i + 1).slice(1, 1, t + 1).toArray());
    }
    for (Layer layer : new Layer[] {pe, pos, cls}) {
      GradCheck.Report report = GradCheck.forLayer(layer).seed(seed).check(x);
      assertTrue(report.passed(), () -> layer + " " + report);
    }
    // Rows beyond T get no gradient.
    assertEquals(0.0, pos.weight().grad().slice(1, t, maxLen).maxAbs());
  }

  @Test
  void learnedTokensStartAsTruncatedNormalWithStd002AndAreSeeded() {
    Tensor w = PositionEmbedding.builder(100, 40).seed(3).build().weight().value();
    assertEquals(Shape.of(1, 100, 40), w.shape());
    double sq = 0;
    for (float v : w.toArray()) {
      sq += (double) v * v;
    }
    assertEquals(0.02, Math.sqrt(sq / w.size()), 0.001);
    assertArrayEquals(w.toArray(), PositionEmbedding.builder(100, 40).seed(3).build().weight().value().toArray());
    Tensor c = ClassToken.builder(8).seed(4).build().weight().value();
    assertEquals(Shape.of(1, 1, 8), c.shape());
    assertTrue(c.maxAbs() > 0 && c.maxAbs() < 0.1, c::toString);
    assertArrayEquals(c.toArray(), ClassToken.builder(8).seed(4).build().weight().value().toArray());
    assertEquals(Set.of("weight"), StateDict.of(new ClassToken(3)).keySet());
    assertEquals(Set.of("weight"), StateDict.of(new PositionEmbedding(3, 2)).keySet());
  }

  @Test
  void badInputsAreNamed() {
    PositionalEncoding pe = new PositionalEncoding(8, 16);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> pe.forward(Tensor.zeros(2, 20, 8), true));
    assertEquals("PositionalEncoding(dim=8, maxLen=16): input [2, 20, 8] has 20 positions (expected: T <= 16, the maxLen)",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> pe.forward(Tensor.zeros(2, 8), true));
    assertEquals("PositionalEncoding(dim=8, maxLen=16): input [2, 8] has rank 2 (expected: 3, [N, T, 8])", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> pe.forward(Tensor.zeros(2, 3, 6), true));
    assertEquals("PositionalEncoding(dim=8, maxLen=16): input [2, 3, 6] has 6 features (expected: 8, [N, T, 8])",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new PositionalEncoding(0, 16));
    assertEquals("PositionalEncoding(dim=0, maxLen=16): dim 0, maxLen 16 (expected: >= 1 each)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> pe.table(17));
    assertEquals("PositionalEncoding(dim=8, maxLen=16): length 17 (expected: 0 <= length <= 16)", e.getMessage());

    PositionEmbedding pos = new PositionEmbedding(17, 96);
    e = assertThrows(IllegalArgumentException.class, () -> pos.forward(Tensor.zeros(1, 18, 96), true));
    assertEquals("PositionEmbedding(maxLen=17, dim=96): input [1, 18, 96] has 18 positions (expected: T <= 17, the maxLen)",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> pos.forward(Tensor.zeros(1, 17, 95), true));
    assertEquals("PositionEmbedding(maxLen=17, dim=96): input [1, 17, 95] has 95 features (expected: 96, [N, T, 96])",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new PositionEmbedding(0, 4));
    assertEquals("PositionEmbedding(maxLen=0, dim=4): maxLen 0, dim 4 (expected: >= 1 each)", e.getMessage());

    ClassToken cls = new ClassToken(96);
    e = assertThrows(IllegalArgumentException.class, () -> cls.forward(Tensor.zeros(2, 96), true));
    assertEquals("ClassToken(96): input [2, 96] has rank 2 (expected: 3, [N, T, 96])", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> cls.forward(Tensor.zeros(2, 16, 95), true));
    assertEquals("ClassToken(96): input [2, 16, 95] has 95 features (expected: 96, [N, T, 96])", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new ClassToken(0));
    assertEquals("ClassToken(0): dim 0 (expected: >= 1)", e.getMessage());
  }
}

package org.autoprop.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The sequence layers composed as a model uses them, gradient-checked end to end: a token model
 * (ids -> embedding + position code -> dense on each position -> GELU -> per-position logits) and
 * a ViT-style image model (patches by a strided convolution -> [N, T, C] by Reshape and Transpose
 * -> class token -> learned positions -> dense -> the class token sliced out -> a head).
 */
class SequenceModelsTest {

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#fewSeeds")
  void aTokenModel(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int vocab = 2 + r.nextInt(6);
    int dim = 2 + r.nextInt(5);
    int n = 1 + r.nextInt(3);
    int t = 1 + r.nextInt(6);
    Sequential model = new Sequential(Embedding.builder(vocab, dim).paddingIdx(0).seed(seed).build(),
        new PositionalEncoding(dim, 8), Dense.builder(dim, dim).seed(seed + 1).build(), new GELU(),
        DenseND.builder(dim, vocab, -1).seed(seed + 2).build());
    Tensor ids = Tensor.zeros(n, t);
    for (int i = 0; i < ids.size(); i++) {
      ids.data()[i] = 1 + r.nextInt(vocab - 1); // not the padding id: its row has no gradient by definition
    }
    assertEquals(Shape.of(n, t, vocab), model.forward(ids, true).shape());
    GradCheck.Report report = GradCheck.forLayer(model).checkInput(false).seed(seed).check(ids);
    assertTrue(report.passed(), report::toString);
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#fewSeeds")
  void aVitStyleModel(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int c = 2 + r.nextInt(4);
    int n = 1 + r.nextInt(3);
    Sequential model = new Sequential(
        Conv2D.builder(1, c).kernel(2).stride(2).seed(seed).build(), // [N, c, 2, 2]: 4 patches
        new Reshape(c, -1), new Transpose(1, 2), // [N, 4, c]
        ClassToken.builder(c).seed(seed + 1).build(), // [N, 5, c]
        PositionEmbedding.builder(5, c).seed(seed + 2).build(),
        Dense.builder(c, c).seed(seed + 3).build(), new GELU(),
        Slice.index(1, 0), // [N, c]
        Dense.builder(c, 3).seed(seed + 4).build());
    Tensor x = Tensor.uniform(Shape.of(n, 1, 4, 4), -1, 1, seed);
    assertEquals(Shape.of(n, 3), model.forward(x, true).shape());
    GradCheck.Report report = GradCheck.forLayer(model).seed(seed).check(x);
    assertTrue(report.passed(), report::toString);
  }
}

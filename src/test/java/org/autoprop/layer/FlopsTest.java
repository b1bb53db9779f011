package org.autoprop.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Stream;
import org.autoprop.layer.merge.Avg;
import org.autoprop.layer.merge.Chcat;
import org.autoprop.layer.merge.Dot;
import org.autoprop.layer.merge.Hadamard;
import org.autoprop.layer.merge.Max;
import org.autoprop.layer.merge.Min;
import org.autoprop.layer.merge.Sub;
import org.autoprop.layer.merge.Sum;
import org.autoprop.tensor.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The FLOP convention of Layer#flops, layer by layer, with hand-computed counts. */
class FlopsTest {
  private static final Shape X = Shape.of(2, 3, 5, 5); // 150 elements

  static Stream<Arguments> layers() {
    long n = X.size();
    return Stream.of(
        // one operation per element
        Arguments.of(new ReLU(), n), Arguments.of(new ReLU6(), n), Arguments.of(new ELU(), n),
        Arguments.of(new GELU(), n), Arguments.of(new GELU(true), n), Arguments.of(new HardSwish(), n),
        Arguments.of(new LeakyReLU(), n), Arguments.of(new SELU(), n), Arguments.of(new SiLU(), n),
        Arguments.of(new Sigmoid(), n), Arguments.of(new Softplus(), n), Arguments.of(new Swish(), n),
        Arguments.of(new Tanh(), n),
        // max, subtract, exp, sum, divide
        Arguments.of(new Softmax(1), 5 * n),
        // scale-and-shift folded into one multiply-add
        Arguments.of(new BatchNorm2D(3), 2 * n),
        // data movement
        Arguments.of(new Identity(), 0L), Arguments.of(new Flatten(), 0L),
        Arguments.of(new Reshape(75), 0L), Arguments.of(new Dropout(0.5, 1), 0L), Arguments.of(new Dropout2D(0.5, 1), 0L),
        // 2x2 windows at stride 2 on 5x5 -> 2x2 outputs: 2*3*4 outputs x 4
        Arguments.of(Pool2D.max(2, 2, 0), 2L * 3 * 4 * 4), Arguments.of(Pool2D.avg(2, 2, 0), 2L * 3 * 4 * 4),
        // adaptive 5 -> 2: windows [0, 3) and [2, 5), 6 rows x 6 columns = 36 adds per plane, + 4 divisions
        Arguments.of(new AdaptiveAvgPool2D(2, 2), 2L * 3 * (36 + 4)),
        Arguments.of(new GlobalAvgPool2D(), 2L * 3 * (25 + 1)),
        // 2 x MACs, bias folded in: 2 * N * out * H * W * in * kh * kw
        Arguments.of(Conv2D.builder(3, 4).kernel(3, 3).padding(Padding.SAME).build(), 2L * 2 * 4 * 25 * 3 * 9),
        Arguments.of(new Sequential(new ReLU(), Pool2D.max(2, 2, 0), new Flatten()), n + 2L * 3 * 4 * 4));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("layers")
  void layerFlopsFollowTheConvention(Layer layer, long expected) {
    assertEquals(expected, layer.flops(X));
  }

  @Test
  void denseAndBatchNorm1DOnVectors() {
    assertEquals(2L * 4 * 7 * 5, Dense.builder(7, 5).build().flops(Shape.of(4, 7)));
    assertEquals(2L * 4 * 7, new BatchNorm1D(7).flops(Shape.of(4, 7)));
  }

  /** [N, T, D] sequences: dense layers count 2 MACs per weight per position, data movement 0, additions 1. */
  @Test
  void sequenceLayers() {
    Shape seq = Shape.of(2, 5, 6); // 60 elements
    assertEquals(2L * 10 * 6 * 4, Dense.builder(6, 4).build().flops(seq));
    assertEquals(2L * 2 * 6 * 5 * 3, new DenseND(5, 3, 1).flops(seq));
    assertEquals(60, new PositionalEncoding(6).flops(seq));
    assertEquals(60, new PositionEmbedding(5, 6).flops(seq));
    assertEquals(0, new ClassToken(6).flops(seq));
    assertEquals(0, Embedding.builder(9, 6).build().flops(Shape.of(2, 5)));
    assertEquals(0, new Transpose(1, 2).flops(seq));
    assertEquals(0, new Slice(":, 0").flops(seq));
    assertThrows(IllegalArgumentException.class, () -> new Slice(":, 5").flops(seq));
    assertThrows(IllegalArgumentException.class, () -> new ClassToken(5).flops(seq));
  }

  @Test
  void flopsCheckTheShapeLikeOutputShape() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new BatchNorm2D(4).flops(X));
    assertTrue(e.getMessage().contains("BatchNorm2D(4)"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new Flatten().flops(Shape.of(5)));
  }

  @Test
  void mergeFlops() {
    Shape a = Shape.of(2, 3, 4, 4); // 96
    Shape gate = Shape.of(2, 3, 1, 1);
    assertEquals(2 * 96, new Sum().flops(List.of(a, a, a)));
    assertEquals(96, new Sub().flops(List.of(a, a)));
    assertEquals(96, new Hadamard().flops(List.of(a, gate))); // broadcast: one op per output
    assertEquals(3 * 96, new Avg().flops(List.of(a, a, a)));
    assertEquals(96, new Max().flops(List.of(a, a)));
    assertEquals(2 * 96, new Min().flops(List.of(a, a, a)));
    assertEquals(0, new Chcat().flops(List.of(a, a)));
    // [2, 5, 7] @ [2, 7, 3]: 2 * 5 * 3 outputs, 7 multiply-adds each
    assertEquals(2L * 2 * 5 * 3 * 7, new Dot().flops(List.of(Shape.of(2, 5, 7), Shape.of(2, 7, 3))));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Sum().flops(List.of(a, Shape.of(2, 4, 4, 4))));
    assertTrue(e.getMessage().startsWith("SUM cannot merge input shapes [2, 3, 4, 4], [2, 4, 4, 4]"), e.getMessage());
  }
}

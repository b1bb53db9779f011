package org.autoprop.blocks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.autoprop.io.StateDict;
import org.autoprop.layer.Conv1D;
import org.autoprop.layer.Conv2D;
import org.autoprop.layer.Dense;
import org.autoprop.layer.Flatten;
import org.autoprop.layer.GlobalAvgPool1D;
import org.autoprop.layer.GlobalAvgPool2D;
import org.autoprop.layer.Layer;
import org.autoprop.layer.Parameter;
import org.autoprop.layer.BatchNorm1D;
import org.autoprop.layer.Pool1D;
import org.autoprop.layer.ReLU;
import org.autoprop.layer.Sequential;
import org.autoprop.layer.Sigmoid;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Luma's blocks: their structure (layers, order, names, Luma's defaults), each against an oracle
 * written independently (the same layers composed by hand, or the selective-kernel arithmetic in
 * plain loops), and their errors. Gradients are checked by finite differences in
 * {@code LayerContractTest}, where every block has catalogue entries.
 */
class BlocksTest {
  private static Tensor input(long seed, int... dims) {
    return Tensor.uniform(Shape.of(dims), -1, 1, seed);
  }

  /** Copies every parameter and buffer of {@code from} into the entry of the same name of {@code to}. */
  private static void copyState(Layer from, Layer to) {
    Map<String, Tensor> src = StateDict.of(from);
    Map<String, Tensor> dst = StateDict.of(to);
    assertEquals(src.keySet(), dst.keySet(), "state names");
    src.forEach((name, t) -> dst.get(name).copyFrom(t));
  }

  private static List<String> parameterNames(Layer layer) {
    return layer.parameters().stream().map(Parameter::name).toList();
  }

  /** Forward (training) and backward of both layers agree to the bit, with the same weights. */
  private static void assertSameAs(Layer oracle, Layer block, Tensor x, long seed) {
    copyState(block, oracle);
    Tensor y = block.forward(x, true).copy();
    Tensor expected = oracle.forward(x, true).copy();
    assertEquals(expected.shape(), y.shape(), block + ": output shape");
    assertArrayEquals(expected.toArray(), y.toArray(), block + ": output");
    Tensor gy = Tensor.uniform(y.shape(), -1, 1, seed);
    assertArrayEquals(oracle.backward(gy).toArray(), block.backward(gy).toArray(), block + ": input gradient");
    List<Parameter> ps = oracle.parameters();
    List<Parameter> bs = block.parameters();
    for (int i = 0; i < ps.size(); i++) {
      assertArrayEquals(ps.get(i).grad().toArray(), bs.get(i).grad().toArray(), block + ": gradient of " + bs.get(i).name());
    }
  }

  @Test
  void convBlockIsConvBatchNormActivationPoolWithLumasDefaults() {
    ConvBlock block = ConvBlock1D.builder(3, 4).seed(1).build();
    assertEquals("ConvBlock1D", block.typeName());
    assertEquals(List.of("0.weight", "0.bias", "1.weight", "1.bias"), parameterNames(block));
    assertTrue(block.buffers().containsKey("1.running_mean"), () -> block.buffers().keySet().toString());
    assertEquals(Shape.of(2, 4, 4), block.outputShape(Shape.of(2, 3, 8)), "'same' conv, then a max pool 2 / 2");
    Sequential oracle = new Sequential(Conv1D.builder(3, 4).kernel(3).padding("same").build(), new BatchNorm1D(4),
        new ReLU(), Pool1D.max(2, 2, 0));
    assertSameAs(oracle, block, input(2, 2, 3, 8), 3);
    String summary = block.summary(Shape.of(2, 3, 8));
    assertTrue(summary.contains("Conv1D") && summary.contains("BatchNorm1D") && summary.contains("Pool1D"), summary);
  }

  @Test
  void convBlockWithoutBatchNormOrPoolRenumbersItsChildren() {
    ConvBlock block = ConvBlock2D.builder(2, 3).batchNorm(false).noPool().kernel(1).seed(4).build();
    assertEquals("ConvBlock2D", block.typeName());
    assertEquals(List.of("0.weight", "0.bias"), parameterNames(block));
    assertEquals(Shape.of(1, 3, 5, 5), block.outputShape(Shape.of(1, 2, 5, 5)));
    assertSameAs(new Sequential(Conv2D.builder(2, 3).kernel(1).build(), new ReLU()), block, input(5, 1, 2, 5, 5), 6);
  }

  @Test
  void separableConvIsDepthwiseThenPointwise() {
    SeparableConv block = SeparableConv1D.builder(3, 5).kernel(5).seed(7).build();
    assertEquals("SeparableConv1D", block.typeName());
    assertEquals(List.of("0.weight", "0.bias", "1.weight", "1.bias"), parameterNames(block), "Luma: no batch norm by default");
    assertEquals(Shape.of(3, 1, 5), block.parameters().get(0).value().shape(), "one filter per input channel");
    assertEquals(Shape.of(5, 3, 1), block.parameters().get(2).value().shape(), "pointwise");
    Sequential oracle = new Sequential(Conv1D.builder(3, 3).kernel(5).padding("same").groups(3).build(),
        Conv1D.builder(3, 5).kernel(1).build());
    assertSameAs(oracle, block, input(8, 2, 3, 11), 9);
    SeparableConv withNorms = SeparableConv3D.builder(2, 4).batchNorm(true).seed(10).build();
    assertEquals(List.of("0.weight", "0.bias", "1.weight", "1.bias", "2.weight", "2.bias", "3.weight", "3.bias"),
        parameterNames(withNorms));
    assertEquals(Shape.of(2), withNorms.parameters().get(2).value().shape(), "a batch norm of the depthwise output");
    assertEquals(Shape.of(4), withNorms.parameters().get(6).value().shape(), "a batch norm of the pointwise output");
    assertEquals(Shape.of(1, 4, 3, 4, 5), withNorms.outputShape(Shape.of(1, 2, 3, 4, 5)));
  }

  @Test
  void seBlockGateIsRepeatedOverSpaceAndItsGradientSummed() {
    SEBlock block = SEBlock1D.builder(8).seed(11).build();
    assertEquals("SEBlock1D", block.typeName());
    assertEquals(List.of("2.weight", "2.bias", "4.weight", "4.bias"), parameterNames(block), "Luma's Sequential indices");
    assertEquals(Shape.of(2, 8), block.parameters().get(0).value().shape(), "reduction 4: 8 -> 2");
    Sequential gate = new Sequential(new GlobalAvgPool1D(), new Flatten(), Dense.builder(8, 2).build(), new ReLU(),
        Dense.builder(2, 8).build(), new Sigmoid());
    copyState(block, gate);
    Tensor x = input(12, 3, 8, 5);
    Tensor y = block.forward(x, true).copy();
    assertEquals(x.shape(), y.shape(), "keepShape: the input's shape");
    Tensor g = gate.forward(x, true).copy();
    for (int n = 0; n < 3; n++) {
      for (int c = 0; c < 8; c++) {
        for (int l = 0; l < 5; l++) {
          assertEquals(g.get(n, c), y.get(n, c, l), "y[" + n + ", " + c + ", " + l + "]");
        }
      }
    }
    Tensor gy = Tensor.uniform(y.shape(), -1, 1, 13);
    Tensor summed = Tensor.zeros(3, 8);
    for (int n = 0; n < 3; n++) {
      for (int c = 0; c < 8; c++) {
        float s = 0;
        for (int l = 0; l < 5; l++) {
          s += gy.get(n, c, l);
        }
        summed.set(s, n, c);
      }
    }
    assertArrayEquals(gate.backward(summed).toArray(), block.backward(gy).toArray(),
        "the gate's gradient is the sum over the positions it was repeated to");
  }

  @Test
  void seBlockWithoutKeepShapeIsTheGate() {
    SEBlock block = SEBlock2D.builder(6).reduction(3).keepShape(false).seed(14).build();
    Sequential gate = new Sequential(new GlobalAvgPool2D(), new Flatten(), Dense.builder(6, 2).build(), new ReLU(),
        Dense.builder(2, 6).build(), new Sigmoid());
    assertEquals(Shape.of(2, 6), block.outputShape(Shape.of(2, 6, 4, 3)));
    assertSameAs(gate, block, input(15, 2, 6, 4, 3), 16);
  }

  /** The selective-kernel arithmetic in plain loops over the branch outputs the block computed. */
  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3})
  void skBlockWeighsItsBranchesBySoftmaxAttention(int branches) {
    int[] kernels = {3, 5, 1};
    int in = 3;
    int out = 4;
    int len = 7;
    SKBlock block = SKBlock1D.builder(in, out).kernels(java.util.Arrays.copyOf(kernels, branches)).reduction(2)
        .seed(17 + branches).build();
    assertEquals("SKBlock1D", block.typeName());
    Tensor x = input(18, 2, in, len);
    Tensor y = block.forward(x, true).copy();
    assertEquals(Shape.of(2, out, len), y.shape());
    // The branches again, as Sequentials of their own with the block's weights.
    Map<String, Tensor> state = StateDict.of(block);
    float[][] b = new float[branches][];
    float[][] pooled = new float[2][out];
    for (int i = 0; i < branches; i++) {
      Sequential branch = new Sequential(Conv1D.builder(in, out).kernel(kernels[i]).padding("same").build(),
          new BatchNorm1D(out), new ReLU());
      for (var e : StateDict.of(branch).entrySet()) {
        e.getValue().copyFrom(state.get("branch_" + i + "." + e.getKey()));
      }
      b[i] = branch.forward(x, true).copy().toArray();
      for (int n = 0; n < 2; n++) {
        for (int c = 0; c < out; c++) {
          for (int l = 0; l < len; l++) {
            pooled[n][c] += b[i][(n * out + c) * len + l] / len;
          }
        }
      }
    }
    float[] w1 = state.get("fc.1.weight").toArray(); // [2, 4, 1]
    float[] b1 = state.get("fc.1.bias").toArray();
    float[] w2 = state.get("fc.3.weight").toArray(); // [4 * branches, 2, 1]
    float[] b2 = state.get("fc.3.bias").toArray();
    int hidden = out / 2;
    for (int n = 0; n < 2; n++) {
      double[] h = new double[hidden];
      for (int j = 0; j < hidden; j++) {
        double s = b1[j];
        for (int c = 0; c < out; c++) {
          s += w1[j * out + c] * pooled[n][c];
        }
        h[j] = Math.max(0, s);
      }
      double[][] logits = new double[branches][out];
      for (int i = 0; i < branches; i++) {
        for (int c = 0; c < out; c++) {
          int row = i * out + c; // the attention's channels are [branch, channel]
          double s = b2[row];
          for (int j = 0; j < hidden; j++) {
            s += w2[row * hidden + j] * h[j];
          }
          logits[i][c] = s;
        }
      }
      for (int c = 0; c < out; c++) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < branches; i++) {
          max = Math.max(max, logits[i][c]);
        }
        double z = 0;
        for (int i = 0; i < branches; i++) {
          z += Math.exp(logits[i][c] - max);
        }
        for (int l = 0; l < len; l++) {
          double expected = 0;
          for (int i = 0; i < branches; i++) {
            expected += Math.exp(logits[i][c] - max) / z * b[i][(n * out + c) * len + l];
          }
          assertEquals(expected, y.get(n, c, l), 1e-5 * (1 + Math.abs(expected)), "y[" + n + ", " + c + ", " + l + "]");
        }
      }
    }
    if (branches == 1) {
      assertArrayEquals(b[0], y.toArray(), 1e-6f, "one branch: softmax weights 1");
    }
  }

  @Test
  void skBlockNamesItsNodesAsLuma() {
    SKBlock block = SKBlock2D.builder(4, 8).reduction(4).seed(20).build();
    assertEquals(List.of("branch_0.0.weight", "branch_0.0.bias", "branch_0.1.weight", "branch_0.1.bias",
        "branch_1.0.weight", "branch_1.0.bias", "branch_1.1.weight", "branch_1.1.bias",
        "fc.1.weight", "fc.1.bias", "fc.3.weight", "fc.3.bias"), parameterNames(block));
    assertEquals(Shape.of(16, 2, 1, 1), block.parameters().get(10).value().shape(), "2 branches x 8 channels");
    assertEquals(Shape.of(2, 8, 5, 6), block.outputShape(Shape.of(2, 4, 5, 6)));
    String summary = block.summary(Shape.of(2, 4, 5, 6));
    for (String node : List.of("branch_0", "branch_1", "fc", "softmax", "slice_0", "scale_1", "sum")) {
      assertTrue(summary.contains(node), () -> node + " in\n" + summary);
    }
  }

  @Test
  void seededBlocksAreReproducibleAndSeedsDiffer() {
    assertArrayEquals(SKBlock1D.builder(2, 4).reduction(2).seed(5).build().parameters().get(0).value().toArray(),
        SKBlock1D.builder(2, 4).reduction(2).seed(5).build().parameters().get(0).value().toArray());
    float[] a = ConvBlock1D.builder(2, 4).seed(5).build().parameters().get(0).value().toArray();
    float[] b = ConvBlock1D.builder(2, 4).seed(6).build().parameters().get(0).value().toArray();
    assertTrue(!java.util.Arrays.equals(a, b), "seeds 5 and 6 gave the same weights");
    SeparableConv sep = SeparableConv1D.builder(2, 2).kernel(1).seed(5).build();
    assertTrue(!java.util.Arrays.equals(sep.parameters().get(0).value().toArray(),
        sep.parameters().get(2).value().toArray()), "the two convolutions of one block share a seed");
  }

  @Test
  void badOptionsAndInputsAreNamed() {
    var e = assertThrows(IllegalArgumentException.class, () -> SEBlock1D.builder(8).reduction(9));
    assertEquals("SEBlock1D: reduction 9 (expected: 1 <= reduction <= 8, the channels, so that the hidden width"
        + " channels / reduction is at least 1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> SEBlock2D.builder(3).build());
    assertEquals("SEBlock2D: channels 3 / reduction 4 = 0 hidden units (expected: reduction <= channels)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> SKBlock1D.builder(2, 4).kernels(3, 4));
    assertEquals("SKBlock1D: kernel size 4 in [3, 4] (expected: odd and >= 1, so that \"same\" padding is symmetric)",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> SKBlock3D.builder(2, 4).build());
    assertEquals("SKBlock3D: out 4 / reduction 16 = 0 hidden channels (expected: reduction <= out)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ConvBlock3D.builder(0, 4));
    assertEquals("ConvBlock3D: in 0, out 4 (expected: >= 1 each)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ConvBlock1D.builder(2, 4).momentum(1.5));
    assertEquals("ConvBlock1D: momentum 1.5 (expected: 0 <= momentum <= 1)", e.getMessage());
    SEBlock se = SEBlock1D.builder(8).seed(1).build();
    e = assertThrows(IllegalArgumentException.class, () -> se.forward(Tensor.zeros(2, 6, 5), true));
    assertEquals("SEBlock1D: input [2, 6, 5] (expected: rank 3, [N, 8, ...])", e.getMessage());
    ConvBlock conv = ConvBlock1D.builder(3, 4).seed(1).build();
    e = assertThrows(IllegalArgumentException.class, () -> conv.forward(Tensor.zeros(2, 5, 8), true));
    assertTrue(e.getMessage().startsWith("ConvBlock1D: ") && e.getMessage().contains("[2, 5, 8]"), e.getMessage());
  }
}

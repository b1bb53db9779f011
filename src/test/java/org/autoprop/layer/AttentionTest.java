package org.autoprop.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.autoprop.kernel.KernelProvider;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** ScaledDotProductAttention and MultiHeadAttention against a direct definition and finite differences. */
class AttentionTest {

  /** Random masks of a case: causal, a boolean or additive [tq, tk] mask, key padding. */
  record Masks(boolean causal, float[][] user, boolean userBoolean, float[][] padding) {
    static Masks random(SplittableRandom r, int n, int tq, int tk, boolean allowFullRows) {
      boolean causal = r.nextInt(3) == 0;
      float[][] user = null;
      boolean bool = r.nextBoolean();
      if (r.nextInt(3) == 0) {
        user = new float[tq][tk];
        for (int i = 0; i < tq; i++) {
          for (int j = 0; j < tk; j++) {
            user[i][j] = bool ? (r.nextInt(4) == 0 ? 1 : 0) : (float) (r.nextDouble() * 2 - 1);
          }
          if (bool && !allowFullRows) {
            user[i][0] = 0;
          }
        }
      }
      float[][] pad = null;
      if (r.nextInt(3) == 0) {
        pad = new float[n][tk];
        for (int b = 0; b < n; b++) {
          for (int j = 1; j < tk; j++) {
            pad[b][j] = r.nextInt(3) == 0 ? 1 : 0;
          }
        }
      }
      return new Masks(causal, user, bool, pad);
    }

    /** The additive mask of batch element b, query i, key j. */
    double at(int b, int i, int j) {
      double m = 0;
      if (causal && j > i) {
        m = Double.NEGATIVE_INFINITY;
      }
      if (user != null) {
        m = userBoolean ? (user[i][j] != 0 ? Double.NEGATIVE_INFINITY : m) : m + user[i][j];
      }
      if (padding != null && padding[b][j] != 0) {
        m = Double.NEGATIVE_INFINITY;
      }
      return m;
    }

    Tensor userTensor() {
      int tq = user.length;
      int tk = user[0].length;
      Tensor t = Tensor.zeros(tq, tk);
      for (int i = 0; i < tq; i++) {
        for (int j = 0; j < tk; j++) {
          t.set(user[i][j], i, j);
        }
      }
      return t;
    }

    Tensor paddingTensor() {
      Tensor t = Tensor.zeros(padding.length, padding[0].length);
      for (int b = 0; b < padding.length; b++) {
        for (int j = 0; j < padding[0].length; j++) {
          t.set(padding[b][j], b, j);
        }
      }
      return t;
    }

    ScaledDotProductAttention.Builder apply(ScaledDotProductAttention.Builder b) {
      b.causal(causal);
      if (user != null) {
        if (userBoolean) {
          b.booleanMask(userTensor());
        } else {
          b.additiveMask(userTensor());
        }
      }
      return b;
    }

    MultiHeadAttention.Builder apply(MultiHeadAttention.Builder b) {
      b.causal(causal);
      if (user != null) {
        if (userBoolean) {
          b.booleanMask(userTensor());
        } else {
          b.additiveMask(userTensor());
        }
      }
      return b;
    }
  }

  /** softmax(scale q k^T + m) v for one block, in double; a fully masked row gives zeros. */
  static double[][] attend(double[][] q, double[][] k, double[][] v, double scale, Masks m, int b) {
    int tq = q.length;
    int tk = k.length;
    int dv = v[0].length;
    double[][] out = new double[tq][dv];
    for (int i = 0; i < tq; i++) {
      double[] s = new double[tk];
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < tk; j++) {
        double dot = 0;
        for (int e = 0; e < q[0].length; e++) {
          dot += q[i][e] * k[j][e];
        }
        s[j] = scale * dot + (m == null ? 0 : m.at(b, i, j));
        max = Math.max(max, s[j]);
      }
      if (max == Double.NEGATIVE_INFINITY) {
        continue;
      }
      double sum = 0;
      for (int j = 0; j < tk; j++) {
        s[j] = Math.exp(s[j] - max);
        sum += s[j];
      }
      for (int j = 0; j < tk; j++) {
        for (int e = 0; e < dv; e++) {
          out[i][e] += s[j] / sum * v[j][e];
        }
      }
    }
    return out;
  }

  /** Rows t of block (b, h) of x [N, (H,) T, E]. */
  static double[][] block(Tensor x, int b, int h) {
    int r = x.rank();
    int t = x.dim(r - 2);
    int e = x.dim(r - 1);
    double[][] out = new double[t][e];
    for (int i = 0; i < t; i++) {
      for (int j = 0; j < e; j++) {
        out[i][j] = r == 4 ? x.get(b, h, i, j) : x.get(b, i, j);
      }
    }
    return out;
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#seeds")
  void sdpaMatchesTheDefinitionAndFiniteDifferences(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int n = 1 + r.nextInt(3);
    int heads = r.nextInt(3); // 0: rank 3
    int tq = 1 + r.nextInt(5);
    int tk = 1 + r.nextInt(5);
    int e = 1 + r.nextInt(6);
    int ev = 1 + r.nextInt(6);
    int count = 1 + r.nextInt(3);
    if (count == 1) {
      tk = tq;
      ev = e;
    } else if (count == 2) {
      ev = e;
    }
    Masks m = Masks.random(r, n, tq, tk, true);
    ScaledDotProductAttention sdpa = m.apply(ScaledDotProductAttention.builder()).build();
    if (m.padding() != null) {
      sdpa.keyPaddingMask(m.paddingTensor());
    }
    List<Tensor> in = new ArrayList<>();
    in.add(Tensor.uniform(shape(n, heads, tq, e), -1, 1, seed + 1));
    if (count >= 2) {
      in.add(Tensor.uniform(shape(n, heads, tk, e), -1, 1, seed + 2));
    }
    if (count == 3) {
      in.add(Tensor.uniform(shape(n, heads, tk, ev), -1, 1, seed + 3));
    }
    Tensor y = sdpa.forward(in, false);
    double scale = 1 / Math.sqrt(e);
    for (int b = 0; b < n; b++) {
      for (int h = 0; h < Math.max(1, heads); h++) {
        double[][] q = block(in.get(0), b, h);
        double[][] k = block(in.get(count == 1 ? 0 : 1), b, h);
        double[][] v = block(in.get(count == 3 ? 2 : count - 1), b, h);
        double[][] want = attend(q, k, v, scale, m, b);
        double[][] got = block(y, b, h);
        for (int i = 0; i < want.length; i++) {
          for (int j = 0; j < want[0].length; j++) {
            assertEquals(want[i][j], got[i][j], 1e-5, "block " + b + "," + h + " element " + i + "," + j);
          }
        }
      }
    }
    assertTrue(y.maxAbs() < Double.MAX_VALUE && !Double.isNaN(y.maxAbs()), "finite output");
    GradCheck.Report rep = check(sdpa, in, seed);
    assertTrue(rep.passed(), rep::toString);
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("org.autoprop.testing.Cases#seeds")
  void mhaMatchesTheDefinitionAndFiniteDifferences(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int n = 1 + r.nextInt(3);
    int heads = 1 + r.nextInt(3);
    int d = heads * (1 + r.nextInt(3));
    int tq = 1 + r.nextInt(5);
    int tk = 1 + r.nextInt(5);
    int count = 1 + r.nextInt(3);
    if (count == 1) {
      tk = tq;
    }
    boolean bias = r.nextBoolean();
    Masks m = Masks.random(r, n, tq, tk, true);
    MultiHeadAttention mha = m.apply(MultiHeadAttention.builder(d, heads).bias(bias).seed(seed)).build();
    // Weights of order 1, so that every gradient stands well above float32 noise.
    mha.inProjWeight().value().copyFrom(Tensor.uniform(Shape.of(3 * d, d), -1, 1, seed + 5));
    mha.outProjWeight().value().copyFrom(Tensor.uniform(Shape.of(d, d), -1, 1, seed + 6));
    if (bias) {
      mha.inProjBias().value().copyFrom(Tensor.uniform(Shape.of(3 * d), -1, 1, seed + 7));
      mha.outProjBias().value().copyFrom(Tensor.uniform(Shape.of(d), -1, 1, seed + 8));
    }
    if (m.padding() != null) {
      mha.keyPaddingMask(m.paddingTensor());
    }
    List<Tensor> in = new ArrayList<>();
    in.add(Tensor.uniform(Shape.of(n, tq, d), -1, 1, seed + 1));
    for (int i = 1; i < count; i++) {
      in.add(Tensor.uniform(Shape.of(n, tk, d), -1, 1, seed + 1 + i));
    }
    Tensor y = mha.forward(in, false);
    Tensor want = reference(mha, in, m);
    for (int i = 0; i < y.size(); i++) {
      assertEquals(want.getFlat(i), y.getFlat(i), 1e-4, "element " + i);
    }
    GradCheck.Report rep = check(mha, in, seed);
    assertTrue(rep.passed(), rep::toString);
  }

  /** MHA by the definition: projections, per-head attention in double, output projection. */
  static Tensor reference(MultiHeadAttention mha, List<Tensor> in, Masks m) {
    int d = mha.dModel();
    int heads = mha.heads();
    int hd = d / heads;
    Tensor xq = in.get(0);
    Tensor xk = in.get(in.size() == 1 ? 0 : 1);
    Tensor xv = in.get(in.size() == 3 ? 2 : in.size() - 1);
    int n = xq.dim(0);
    int tq = xq.dim(1);
    int tk = xk.dim(1);
    Tensor w = mha.inProjWeight().value();
    Tensor bi = mha.inProjBias() == null ? null : mha.inProjBias().value();
    Tensor out = Tensor.zeros(n, tq, d);
    for (int b = 0; b < n; b++) {
      double[][] concat = new double[tq][d];
      for (int h = 0; h < heads; h++) {
        double[][] q = project(xq, b, w, bi, h * hd, hd);
        double[][] k = project(xk, b, w, bi, d + h * hd, hd);
        double[][] v = project(xv, b, w, bi, 2 * d + h * hd, hd);
        double[][] o = attend(q, k, v, 1 / Math.sqrt(hd), m, b);
        for (int i = 0; i < tq; i++) {
          System.arraycopy(o[i], 0, concat[i], h * hd, hd);
        }
      }
      for (int i = 0; i < tq; i++) {
        for (int j = 0; j < d; j++) {
          double s = mha.outProjBias() == null ? 0 : mha.outProjBias().value().get(j);
          for (int c = 0; c < d; c++) {
            s += concat[i][c] * mha.outProjWeight().value().get(j, c);
          }
          out.set((float) s, b, i, j);
        }
      }
    }
    return out;
  }

  private static double[][] project(Tensor x, int b, Tensor w, Tensor bias, int row0, int rows) {
    int t = x.dim(1);
    int d = x.dim(2);
    double[][] out = new double[t][rows];
    for (int i = 0; i < t; i++) {
      for (int r = 0; r < rows; r++) {
        double s = bias == null ? 0 : bias.get(row0 + r);
        for (int c = 0; c < d; c++) {
          s += x.get(b, i, c) * w.get(row0 + r, c);
        }
        out[i][r] = s;
      }
    }
    return out;
  }

  private static Shape shape(int n, int heads, int t, int e) {
    return heads == 0 ? Shape.of(n, t, e) : Shape.of(n, heads, t, e);
  }

  /** Finite differences over every input and parameter of a multi-input layer (evaluation mode). */
  static GradCheck.Report check(MultiInputLayer layer, List<Tensor> inputs, long seed) {
    List<String> names = new ArrayList<>();
    List<Tensor> values = new ArrayList<>();
    for (int i = 0; i < inputs.size(); i++) {
      names.add("input" + i);
      values.add(inputs.get(i));
    }
    for (Parameter p : layer.parameters()) {
      names.add(p.name());
      values.add(p.value());
    }
    return GradCheck.checkFunction(names, values, () -> layer.forward(inputs, false), g -> {
      layer.zeroGrad();
      layer.forward(inputs, false);
      List<Tensor> out = new ArrayList<>();
      for (Tensor t : layer.backwardInputs(g)) {
        out.add(t.copy());
      }
      for (Parameter p : layer.parameters()) {
        out.add(p.grad().copy());
      }
      return out;
    }, GradCheck.DEFAULT_EPSILON, 60, seed);
  }

  @Test
  void aFullyMaskedRowGivesZeroWeightsNotNaN() {
    // Query 0 of batch 1 sees only key 0, which is padding: its row is fully masked.
    for (KernelProvider kernels : new KernelProvider[] {KernelProvider.scalar(), KernelProvider.vector()}) {
      MultiHeadAttention mha = KernelProvider.building(kernels,
          () -> MultiHeadAttention.builder(4, 2).causal(true).seed(3).build());
      mha.outProjBias().value().copyFrom(Tensor.uniform(Shape.of(4), -1, 1, 5));
      Tensor pad = Tensor.zeros(2, 3);
      pad.set(1, 1, 0);
      mha.keyPaddingMask(pad);
      Tensor x = Tensor.uniform(Shape.of(2, 3, 4), -1, 1, 4);
      Tensor y = mha.forward(x, true);
      for (int j = 0; j < 4; j++) {
        assertEquals(mha.outProjBias().value().get(j), y.get(1, 0, j), 0, "the masked query's output is out_proj.bias");
      }
      assertFalse(Double.isNaN(y.maxAbs()), "no NaN in the output");
      Tensor gx = mha.backward(Tensor.uniform(y.shape(), -1, 1, 6));
      assertFalse(Double.isNaN(gx.maxAbs()), "no NaN in the input gradient");
      for (Parameter p : mha.parameters()) {
        assertFalse(Double.isNaN(p.grad().maxAbs()), p.name());
      }
      GradCheck.Report rep = check(mha, List.of(x), 9);
      assertTrue(rep.passed(), rep::toString);
    }
  }

  @Test
  void scalarAndVectorKernelsAgree() {
    for (int count = 1; count <= 3; count++) {
      List<Tensor> in = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        in.add(Tensor.uniform(Shape.of(3, 5 + (i > 0 ? 2 : 0), 8), -1, 1, 10 + i));
      }
      if (count == 1) {
        in.set(0, Tensor.uniform(Shape.of(3, 5, 8), -1, 1, 10));
      }
      MultiHeadAttention a = KernelProvider.building(KernelProvider.scalar(), () -> MultiHeadAttention.builder(8, 2).seed(1).build());
      MultiHeadAttention b = KernelProvider.building(KernelProvider.vector(), () -> MultiHeadAttention.builder(8, 2).seed(1).build());
      Tensor ya = a.forward(in, true).copy();
      Tensor yb = b.forward(in, true).copy();
      assertTrue(org.autoprop.testing.TestTensors.maxAbsDiff(ya, yb) < 1e-5, "forward of " + count + " inputs");
      Tensor g = Tensor.uniform(ya.shape(), -1, 1, 2);
      List<Tensor> ga = a.backwardInputs(g);
      List<Tensor> gb = b.backwardInputs(g);
      for (int i = 0; i < count; i++) {
        assertTrue(org.autoprop.testing.TestTensors.maxAbsDiff(ga.get(i), gb.get(i)) < 1e-5, "gradient " + i);
      }
    }
  }

  @Test
  void dropoutOnTheWeightsIsCheckedInTrainingAndOffInEvaluation() {
    MultiHeadAttention mha = MultiHeadAttention.builder(4, 2).dropout(0.5).seed(2).build();
    MultiHeadAttention plain = MultiHeadAttention.builder(4, 2).seed(2).build();
    Tensor x = Tensor.uniform(Shape.of(2, 6, 4), -1, 1, 3);
    Tensor eval = mha.forward(x, false).copy();
    assertTrue(org.autoprop.testing.TestTensors.maxAbsDiff(eval, plain.forward(x, false)) == 0, "no dropout in evaluation");
    Tensor train = mha.forward(x, true).copy();
    assertTrue(org.autoprop.testing.TestTensors.maxAbsDiff(eval, train) > 1e-3, "dropout changes the training output");
    // The backward of a training pass uses the same dropped weights: a direction check.
    Tensor g = Tensor.uniform(train.shape(), -1, 1, 4);
    mha.zeroGrad();
    Tensor gx = mha.backward(g).copy();
    double h = 1e-3;
    Tensor dir = Tensor.uniform(x.shape(), -1, 1, 5);
    double analytic = 0;
    for (int i = 0; i < x.size(); i++) {
      analytic += gx.getFlat(i) * dir.getFlat(i);
    }
    // Same mask: rebuild the layer with the same seed for each perturbed forward.
    double plus = dotWithDropout(x, dir, h, g);
    double minus = dotWithDropout(x, dir, -h, g);
    assertEquals((plus - minus) / (2 * h), analytic, 2e-2 * Math.max(1, Math.abs(analytic)));
  }

  private static double dotWithDropout(Tensor x, Tensor dir, double h, Tensor g) {
    MultiHeadAttention m = MultiHeadAttention.builder(4, 2).dropout(0.5).seed(2).build();
    m.forward(x, false);
    Tensor xp = x.copy();
    for (int i = 0; i < x.size(); i++) {
      xp.data()[i] += (float) (h * dir.getFlat(i));
    }
    Tensor y = m.forward(xp, true);
    double s = 0;
    for (int i = 0; i < y.size(); i++) {
      s += y.getFlat(i) * g.getFlat(i);
    }
    return s;
  }

  @Test
  void errorsNameTheLayerAndTheShapes() {
    MultiHeadAttention mha = new MultiHeadAttention(8, 2);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> mha.outputShape(Shape.of(2, 3, 6)));
    assertTrue(e.getMessage().contains("MultiHeadAttention(d=8, heads=2)") && e.getMessage().contains("[2, 3, 6]")
        && e.getMessage().contains("[N, T, 8]"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new MultiHeadAttention(6, 4));
    assertTrue(e.getMessage().contains("divisible"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> mha.forward(List.of(Tensor.zeros(2, 3, 8), Tensor.zeros(2, 3, 8), Tensor.zeros(2, 3, 8), Tensor.zeros(2, 3, 8)), true));
    assertTrue(e.getMessage().contains("4 inputs (expected: 1 to 3 inputs)"), e.getMessage());
    mha.keyPaddingMask(Tensor.zeros(2, 4));
    e = assertThrows(IllegalArgumentException.class, () -> mha.forward(Tensor.zeros(2, 3, 8), true));
    assertTrue(e.getMessage().contains("key padding mask [2, 4]") && e.getMessage().contains("[2, 3]"), e.getMessage());
    ScaledDotProductAttention sdpa = new ScaledDotProductAttention();
    e = assertThrows(IllegalArgumentException.class,
        () -> sdpa.outputShape(List.of(Shape.of(2, 3, 4), Shape.of(2, 5, 3))));
    assertTrue(e.getMessage().contains("key [2, 5, 3]") && e.getMessage().contains("expected: 4"), e.getMessage());
    assertThrows(IllegalStateException.class, () -> new MultiHeadAttention(4, 1).backward(Tensor.zeros(1, 1, 4)));
  }

  @Test
  void parameterNamesAndInitializationFollowPyTorch() {
    MultiHeadAttention mha = MultiHeadAttention.builder(16, 4).seed(1).build();
    List<String> names = new ArrayList<>();
    for (Parameter p : mha.parameters()) {
      names.add(p.name() + p.value().shape());
    }
    assertEquals(List.of("in_proj_weight[48, 16]", "in_proj_bias[48]", "out_proj.weight[16, 16]", "out_proj.bias[16]"), names);
    assertTrue(mha.inProjWeight().value().maxAbs() <= Math.sqrt(6.0 / 64), "xavier uniform bound");
    assertTrue(mha.outProjWeight().value().maxAbs() <= 0.25, "nn.Linear bound 1/sqrt(D)");
    assertEquals(0, mha.inProjBias().value().maxAbs());
    assertEquals(List.of("in_proj_weight", "out_proj.weight"),
        MultiHeadAttention.builder(4, 1).bias(false).build().parameters().stream().map(Parameter::name).toList());
  }
}

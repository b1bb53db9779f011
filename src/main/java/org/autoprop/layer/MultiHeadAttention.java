package org.autoprop.layer;

import java.util.List;
import java.util.Objects;
import org.autoprop.kernel.ElementwiseKernels;
import org.autoprop.kernel.Gemm;
import org.autoprop.kernel.GemmKernels;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * Multi-head attention with PyTorch's {@code nn.MultiheadAttention} parameters and
 * {@code batch_first} layout: inputs {@code [N, T, D]}, output {@code [N, Tq, D]}.
 *
 * <pre>
 * Q = xq Wq^T + bq,  K = xk Wk^T + bk,  V = xv Wv^T + bv      (in_proj_weight = [Wq; Wk; Wv])
 * head h: O_h = softmax(Q_h K_h^T / sqrt(D / H) + mask) V_h  (columns h*D/H .. (h+1)*D/H)
 * y = [O_0 .. O_{H-1}] Wo^T + bo                              (out_proj)
 * </pre>
 *
 * <p>Parameters, named as PyTorch's state dict so that its weights load strictly:
 * {@code in_proj_weight [3D, D]} (Xavier-uniform), {@code in_proj_bias [3D]} (zeros),
 * {@code out_proj.weight [D, D]} ({@code U(-1/sqrt(D), 1/sqrt(D))}, as {@code nn.Linear}) and
 * {@code out_proj.bias [D]} (zeros); without bias ({@link Builder#bias}{@code (false)}) neither
 * bias exists.
 *
 * <p>Inputs ({@link MultiInputLayer}; in a graph, in edge order): one, {@code x} (self-attention,
 * query = key = value, projected by one GEMM against the whole {@code in_proj_weight}); two,
 * {@code query} then {@code memory} (cross-attention, key = value = memory: one GEMM against
 * {@code [Wk; Wv]}); or three, {@code query}, {@code key}, {@code value}. The heads are column
 * blocks of the projections, read in place with their leading dimension: no head is copied.
 *
 * <p>Masks as {@link ScaledDotProductAttention}'s (causal, a fixed boolean or additive
 * {@code [Tq, Tk]} mask, a mask function of the shapes, a per-batch key padding mask
 * {@code [N, Tk]} set with {@link #keyPaddingMask} before a forward), shared by every head. A
 * query whose keys are all masked gets zero attention weights: its output row is
 * {@code out_proj.bias} and no gradient flows through it (PyTorch gives NaN).
 *
 * <p>Dropout on the attention weights ({@link Builder#dropout}, default 0) in training only; the
 * (batch, head) blocks run in parallel when large; a warm step allocates nothing.
 */
public final class MultiHeadAttention extends AbstractMultiInputLayer {
  private final int d;
  private final int heads;
  private final int headDim;
  private final Parameter inWeight;
  private final Parameter inBias;
  private final Parameter outWeight;
  private final Parameter outBias;
  private final AttentionCore core;
  private final GemmKernels gemm = kernels.gemm();
  private final ElementwiseKernels elementwise = kernels.elementwise();
  private final String description;

  // Per pass: the projection groups (one per input), their buffers and gradients.
  private int groups;
  private final int[] rowStart = new int[3];
  private final int[] rowCount = new int[3];
  private final Tensor[] proj = new Tensor[3];
  private final Tensor[] gradProj = new Tensor[3];
  private Tensor attn;
  private Tensor gradAttn;

  /** {@code dModel} features split over {@code heads} heads, with biases. */
  public MultiHeadAttention(int dModel, int heads) {
    this(builder(dModel, heads));
  }

  private MultiHeadAttention(Builder b) {
    super(3);
    this.d = b.d;
    this.heads = b.heads;
    this.description = "MultiHeadAttention(d=" + d + ", heads=" + heads + (b.causal ? ", causal" : "") + ")";
    if (d < 1 || heads < 1 || d % heads != 0) {
      throw new IllegalArgumentException(description + ": dModel " + d + ", heads " + heads
          + " (expected: >= 1 each, dModel divisible by heads)");
    }
    this.headDim = d / heads;
    long seed = b.seed != null ? b.seed : Initializer.nextDefaultSeed();
    Tensor w = Tensor.zeros(3 * d, d);
    Initializer.XAVIER_UNIFORM.fill(w, d, 3 * d, seed);
    inWeight = new Parameter("in_proj_weight", w);
    Tensor wo = Tensor.zeros(d, d);
    double bound = 1 / Math.sqrt(d);
    Tensor u = Tensor.uniform(Shape.of(d, d), (float) -bound, (float) bound, seed ^ 0x07L);
    wo.copyFrom(u);
    outWeight = new Parameter("out_proj.weight", wo);
    inBias = b.bias ? new Parameter("in_proj_bias", Tensor.zeros(3 * d)) : null;
    outBias = b.bias ? new Parameter("out_proj.bias", Tensor.zeros(d)) : null;
    core = new AttentionCore(this, kernels, b.dropout, seed ^ 0xD4097L);
    core.causal = b.causal;
    core.userMask = b.mask;
    core.userMaskBoolean = b.maskBoolean;
    core.maskFunction = b.maskFunction;
  }

  /** A builder (defaults: biases, no mask, no dropout). */
  public static Builder builder(int dModel, int heads) {
    return new Builder(dModel, heads);
  }

  /**
   * Sets the key padding mask for the following forwards: {@code [N, Tk]}, nonzero where the key is
   * padding (PyTorch's {@code key_padding_mask}), or null for none; see
   * {@link ScaledDotProductAttention#keyPaddingMask}.
   *
   * @param mask the mask, or null
   * @return this layer
   */
  public MultiHeadAttention keyPaddingMask(Tensor mask) {
    core.keyPadding = mask == null ? null : mask.contiguous();
    return this;
  }

  /** The model width {@code D}. */
  public int dModel() {
    return d;
  }

  /** The number of heads. */
  public int heads() {
    return heads;
  }

  /** {@code in_proj_weight [3D, D]}. */
  public Parameter inProjWeight() {
    return inWeight;
  }

  /** {@code in_proj_bias [3D]}, or null without bias. */
  public Parameter inProjBias() {
    return inBias;
  }

  /** {@code out_proj.weight [D, D]}. */
  public Parameter outProjWeight() {
    return outWeight;
  }

  /** {@code out_proj.bias [D]}, or null without bias. */
  public Parameter outProjBias() {
    return outBias;
  }

  @Override
  public List<Parameter> parameters() {
    return inBias == null ? List.of(inWeight, outWeight) : List.of(inWeight, inBias, outWeight, outBias);
  }

  @Override
  public int minInputs() {
    return 1;
  }

  @Override
  public int maxInputs() {
    return 3;
  }

  @Override
  public String typeName() {
    return "MultiHeadAttention";
  }

  @Override
  public String toString() {
    return description;
  }

  @Override
  public Shape outputShape(List<Shape> in) {
    Objects.requireNonNull(in, "inputs");
    if (in.isEmpty() || in.size() > 3) {
      throw new IllegalArgumentException(description + ": " + in.size() + " inputs (expected: " + expectedInputs() + ")");
    }
    String[] names = in.size() == 1 ? new String[] {"input"}
        : in.size() == 2 ? new String[] {"query", "key/value"} : new String[] {"query", "key", "value"};
    for (int i = 0; i < in.size(); i++) {
      Shape s = in.get(i);
      if (s.rank() != 3 || s.dim(2) != d) {
        throw new IllegalArgumentException(description + ": " + names[i] + " " + s + " (expected: [N, T, " + d + "])");
      }
      if (s.dim(0) != in.get(0).dim(0)) {
        throw new IllegalArgumentException(description + ": " + names[i] + " " + s + " has batch " + s.dim(0)
            + " (expected: " + in.get(0).dim(0) + ", the query's)");
      }
    }
    if (in.size() == 3 && in.get(1).dim(1) != in.get(2).dim(1)) {
      throw new IllegalArgumentException(description + ": key " + in.get(1) + ", value " + in.get(2)
          + " (expected: equal lengths)");
    }
    Shape q = in.get(0);
    core.checkMasks(q.dim(0), q.dim(1), in.get(in.size() - 1).dim(1));
    return q;
  }

  @Override
  public long flops(List<Shape> in) {
    Shape q = outputShape(in);
    long n = q.dim(0);
    long tq = q.dim(1);
    long tk = in.get(in.size() - 1).dim(1);
    long proj = 2 * n * (tq * d + 2 * tk * d) * d;
    long att = n * heads * (4 * tq * tk * headDim + 4 * tq * tk);
    return proj + att + 2 * n * tq * d * d;
  }

  @Override
  protected void prepare(Shape[] in, Shape out) {
    int count = in.length;
    groups = count;
    if (count == 1) {
      rowStart[0] = 0;
      rowCount[0] = 3 * d;
    } else if (count == 2) {
      rowStart[0] = 0;
      rowCount[0] = d;
      rowStart[1] = d;
      rowCount[1] = 2 * d;
    } else {
      for (int g = 0; g < 3; g++) {
        rowStart[g] = g * d;
        rowCount[g] = d;
      }
    }
    for (int g = 0; g < count; g++) {
      Shape p = Shape.of(in[g].dim(0) * in[g].dim(1), rowCount[g]);
      proj[g] = Tensor.reuse(proj[g], p);
      gradProj[g] = Tensor.reuse(gradProj[g], p);
    }
    int n = in[0].dim(0);
    int tq = in[0].dim(1);
    int tk = in[count - 1].dim(1);
    attn = Tensor.reuse(attn, Shape.of(n * tq, d));
    gradAttn = Tensor.reuse(gradAttn, Shape.of(n * tq, d));
    core.batch = n;
    core.heads = heads;
    core.tq = tq;
    core.tk = tk;
    core.dk = headDim;
    core.dv = headDim;
    core.scale = (float) (1 / Math.sqrt(headDim));
    // Where Q, K and V sit: group, column.
    int kg = count == 1 ? 0 : 1;
    int kc = count == 1 ? d : 0;
    int vg = count == 3 ? 2 : kg;
    int vc = count == 1 ? 2 * d : count == 2 ? d : 0;
    core.q = proj[0].data();
    core.qOff = 0;
    core.qLd = rowCount[0];
    core.qBs = tq * core.qLd;
    core.qHs = headDim;
    core.k = proj[kg].data();
    core.kOff = kc;
    core.kLd = rowCount[kg];
    core.kBs = tk * core.kLd;
    core.kHs = headDim;
    core.v = proj[vg].data();
    core.vOff = vc;
    core.vLd = rowCount[vg];
    core.vBs = tk * core.vLd;
    core.vHs = headDim;
    core.o = attn.data();
    core.oOff = 0;
    core.oLd = d;
    core.oBs = tq * d;
    core.oHs = headDim;
    core.gq = gradProj[0].data();
    core.gqOff = 0;
    core.gk = gradProj[kg].data();
    core.gkOff = kc;
    core.gv = gradProj[vg].data();
    core.gvOff = vc;
    core.go = gradAttn.data();
    core.goOff = 0;
    core.accumulateGradients = false; // Q, K and V sit in disjoint columns of the projections
    core.prepare();
  }

  @Override
  protected void forward(Tensor[] x, int count, Tensor y, boolean training) {
    core.checkMasks(core.batch, core.tq, core.tk);
    float[] w = inWeight.value().data();
    for (int g = 0; g < groups; g++) {
      Tensor p = proj[g];
      int rows = p.dim(0);
      int rc = rowCount[g];
      if (inBias != null) {
        for (int r = 0; r < rows; r++) {
          System.arraycopy(inBias.value().data(), rowStart[g], p.data(), r * rc, rc);
        }
      }
      Gemm.multiply(gemm, false, true, rows, rc, d, x[g].data(), x[g].offset(), d, w, rowStart[g] * d, d,
          p.data(), 0, rc, inBias != null);
    }
    core.forward(training);
    int rows = attn.dim(0);
    if (outBias != null) {
      for (int r = 0; r < rows; r++) {
        System.arraycopy(outBias.value().data(), 0, y.data(), r * d, d);
      }
    }
    Gemm.multiply(gemm, false, true, rows, d, d, attn.data(), 0, d, outWeight.value().data(), 0, d,
        y.data(), 0, d, outBias != null);
  }

  @Override
  protected void backward(Tensor[] x, int count, Tensor y, Tensor gy, Tensor[] gx) {
    int rows = attn.dim(0);
    float[] g = gy.data();
    int go = gy.offset();
    // out_proj: gWo += gy^T attn, gbo += sum of gy's rows, gAttn = gy Wo
    Gemm.multiply(gemm, true, false, d, d, rows, g, go, d, attn.data(), 0, d, outWeight.grad().data(), 0, d, true);
    if (outBias != null) {
      float[] gb = outBias.grad().data();
      for (int r = 0; r < rows; r++) {
        elementwise.add(gb, 0, g, go + r * d, gb, 0, d);
      }
    }
    Gemm.multiply(gemm, false, false, rows, d, d, g, go, d, outWeight.value().data(), 0, d, gradAttn.data(), 0, d, false);
    core.backward(); // writes every element of gradProj: the heads' column blocks tile it
    float[] w = inWeight.value().data();
    float[] gw = inWeight.grad().data();
    for (int i = 0; i < groups; i++) {
      Tensor gp = gradProj[i];
      int r = gp.dim(0);
      int rc = rowCount[i];
      int at = rowStart[i];
      if (inBias != null) {
        float[] gb = inBias.grad().data();
        for (int row = 0; row < r; row++) {
          elementwise.add(gb, at, gp.data(), row * rc, gb, at, rc);
        }
      }
      Gemm.multiply(gemm, true, false, rc, d, r, gp.data(), 0, rc, x[i].data(), x[i].offset(), d, gw, at * d, d, true);
      Gemm.multiply(gemm, false, false, r, d, rc, gp.data(), 0, rc, w, at * d, d, gx[i].data(), 0, d, false);
    }
  }

  /** Configures a {@link MultiHeadAttention}; every setter returns this builder. */
  public static final class Builder {
    private final int d;
    private final int heads;
    private boolean bias = true;
    private boolean causal;
    private Tensor mask;
    private boolean maskBoolean;
    private AttentionMask maskFunction;
    private double dropout;
    private Long seed;

    private Builder(int d, int heads) {
      this.d = d;
      this.heads = heads;
    }

    /** Whether the projections have biases (default true; false removes both, as PyTorch's {@code bias}). */
    public Builder bias(boolean b) {
      this.bias = b;
      return this;
    }

    /** Whether query {@code i} sees only keys {@code j <= i} (default false). */
    public Builder causal(boolean c) {
      this.causal = c;
      return this;
    }

    /** A fixed boolean mask {@code [Tq, Tk]}: nonzero removes the pair (PyTorch's {@code True}). */
    public Builder booleanMask(Tensor m) {
      this.mask = Objects.requireNonNull(m, "mask").contiguous();
      this.maskBoolean = true;
      return this;
    }

    /** A fixed additive mask {@code [Tq, Tk]} added to the scaled scores ({@code -inf} removes). */
    public Builder additiveMask(Tensor m) {
      this.mask = Objects.requireNonNull(m, "mask").contiguous();
      this.maskBoolean = false;
      return this;
    }

    /** A mask computed per batch element from the shapes (Luma's {@code mask_func}). */
    public Builder maskFunction(AttentionMask f) {
      this.maskFunction = Objects.requireNonNull(f, "maskFunction");
      return this;
    }

    /** Dropout probability on the attention weights, in training (default 0). */
    public Builder dropout(double p) {
      if (!(p >= 0 && p < 1)) {
        throw new IllegalArgumentException("MultiHeadAttention: dropout " + p + " (expected: 0 <= p < 1)");
      }
      this.dropout = p;
      return this;
    }

    /** The initialization and dropout seed (default: {@link Initializer#nextDefaultSeed()}). */
    public Builder seed(long s) {
      this.seed = s;
      return this;
    }

    /**
     * The layer.
     *
     * @throws IllegalArgumentException when dModel or heads is below 1 or heads does not divide dModel
     */
    public MultiHeadAttention build() {
      return new MultiHeadAttention(this);
    }
  }
}

package org.autoprop.layer;

import java.util.List;
import java.util.Objects;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * Scaled dot-product attention without parameters:
 * {@code y = dropout(softmax(scale * q k^T + mask)) v}, over the last two axes, for
 * {@code q [N, Tq, E]}, {@code k [N, Tk, E]}, {@code v [N, Tk, Ev]} (output {@code [N, Tq, Ev]}),
 * or with heads, {@code [N, H, T, E]} each (output {@code [N, H, Tq, Ev]}). As PyTorch 2's
 * {@code F.scaled_dot_product_attention}; the scale defaults to {@code 1 / sqrt(E)}.
 *
 * <p>Inputs ({@link MultiInputLayer}, in a graph in edge order): one ({@code q = k = v = x},
 * self-attention), two ({@code q}, then {@code kv} for both key and value) or three ({@code q},
 * {@code k}, {@code v}).
 *
 * <p>Masks, all optional and combined by adding: {@link Builder#causal} (query {@code i} sees keys
 * {@code j <= i}); a fixed {@code [Tq, Tk]} mask, boolean ({@link Builder#booleanMask}, nonzero =
 * removed, PyTorch's {@code True}) or additive ({@link Builder#additiveMask}); a mask function of
 * the shapes ({@link Builder#maskFunction}, Luma's {@code mask_func}); and a per-batch key padding
 * mask {@code [N, Tk]} set before a forward ({@link #keyPaddingMask}, nonzero = padding). A query
 * whose keys are all removed gets zero attention weights, hence a zero output row and no gradient
 * through it (PyTorch gives NaN there).
 *
 * <p>Dropout on the attention weights ({@link Builder#dropout}, default 0) applies in training
 * only. The blocks (batch element, head) run in parallel when large; a warm step allocates nothing.
 */
public final class ScaledDotProductAttention extends AbstractMultiInputLayer {
  private final AttentionCore core;
  private final Double scale;
  private final double dropout;
  private final String description;

  /** Self- or cross-attention with the default scale and no mask, no dropout. */
  public ScaledDotProductAttention() {
    this(builder());
  }

  private ScaledDotProductAttention(Builder b) {
    super(3);
    this.scale = b.scale;
    this.dropout = b.dropout;
    this.description = "ScaledDotProductAttention(" + (b.causal ? "causal" : "") + ")";
    this.core = new AttentionCore(this, kernels, b.dropout, b.seed != null ? b.seed : Initializer.nextDefaultSeed());
    core.causal = b.causal;
    core.userMask = b.mask;
    core.userMaskBoolean = b.maskBoolean;
    core.maskFunction = b.maskFunction;
  }

  /** A builder (defaults: scale {@code 1 / sqrt(E)}, no mask, no dropout). */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Sets the key padding mask for the following forwards: {@code [N, Tk]}, nonzero where the key is
   * padding (PyTorch's {@code key_padding_mask}, {@code True} = ignore), or null for none. The mask
   * is per batch, so it is data, like the batch itself: set it with each batch (a contiguous tensor
   * is kept by reference, not copied). Its shape is checked at the next forward.
   *
   * @param mask the mask, or null
   * @return this layer
   */
  public ScaledDotProductAttention keyPaddingMask(Tensor mask) {
    core.keyPadding = mask == null ? null : mask.contiguous();
    return this;
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
    return "ScaledDotProductAttention";
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
    Shape q = in.get(0);
    Shape k = in.size() == 1 ? q : in.get(1);
    Shape v = in.size() == 3 ? in.get(2) : k;
    String[] names = {"query", "key", "value"};
    Shape[] s = {q, k, v};
    for (int i = 0; i < 3; i++) {
      if (s[i].rank() != 3 && s[i].rank() != 4) {
        throw new IllegalArgumentException(description + ": " + names[i] + " " + s[i] + " has rank " + s[i].rank()
            + " (expected: 3, [N, T, E], or 4, [N, H, T, E])");
      }
    }
    int r = q.rank();
    if (k.rank() != r || v.rank() != r) {
      throw new IllegalArgumentException(description + ": query " + q + ", key " + k + ", value " + v
          + " (expected: the same rank)");
    }
    for (int a = 0; a < r - 2; a++) {
      if (k.dim(a) != q.dim(a) || v.dim(a) != q.dim(a)) {
        throw new IllegalArgumentException(description + ": query " + q + ", key " + k + ", value " + v
            + " (expected: equal batch" + (r == 4 ? " and head" : "") + " axes)");
      }
    }
    if (k.dim(r - 1) != q.dim(r - 1)) {
      throw new IllegalArgumentException(description + ": key " + k + " has features " + k.dim(r - 1)
          + " (expected: " + q.dim(r - 1) + ", the query's)");
    }
    if (v.dim(r - 2) != k.dim(r - 2)) {
      throw new IllegalArgumentException(description + ": value " + v + " has length " + v.dim(r - 2)
          + " (expected: " + k.dim(r - 2) + ", the key's)");
    }
    int[] dims = q.dims();
    dims[r - 1] = v.dim(r - 1);
    Shape out = Shape.of(dims);
    core.checkMasks(q.dim(0), q.dim(r - 2), k.dim(r - 2));
    return out;
  }

  @Override
  public long flops(List<Shape> in) {
    Shape out = outputShape(in);
    Shape k = in.size() == 1 ? in.get(0) : in.get(1);
    int r = out.rank();
    long blocks = (long) out.dim(0) * (r == 4 ? out.dim(1) : 1);
    long tq = out.dim(r - 2);
    long tk = k.dim(r - 2);
    long e = k.dim(r - 1);
    long ev = out.dim(r - 1);
    // QK^T and PV as multiply-adds, plus scale, exp, sum and divide per weight.
    return blocks * (2 * tq * tk * e + 2 * tq * tk * ev + 4 * tq * tk);
  }

  @Override
  protected void prepare(Shape[] in, Shape out) {
    Shape q = in[0];
    Shape k = in.length == 1 ? q : in[1];
    int r = q.rank();
    core.batch = q.dim(0);
    core.heads = r == 4 ? q.dim(1) : 1;
    core.tq = q.dim(r - 2);
    core.tk = k.dim(r - 2);
    core.dk = q.dim(r - 1);
    core.dv = out.dim(r - 1);
    core.scale = (float) (scale != null ? scale : 1 / Math.sqrt(core.dk));
    core.prepare();
  }

  @Override
  protected void forward(Tensor[] x, int count, Tensor y, boolean training) {
    Tensor q = x[0];
    Tensor k = count == 1 ? q : x[1];
    Tensor v = count == 3 ? x[2] : k;
    core.checkMasks(core.batch, core.tq, core.tk);
    core.q = q.data();
    core.qOff = q.offset();
    core.k = k.data();
    core.kOff = k.offset();
    core.v = v.data();
    core.vOff = v.offset();
    core.o = y.data();
    core.oOff = y.offset();
    layout();
    core.forward(training);
  }

  /** Strides of the four operands: [N, (H,) T, E] contiguous. */
  private void layout() {
    int h = core.heads;
    core.qLd = core.dk;
    core.qHs = core.tq * core.dk;
    core.qBs = h * core.qHs;
    core.kLd = core.dk;
    core.kHs = core.tk * core.dk;
    core.kBs = h * core.kHs;
    core.vLd = core.dv;
    core.vHs = core.tk * core.dv;
    core.vBs = h * core.vHs;
    core.oLd = core.dv;
    core.oHs = core.tq * core.dv;
    core.oBs = h * core.oHs;
  }

  @Override
  protected void backward(Tensor[] x, int count, Tensor y, Tensor gy, Tensor[] gx) {
    // One or two inputs: q, k, v share gradient buffers, which the blocks add into.
    core.accumulateGradients = count < 3;
    for (int i = 0; i < count && count < 3; i++) {
      gx[i].fill(0f);
    }
    Tensor gq = gx[0];
    Tensor gk = count == 1 ? gq : gx[1];
    Tensor gv = count == 3 ? gx[2] : gk;
    core.gq = gq.data();
    core.gqOff = gq.offset();
    core.gk = gk.data();
    core.gkOff = gk.offset();
    core.gv = gv.data();
    core.gvOff = gv.offset();
    core.go = gy.data();
    core.goOff = gy.offset();
    core.backward();
  }

  /** The dropout probability on the attention weights. */
  public double dropout() {
    return dropout;
  }

  /** Configures a {@link ScaledDotProductAttention}; every setter returns this builder. */
  public static final class Builder {
    private Double scale;
    private boolean causal;
    private Tensor mask;
    private boolean maskBoolean;
    private AttentionMask maskFunction;
    private double dropout;
    private Long seed;

    private Builder() {}

    /** The score scale (default {@code 1 / sqrt(E)}). */
    public Builder scale(double s) {
      if (!(s > 0) || Double.isInfinite(s)) {
        throw new IllegalArgumentException("ScaledDotProductAttention: scale " + s + " (expected: finite, > 0)");
      }
      this.scale = s;
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
        throw new IllegalArgumentException("ScaledDotProductAttention: dropout " + p + " (expected: 0 <= p < 1)");
      }
      this.dropout = p;
      return this;
    }

    /** The dropout seed (default: {@link Initializer#nextDefaultSeed()}). */
    public Builder seed(long s) {
      this.seed = s;
      return this;
    }

    /** The layer. */
    public ScaledDotProductAttention build() {
      return new ScaledDotProductAttention(this);
    }
  }
}

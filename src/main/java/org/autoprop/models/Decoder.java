package org.autoprop.models;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.autoprop.kernel.ElementwiseKernels;
import org.autoprop.kernel.KernelProvider;
import org.autoprop.layer.Dropout;
import org.autoprop.layer.Initializer;
import org.autoprop.layer.Layer;
import org.autoprop.layer.LayerNorm;
import org.autoprop.layer.MultiHeadAttention;
import org.autoprop.layer.MultiInputLayer;
import org.autoprop.layer.Parameter;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * Luma's transformer decoder layer with PyTorch's {@code nn.TransformerDecoderLayer} structure and
 * parameter names ({@code batch_first=True}): {@code self_attn.*}, {@code multihead_attn.*}
 * (cross-attention), {@code linear1.*}, {@code linear2.*}, {@code norm1.*}, {@code norm2.*},
 * {@code norm3.*}, so that a PyTorch state dict loads strictly. Inputs ({@link MultiInputLayer};
 * in a graph, in edge order): the target {@code tgt [N, T, D]}, then the encoder output
 * {@code memory [N, S, D]}; output {@code [N, T, D]}.
 *
 * <pre>
 * post-norm (default):  x = norm1(x + dropout1(self_attn(x)))            self_attn causal by default
 *                       x = norm2(x + dropout2(multihead_attn(x, memory)))
 *                       y = norm3(x + dropout3(ff(x)))
 * pre-norm (normFirst): x = x + dropout1(self_attn(norm1(x)))
 *                       x = x + dropout2(multihead_attn(norm2(x), memory))
 *                       y = x + dropout3(ff(norm3(x)))
 * ff = linear1 -> activation -> dropout -> linear2   (see {@link PositionwiseFeedForward})
 * </pre>
 *
 * <p>A composite class rather than a graph, since a {@code LayerGraph} has one input and the
 * decoder has two. The one-input case ({@link #forward(Tensor, boolean)}) uses the input as both
 * target and memory, and its gradient is the sum of both. The self-attention is causal by default
 * (PyTorch's {@code tgt_mask = generate_square_subsequent_mask(T)}); key padding masks are set on
 * {@link #selfAttention()} and {@link #crossAttention()}. Defaults as PyTorch: dim_feedforward
 * 2048, dropout 0.1, ReLU, post-norm, eps 1e-5.
 */
public final class Decoder implements MultiInputLayer {
  private final MultiHeadAttention selfAttn;
  private final MultiHeadAttention crossAttn;
  private final PositionwiseFeedForward ff;
  private final LayerNorm norm1;
  private final LayerNorm norm2;
  private final LayerNorm norm3;
  private final Dropout drop1;
  private final Dropout drop2;
  private final Dropout drop3;
  private final boolean normFirst;
  private final List<Parameter> params;
  private final ElementwiseKernels elementwise = KernelProvider.current().elementwise();

  private final Tensor[] pairArray = new Tensor[2];
  private final List<Tensor> pair = Arrays.asList(pairArray);
  private final Tensor[] gradArray2 = new Tensor[2];
  private final List<Tensor> grads2 = Arrays.asList(gradArray2);
  private final Tensor[] gradArray1 = new Tensor[1];
  private final List<Tensor> grads1 = Arrays.asList(gradArray1);
  private final Shape[] shapeArray = new Shape[1];
  private final List<Shape> oneShape = Arrays.asList(shapeArray);
  private Tensor r1;
  private Tensor r2;
  private Tensor r3;
  private Tensor gb1;
  private Tensor gb2;
  private Tensor gt;
  private int count;
  private boolean forwardDone;

  private Decoder(Builder b) {
    long s = b.seed != null ? b.seed : Initializer.nextDefaultSeed();
    selfAttn = MultiHeadAttention.builder(b.d, b.heads).causal(b.causal).seed(s).build();
    crossAttn = MultiHeadAttention.builder(b.d, b.heads).seed(s ^ 0xC4055L).build();
    ff = new PositionwiseFeedForward(b.d, b.dff, b.activation, b.dropout, s ^ 0xFFL);
    norm1 = LayerNorm.builder(b.d).eps(b.eps).build();
    norm2 = LayerNorm.builder(b.d).eps(b.eps).build();
    norm3 = LayerNorm.builder(b.d).eps(b.eps).build();
    drop1 = new Dropout(b.dropout, s ^ 0xD1L);
    drop2 = new Dropout(b.dropout, s ^ 0xD2L);
    drop3 = new Dropout(b.dropout, s ^ 0xD3L);
    normFirst = b.normFirst;
    List<Parameter> ps = new ArrayList<>();
    add(ps, "self_attn", selfAttn);
    add(ps, "multihead_attn", crossAttn);
    ps.addAll(ff.parameters());
    add(ps, "norm1", norm1);
    add(ps, "norm2", norm2);
    add(ps, "norm3", norm3);
    params = List.copyOf(ps);
  }

  private static void add(List<Parameter> out, String prefix, Layer l) {
    for (Parameter p : l.parameters()) {
      out.add(p.withPrefix(prefix));
    }
  }

  /** A builder for a layer of width {@code dModel} with {@code heads} heads. */
  public static Builder builder(int dModel, int heads) {
    return new Builder(dModel, heads);
  }

  /** The (causal) self-attention, {@code self_attn}. */
  public MultiHeadAttention selfAttention() {
    return selfAttn;
  }

  /** The cross-attention to the memory, {@code multihead_attn}. */
  public MultiHeadAttention crossAttention() {
    return crossAttn;
  }

  /** Whether the norms come first in each sublayer (pre-norm). */
  public boolean normFirst() {
    return normFirst;
  }

  @Override
  public int minInputs() {
    return 1;
  }

  @Override
  public int maxInputs() {
    return 2;
  }

  @Override
  public String typeName() {
    return "Decoder";
  }

  @Override
  public String toString() {
    return "Decoder(d=" + selfAttn.dModel() + ", heads=" + selfAttn.heads() + (normFirst ? ", pre-norm" : "") + ")";
  }

  @Override
  public List<Parameter> parameters() {
    return params;
  }

  @Override
  public Shape outputShape(Shape x) {
    Objects.requireNonNull(x, "input");
    shapeArray[0] = x;
    return outputShape(oneShape);
  }

  @Override
  public Shape outputShape(List<Shape> in) {
    Objects.requireNonNull(in, "inputs");
    if (in.isEmpty() || in.size() > 2) {
      throw new IllegalArgumentException(this + ": " + in.size() + " inputs (expected: " + expectedInputs()
          + ": target, then memory)");
    }
    Shape tgt = in.get(0);
    Shape out = selfAttn.outputShape(tgt);
    crossAttn.outputShape(in.size() == 1 ? List.of(tgt, tgt) : in);
    return out;
  }

  @Override
  public long flops(Shape x) {
    return flops(List.of(x));
  }

  @Override
  public long flops(List<Shape> in) {
    Shape tgt = outputShape(in);
    Shape mem = in.size() == 2 ? in.get(1) : tgt;
    return selfAttn.flops(tgt) + crossAttn.flops(List.of(tgt, mem)) + ff.flops(tgt) + 3 * norm1.flops(tgt)
        + 3L * tgt.size();
  }

  @Override
  public Tensor forward(Tensor x, boolean training) {
    Objects.requireNonNull(x, "x");
    return run(x, x, 1, training);
  }

  @Override
  public Tensor forward(List<Tensor> in, boolean training) {
    Objects.requireNonNull(in, "inputs");
    if (in.isEmpty() || in.size() > 2) {
      throw new IllegalArgumentException(this + ": " + in.size() + " inputs (expected: " + expectedInputs()
          + ": target, then memory)");
    }
    Tensor tgt = Objects.requireNonNull(in.get(0), "target");
    Tensor mem = in.size() == 2 ? Objects.requireNonNull(in.get(1), "memory") : tgt;
    return run(tgt, mem, in.size(), training);
  }

  private Tensor run(Tensor tgt, Tensor mem, int inputs, boolean training) {
    forwardDone = false;
    Shape s = tgt.shape();
    if (s.rank() != 3) {
      outputShape(s); // the attention's message
    }
    r1 = Tensor.reuse(r1, s);
    r2 = Tensor.reuse(r2, s);
    r3 = Tensor.reuse(r3, s);
    Tensor out;
    if (normFirst) {
      add(tgt, drop1.forward(selfAttn.forward(norm1.forward(tgt, training), training), training), r1);
      add(r1, drop2.forward(cross(norm2.forward(r1, training), mem, training), training), r2);
      add(r2, drop3.forward(ff.forward(norm3.forward(r2, training), training), training), r3);
      out = r3;
    } else {
      add(tgt, drop1.forward(selfAttn.forward(tgt, training), training), r1);
      Tensor x1 = norm1.forward(r1, training);
      add(x1, drop2.forward(cross(x1, mem, training), training), r2);
      Tensor x2 = norm2.forward(r2, training);
      add(x2, drop3.forward(ff.forward(x2, training), training), r3);
      out = norm3.forward(r3, training);
    }
    count = inputs;
    forwardDone = true;
    return out;
  }

  private Tensor cross(Tensor q, Tensor mem, boolean training) {
    pairArray[0] = q;
    pairArray[1] = mem;
    try {
      return crossAttn.forward(pair, training);
    } finally {
      pairArray[0] = null;
      pairArray[1] = null;
    }
  }

  /** out := a + b (same shapes; out is this layer's contiguous buffer). */
  private void add(Tensor a, Tensor b, Tensor out) {
    Tensor ac = a.contiguous();
    Tensor bc = b.contiguous();
    elementwise.add(ac.data(), ac.offset(), bc.data(), bc.offset(), out.data(), out.offset(), out.size());
  }

  @Override
  public Tensor backward(Tensor gradOut) {
    List<Tensor> g = backwardInputs(gradOut);
    if (count == 1) {
      return g.get(0);
    }
    throw new IllegalStateException(this + ": backward(Tensor) after a forward of 2 inputs (expected: 1; use backwardInputs)");
  }

  @Override
  public List<Tensor> backwardInputs(Tensor g) {
    Objects.requireNonNull(g, "gradOut");
    if (!forwardDone) {
      throw new IllegalStateException(this + ": backward called before forward");
    }
    if (!g.shape().equals(r3.shape())) {
      throw new IllegalArgumentException(this + ": gradient " + g.shape() + " (expected: " + r3.shape()
          + ", the shape of the latest output)");
    }
    Shape s = r3.shape();
    gb1 = Tensor.reuse(gb1, s);
    gb2 = Tensor.reuse(gb2, s);
    gt = Tensor.reuse(gt, s);
    List<Tensor> gc;
    if (normFirst) {
      add(g, norm3.backward(ff.backward(drop3.backward(g))), gb2);
      gc = crossAttn.backwardInputs(drop2.backward(gb2));
      add(gb2, norm2.backward(gc.get(0)), gb1);
      add(gb1, norm1.backward(selfAttn.backward(drop1.backward(gb1))), gt);
    } else {
      Tensor gs3 = norm3.backward(g);
      add(gs3, ff.backward(drop3.backward(gs3)), gb2);
      Tensor gs2 = norm2.backward(gb2);
      gc = crossAttn.backwardInputs(drop2.backward(gs2));
      add(gs2, gc.get(0), gb1);
      Tensor gs1 = norm1.backward(gb1);
      add(gs1, selfAttn.backward(drop1.backward(gs1)), gt);
    }
    if (count == 1) {
      add(gt, gc.get(1), gt);
      gradArray1[0] = gt;
      return grads1;
    }
    gradArray2[0] = gt;
    gradArray2[1] = gc.get(1);
    return grads2;
  }

  /** Configures a {@link Decoder}; every setter returns this builder. */
  public static final class Builder {
    private final int d;
    private final int heads;
    private int dff = 2048;
    private double dropout = 0.1;
    private PositionwiseFeedForward.Activation activation = PositionwiseFeedForward.Activation.RELU;
    private boolean normFirst;
    private double eps = LayerNorm.DEFAULT_EPS;
    private boolean causal = true;
    private Long seed;

    private Builder(int d, int heads) {
      this.d = d;
      this.heads = heads;
    }

    /** The feed-forward width (default 2048). */
    public Builder dimFeedforward(int f) {
      if (f < 1) {
        throw new IllegalArgumentException("Decoder: dim_feedforward " + f + " (expected: >= 1)");
      }
      this.dff = f;
      return this;
    }

    /** The dropout probability of every dropout of the layer (default 0.1). */
    public Builder dropout(double p) {
      if (!(p >= 0 && p < 1)) {
        throw new IllegalArgumentException("Decoder: dropout " + p + " (expected: 0 <= p < 1)");
      }
      this.dropout = p;
      return this;
    }

    /** The feed-forward activation (default ReLU). */
    public Builder activation(PositionwiseFeedForward.Activation a) {
      this.activation = Objects.requireNonNull(a, "activation");
      return this;
    }

    /** Pre-norm ({@code norm_first}) when true (default false: post-norm). */
    public Builder normFirst(boolean on) {
      this.normFirst = on;
      return this;
    }

    /** The LayerNorm epsilon (default 1e-5). */
    public Builder layerNormEps(double e) {
      this.eps = e;
      return this;
    }

    /** Whether the self-attention is causal (default true). */
    public Builder causal(boolean c) {
      this.causal = c;
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
     * @throws IllegalArgumentException when heads does not divide dModel
     */
    public Decoder build() {
      return new Decoder(this);
    }
  }
}

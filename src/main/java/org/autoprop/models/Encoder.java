package org.autoprop.models;

import java.util.Objects;
import org.autoprop.graph.LayerGraph;
import org.autoprop.graph.LayerNode;
import org.autoprop.layer.Identity;
import org.autoprop.layer.Initializer;
import org.autoprop.layer.LayerNorm;
import org.autoprop.layer.MultiHeadAttention;
import org.autoprop.tensor.Tensor;

/**
 * Luma's transformer encoder layer with PyTorch's {@code nn.TransformerEncoderLayer} structure and
 * parameter names ({@code batch_first=True}), so that a PyTorch state dict loads strictly:
 * {@code self_attn.in_proj_weight}, {@code self_attn.in_proj_bias}, {@code self_attn.out_proj.weight},
 * {@code self_attn.out_proj.bias}, {@code linear1.*}, {@code linear2.*}, {@code norm1.*},
 * {@code norm2.*}. On {@code [N, T, D]}:
 *
 * <pre>
 * post-norm (default):  x = norm1(x + dropout1(self_attn(x)));  y = norm2(x + dropout2(ff(x)))
 * pre-norm (normFirst): x = x + dropout1(self_attn(norm1(x)));  y = x + dropout2(ff(norm2(x)))
 * ff = linear1 -> activation -> dropout -> linear2   (see {@link PositionwiseFeedForward})
 * </pre>
 *
 * <p>A {@link GraphBlock}: the graph's nodes are {@code input} (Identity), {@code self_attn},
 * {@code dropout1}, {@code norm1}, {@code linear1}, {@code activation}, {@code dropout},
 * {@code linear2}, {@code dropout2}, {@code norm2}, and in pre-norm the residual sums {@code add1},
 * {@code add2} (Identity nodes merging with SUM); in post-norm the norms merge their residual sums
 * themselves. {@link #summary} prints it. Defaults as PyTorch: dim_feedforward 2048, dropout 0.1,
 * ReLU, post-norm, eps 1e-5, biases.
 */
public final class Encoder extends GraphBlock {
  private final MultiHeadAttention selfAttn;
  private final boolean normFirst;

  private Encoder(Builder b, MultiHeadAttention selfAttn, LayerGraph g) {
    super(g);
    this.selfAttn = selfAttn;
    this.normFirst = b.normFirst;
  }

  /** A builder for a layer of width {@code dModel} with {@code heads} heads. */
  public static Builder builder(int dModel, int heads) {
    return new Builder(dModel, heads);
  }

  /** The self-attention (to set a key padding mask, see {@link #keyPaddingMask}). */
  public MultiHeadAttention selfAttention() {
    return selfAttn;
  }

  /**
   * PyTorch's {@code src_key_padding_mask}: {@code [N, T]}, nonzero where the position is padding,
   * for the following forwards, or null; see {@link MultiHeadAttention#keyPaddingMask}.
   *
   * @param mask the mask, or null
   * @return this layer
   */
  public Encoder keyPaddingMask(Tensor mask) {
    selfAttn.keyPaddingMask(mask);
    return this;
  }

  /** Whether the norms come first in each sublayer (pre-norm). */
  public boolean normFirst() {
    return normFirst;
  }

  @Override
  public String typeName() {
    return "Encoder";
  }

  /** Configures an {@link Encoder}; every setter returns this builder. */
  public static final class Builder {
    private final int d;
    private final int heads;
    private int dff = 2048;
    private double dropout = 0.1;
    private PositionwiseFeedForward.Activation activation = PositionwiseFeedForward.Activation.RELU;
    private boolean normFirst;
    private double eps = LayerNorm.DEFAULT_EPS;
    private boolean causal;
    private Long seed;

    private Builder(int d, int heads) {
      this.d = d;
      this.heads = heads;
    }

    /** The feed-forward width (default 2048). */
    public Builder dimFeedforward(int f) {
      if (f < 1) {
        throw new IllegalArgumentException("Encoder: dim_feedforward " + f + " (expected: >= 1)");
      }
      this.dff = f;
      return this;
    }

    /** The dropout probability of every dropout of the layer (default 0.1; the attention weights get none). */
    public Builder dropout(double p) {
      if (!(p >= 0 && p < 1)) {
        throw new IllegalArgumentException("Encoder: dropout " + p + " (expected: 0 <= p < 1)");
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

    /** A causal self-attention mask (for a decoder-only language model; default false). */
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
    public Encoder build() {
      long s = seed != null ? seed : Initializer.nextDefaultSeed();
      MultiHeadAttention attn = MultiHeadAttention.builder(d, heads).causal(causal).seed(s).build();
      LayerNode input = new LayerNode(new Identity(), "input");
      LayerNode selfAttn = new LayerNode(attn, "self_attn");
      LayerNode drop1 = new LayerNode(PositionwiseFeedForward.dropout(dropout, s ^ 0xD1L), "dropout1");
      LayerNode drop2 = new LayerNode(PositionwiseFeedForward.dropout(dropout, s ^ 0xD2L), "dropout2");
      LayerNode norm1 = new LayerNode(LayerNorm.builder(d).eps(eps).build(), "norm1");
      LayerNode norm2 = new LayerNode(LayerNorm.builder(d).eps(eps).build(), "norm2");
      LayerNode[] ff = PositionwiseFeedForward.chain(d, dff, activation, dropout, s ^ 0xFFL);
      LayerGraph.Builder g = LayerGraph.builder().root(input);
      if (normFirst) {
        LayerNode add1 = new LayerNode(new Identity(), "add1");
        LayerNode add2 = new LayerNode(new Identity(), "add2");
        g.edges(input, norm1, selfAttn, drop1, add1).edge(input, add1)
            .edges(add1, norm2, ff[0], ff[1], ff[2], ff[3], drop2, add2).edge(add1, add2).term(add2);
      } else {
        g.edges(input, selfAttn, drop1, norm1).edge(input, norm1)
            .edges(norm1, ff[0], ff[1], ff[2], ff[3], drop2, norm2).edge(norm1, norm2).term(norm2);
      }
      return new Encoder(this, attn, g.name("Encoder").build());
    }
  }
}

package org.autoprop.models;

import java.util.List;
import java.util.Objects;
import java.util.function.IntFunction;
import org.autoprop.graph.LayerGraph;
import org.autoprop.graph.LayerNode;
import org.autoprop.layer.LayerNorm;
import org.autoprop.tensor.Tensor;

/**
 * Encoder layers in sequence, with an optional final norm: PyTorch's {@code nn.TransformerEncoder}
 * ({@code layers.0.self_attn.in_proj_weight}, ..., {@code norm.weight}, {@code norm.bias}), so that
 * its state dict loads strictly. A {@link GraphBlock} whose nodes are {@code layers.0} ...
 * {@code layers.K-1} (each an {@link Encoder}) and {@code norm}.
 */
public final class EncoderStack extends GraphBlock {
  private final List<Encoder> layers;

  /**
   * The layers in order, then {@code norm} when not null.
   *
   * @param layers the encoder layers, at least one
   * @param norm the final norm, or null
   */
  public EncoderStack(List<Encoder> layers, LayerNorm norm) {
    super(build(layers, norm));
    this.layers = List.copyOf(layers);
  }

  /**
   * {@code count} layers made by {@code layer} (given the index), then {@code norm} when not null.
   *
   * @param count the number of layers, at least 1
   * @param layer makes layer i
   * @param norm the final norm, or null
   * @return the stack
   */
  public static EncoderStack of(int count, IntFunction<Encoder> layer, LayerNorm norm) {
    if (count < 1) {
      throw new IllegalArgumentException("EncoderStack: " + count + " layers (expected: >= 1)");
    }
    Encoder[] ls = new Encoder[count];
    for (int i = 0; i < count; i++) {
      ls[i] = Objects.requireNonNull(layer.apply(i), "layer " + i);
    }
    return new EncoderStack(List.of(ls), norm);
  }

  private static LayerGraph build(List<Encoder> layers, LayerNorm norm) {
    Objects.requireNonNull(layers, "layers");
    if (layers.isEmpty()) {
      throw new IllegalArgumentException("EncoderStack: no layers (expected: at least 1)");
    }
    LayerNode[] chain = new LayerNode[layers.size() + (norm == null ? 0 : 1)];
    for (int i = 0; i < layers.size(); i++) {
      chain[i] = new LayerNode(Objects.requireNonNull(layers.get(i), "layers[" + i + "]"), "layers." + i);
    }
    if (norm != null) {
      chain[chain.length - 1] = new LayerNode(norm, "norm");
    }
    return LayerGraph.builder().edges(chain).root(chain[0]).term(chain[chain.length - 1]).name("EncoderStack").build();
  }

  /** The encoder layers in order. */
  public List<Encoder> layers() {
    return layers;
  }

  /**
   * Sets PyTorch's {@code src_key_padding_mask} ({@code [N, T]}, nonzero = padding) on every layer,
   * for the following forwards; null clears it.
   *
   * @param mask the mask, or null
   * @return this stack
   */
  public EncoderStack keyPaddingMask(Tensor mask) {
    for (Encoder e : layers) {
      e.keyPaddingMask(mask);
    }
    return this;
  }

  @Override
  public String typeName() {
    return "EncoderStack";
  }
}

package org.autoprop.models;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.IntFunction;
import org.autoprop.kernel.ElementwiseKernels;
import org.autoprop.kernel.KernelProvider;
import org.autoprop.layer.LayerNorm;
import org.autoprop.layer.MultiInputLayer;
import org.autoprop.layer.Parameter;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * Decoder layers in sequence, each attending to the same memory, with an optional final norm:
 * PyTorch's {@code nn.TransformerDecoder} ({@code layers.0.self_attn.in_proj_weight}, ...,
 * {@code layers.0.multihead_attn.*}, ..., {@code norm.weight}, {@code norm.bias}). Inputs, as
 * {@link Decoder}'s: the target {@code [N, T, D]}, then the memory {@code [N, S, D]} (one input:
 * both). The memory's gradient is the sum over the layers.
 *
 * <pre>
 * x = tgt;  x = layers.i(x, memory) for i = 0 .. K-1;  y = norm(x) (when given)
 * </pre>
 */
public final class DecoderStack implements MultiInputLayer {
  private final List<Decoder> layers;
  private final LayerNorm norm;
  private final List<Parameter> params;
  private final ElementwiseKernels elementwise = KernelProvider.current().elementwise();
  private final Tensor[] pairArray = new Tensor[2];
  private final List<Tensor> pair = Arrays.asList(pairArray);
  private final Tensor[] gradArray2 = new Tensor[2];
  private final List<Tensor> grads2 = Arrays.asList(gradArray2);
  private final Tensor[] gradArray1 = new Tensor[1];
  private final List<Tensor> grads1 = Arrays.asList(gradArray1);
  private Tensor gMem;
  private Tensor gOne;
  private Shape outShape;
  private int count;

  /**
   * The layers in order, then {@code norm} when not null.
   *
   * @param layers the decoder layers, at least one
   * @param norm the final norm, or null
   */
  public DecoderStack(List<Decoder> layers, LayerNorm norm) {
    Objects.requireNonNull(layers, "layers");
    if (layers.isEmpty()) {
      throw new IllegalArgumentException("DecoderStack: no layers (expected: at least 1)");
    }
    this.layers = List.copyOf(layers);
    this.norm = norm;
    List<Parameter> ps = new ArrayList<>();
    for (int i = 0; i < layers.size(); i++) {
      for (Parameter p : layers.get(i).parameters()) {
        ps.add(p.withPrefix("layers." + i));
      }
    }
    if (norm != null) {
      for (Parameter p : norm.parameters()) {
        ps.add(p.withPrefix("norm"));
      }
    }
    params = List.copyOf(ps);
  }

  /**
   * {@code count} layers made by {@code layer} (given the index), then {@code norm} when not null.
   *
   * @param count the number of layers, at least 1
   * @param layer makes layer i
   * @param norm the final norm, or null
   * @return the stack
   */
  public static DecoderStack of(int count, IntFunction<Decoder> layer, LayerNorm norm) {
    if (count < 1) {
      throw new IllegalArgumentException("DecoderStack: " + count + " layers (expected: >= 1)");
    }
    Decoder[] ls = new Decoder[count];
    for (int i = 0; i < count; i++) {
      ls[i] = Objects.requireNonNull(layer.apply(i), "layer " + i);
    }
    return new DecoderStack(List.of(ls), norm);
  }

  /** The decoder layers in order. */
  public List<Decoder> layers() {
    return layers;
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
    return "DecoderStack";
  }

  @Override
  public String toString() {
    return "DecoderStack(" + layers.size() + " layers" + (norm != null ? ", norm" : "") + ")";
  }

  @Override
  public List<Parameter> parameters() {
    return params;
  }

  @Override
  public Shape outputShape(Shape x) {
    return outputShape(List.of(x));
  }

  @Override
  public Shape outputShape(List<Shape> in) {
    Shape out = layers.get(0).outputShape(in);
    return norm == null ? out : norm.outputShape(out);
  }

  @Override
  public long flops(Shape x) {
    return flops(List.of(x));
  }

  @Override
  public long flops(List<Shape> in) {
    Shape tgt = outputShape(in);
    long f = 0;
    for (Decoder d : layers) {
      f += d.flops(in.size() == 2 ? List.of(tgt, in.get(1)) : List.of(tgt, tgt));
    }
    return f + (norm == null ? 0 : norm.flops(tgt));
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
    return run(tgt, in.size() == 2 ? Objects.requireNonNull(in.get(1), "memory") : tgt, in.size(), training);
  }

  private Tensor run(Tensor tgt, Tensor mem, int inputs, boolean training) {
    outShape = null;
    Tensor x = tgt;
    try {
      for (int i = 0, k = layers.size(); i < k; i++) { // indexed: an iterator may allocate
        pairArray[0] = x;
        pairArray[1] = mem;
        x = layers.get(i).forward(pair, training);
      }
    } finally {
      pairArray[0] = null;
      pairArray[1] = null;
    }
    if (norm != null) {
      x = norm.forward(x, training);
    }
    count = inputs;
    outShape = x.shape();
    return x;
  }

  @Override
  public Tensor backward(Tensor gradOut) {
    List<Tensor> g = backwardInputs(gradOut);
    if (count != 1) {
      throw new IllegalStateException(this + ": backward(Tensor) after a forward of 2 inputs (expected: 1; use backwardInputs)");
    }
    return g.get(0);
  }

  @Override
  public List<Tensor> backwardInputs(Tensor gradOut) {
    Objects.requireNonNull(gradOut, "gradOut");
    if (outShape == null) {
      throw new IllegalStateException(this + ": backward called before forward");
    }
    if (!gradOut.shape().equals(outShape)) {
      throw new IllegalArgumentException(this + ": gradient " + gradOut.shape() + " (expected: " + outShape
          + ", the shape of the latest output)");
    }
    Tensor g = norm == null ? gradOut : norm.backward(gradOut);
    boolean first = true;
    for (int i = layers.size() - 1; i >= 0; i--) {
      List<Tensor> parts = layers.get(i).backwardInputs(g);
      Tensor gm = parts.get(1).contiguous();
      if (first) {
        gMem = Tensor.reuse(gMem, gm.shape()).copyFrom(gm);
        first = false;
      } else {
        elementwise.add(gMem.data(), 0, gm.data(), gm.offset(), gMem.data(), 0, gMem.size());
      }
      g = parts.get(0);
    }
    if (count == 1) {
      gOne = Tensor.reuse(gOne, g.shape()).copyFrom(g);
      elementwise.add(gOne.data(), 0, gMem.data(), 0, gOne.data(), 0, gOne.size());
      gradArray1[0] = gOne;
      return grads1;
    }
    gradArray2[0] = g;
    gradArray2[1] = gMem;
    return grads2;
  }
}

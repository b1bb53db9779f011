package org.autoprop.blocks;

import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import org.autoprop.layer.Dense;
import org.autoprop.layer.Flatten;
import org.autoprop.layer.Initializer;
import org.autoprop.layer.Layer;
import org.autoprop.layer.ReLU;
import org.autoprop.layer.Sigmoid;
import org.autoprop.models.GraphBlock;
import org.autoprop.tensor.Shape;
import org.autoprop.tensor.Tensor;

/**
 * Luma's squeeze-and-excitation block {@code SEBlock1D/2D/3D}: the channel gate of Hu et al.,
 *
 * <pre>
 * global average pool -> flatten -> Dense (C -> C / r) -> ReLU -> Dense (C / r -> C) -> sigmoid
 * </pre>
 *
 * <p>The gate {@code [N, C]} is the output. With {@link Builder#keepShape keepShape} (Luma's
 * default) it is repeated over the input's spatial axes, so the output has the input's shape and
 * multiplies the input element by element in a {@code HADAMARD} merge (the block computes the
 * gate, not the product, as in Luma). Then the gradient of the gate is the <em>sum</em> of the
 * upstream gradient over the spatial axes (Luma takes the first element's, which is the gradient
 * only when the spatial extent is 1).
 *
 * <p>Made by {@link SEBlock1D#builder}, {@link SEBlock2D#builder} or {@link SEBlock3D#builder}.
 * Nodes are named as Luma's {@code Sequential} children: {@code 2.weight [C/r, C]},
 * {@code 2.bias}, {@code 4.weight [C, C/r]}, {@code 4.bias}.
 */
public final class SEBlock extends GraphBlock {
  private final String typeName;
  private final int channels;
  private final boolean keepShape;
  private final Rank rank;
  private Tensor output;
  private Tensor gateGradient;
  /** The latest input shape that {@link #outputShape} accepted, and its output shape. */
  private Shape checkedInput;
  private Shape checkedOutput;
  private Shape gateShape;
  /** The latest output's shape, null before a forward or after one that threw. */
  private Shape outputShape;

  private SEBlock(Builder b) {
    super(Chain.indexed(b.layers()));
    this.typeName = "SEBlock" + b.rank.suffix();
    this.channels = b.channels;
    this.keepShape = b.keepShape;
    this.rank = b.rank;
  }

  @Override
  public String typeName() {
    return typeName;
  }

  /** Whether the gate is repeated over the input's spatial axes. */
  public boolean keepsShape() {
    return keepShape;
  }

  @Override
  public Shape outputShape(Shape input) {
    if (input.rank() != rank.tensorRank() || input.dim(1) != channels) {
      throw new IllegalArgumentException(this + ": input " + input + " (expected: rank " + rank.tensorRank()
          + ", [N, " + channels + ", ...])");
    }
    Shape gate = super.outputShape(input);
    return keepShape ? input : gate;
  }

  @Override
  public Tensor forward(Tensor x, boolean training) {
    Objects.requireNonNull(x, "x");
    if (!x.shape().equals(checkedInput)) {
      checkedOutput = outputShape(x.shape());
      checkedInput = x.shape();
      gateShape = Shape.of(x.shape().dim(0), channels);
    }
    Shape shape = checkedOutput;
    outputShape = null;
    Tensor gate = super.forward(x, training);
    if (!keepShape) {
      outputShape = shape;
      return gate;
    }
    output = Tensor.reuse(output, shape);
    repeat(gate.contiguous(), output, shape.size() / gate.size());
    outputShape = shape;
    return output;
  }

  @Override
  public Tensor backward(Tensor gradOut, boolean inputGradient) {
    Objects.requireNonNull(gradOut, "gradOut");
    if (outputShape == null) {
      throw new IllegalStateException(this + ": backward called before forward");
    }
    if (!gradOut.shape().equals(outputShape)) {
      throw new IllegalArgumentException(this + ": gradient " + gradOut.shape() + " (expected: " + outputShape
          + ", the shape of the latest output)");
    }
    if (!keepShape) {
      return super.backward(gradOut, inputGradient);
    }
    gateGradient = Tensor.reuse(gateGradient, gateShape);
    sumOverSpatial(gradOut.contiguous(), gateGradient, outputShape.size() / gateShape.size());
    return super.backward(gateGradient, inputGradient);
  }

  /** {@code out[i * spatial + s] = gate[i]}: each gate value over its channel's positions. */
  private static void repeat(Tensor gate, Tensor out, int spatial) {
    float[] g = gate.data();
    float[] o = out.data();
    int go = gate.offset();
    for (int i = 0, count = gate.size(); i < count; i++) {
      java.util.Arrays.fill(o, i * spatial, (i + 1) * spatial, g[go + i]);
    }
  }

  /** {@code out[i] = sum over s of gy[i * spatial + s]}: the gradient of a repeated value. */
  private static void sumOverSpatial(Tensor gy, Tensor out, int spatial) {
    float[] g = gy.data();
    float[] o = out.data();
    int off = gy.offset();
    for (int i = 0, count = out.size(); i < count; i++) {
      float s = 0;
      for (int j = off + i * spatial, end = j + spatial; j < end; j++) {
        s += g[j];
      }
      o[i] = s;
    }
  }

  /** Options of an {@link SEBlock}, Luma's defaults until set. */
  public static final class Builder {
    private final Rank rank;
    private final int channels;
    private int reduction = 4;
    private Supplier<? extends Layer> activation = Sigmoid::new;
    private boolean keepShape = true;
    private Initializer initializer = Initializer.HE_UNIFORM;
    private Long seed;

    Builder(Rank rank, int channels) {
      if (channels < 1) {
        throw new IllegalArgumentException("SEBlock" + rank.suffix() + ": channels " + channels + " (expected: >= 1)");
      }
      this.rank = rank;
      this.channels = channels;
    }

    /** The squeeze ratio {@code r}: the hidden width is {@code C / r} (default 4), {@code 1 <= r <= C}. */
    public Builder reduction(int r) {
      if (r < 1 || r > channels) {
        throw new IllegalArgumentException("SEBlock" + rank.suffix() + ": reduction " + r + " (expected: 1 <= reduction <= "
            + channels + ", the channels, so that the hidden width channels / reduction is at least 1)");
      }
      this.reduction = r;
      return this;
    }

    /** Makes the gate's activation (default {@code Sigmoid::new}). */
    public Builder activation(Supplier<? extends Layer> make) {
      this.activation = Objects.requireNonNull(make, "activation");
      return this;
    }

    /** Whether the gate is repeated to the input's shape (default true) or left as {@code [N, C]}. */
    public Builder keepShape(boolean on) {
      this.keepShape = on;
      return this;
    }

    /** The Dense layers' weight initializer (default He uniform; biases start at zero). */
    public Builder initializer(Initializer init) {
      this.initializer = Objects.requireNonNull(init, "initializer");
      return this;
    }

    /** The seed of the initialization (default: the next of the global default sequence). */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    List<Layer> layers() {
      int hidden = channels / reduction;
      if (hidden < 1) {
        throw new IllegalArgumentException("SEBlock" + rank.suffix() + ": channels " + channels + " / reduction "
            + reduction + " = 0 hidden units (expected: reduction <= channels)");
      }
      return List.of(rank.globalAvgPool(), new Flatten(), dense(channels, hidden, 0), new ReLU(),
          dense(hidden, channels, 1), Objects.requireNonNull(activation.get(), "the activation supplier returned null"));
    }

    private Dense dense(int in, int out, int i) {
      Dense.Builder b = Dense.builder(in, out).initializer(initializer);
      Long s = Rank.derive(seed, i);
      return (s == null ? b : b.seed(s)).build();
    }

    /** The block. */
    public SEBlock build() {
      return new SEBlock(this);
    }
  }
}

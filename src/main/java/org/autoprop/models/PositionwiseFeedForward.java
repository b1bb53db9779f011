package org.autoprop.models;

import org.autoprop.graph.LayerGraph;
import org.autoprop.graph.LayerNode;
import org.autoprop.layer.Dense;
import org.autoprop.layer.Dropout;
import org.autoprop.layer.GELU;
import org.autoprop.layer.Identity;
import org.autoprop.layer.Initializer;
import org.autoprop.layer.Layer;
import org.autoprop.layer.ReLU;

/**
 * Luma's position-wise feed-forward block, as in a transformer layer: on {@code [..., D]},
 *
 * <pre>
 * linear1 (Dense D -> F) -> activation (ReLU, GELU erf or GELU tanh) -> dropout -> linear2 (Dense F -> D)
 * </pre>
 *
 * <p>A {@link GraphBlock} of four nodes named as PyTorch's {@code nn.TransformerEncoderLayer}
 * children ({@code linear1.weight [F, D]}, {@code linear1.bias}, {@code linear2.weight [D, F]},
 * {@code linear2.bias}); the Dense layers initialize as {@code nn.Linear}
 * ({@code U(-1/sqrt(in), 1/sqrt(in))} for weight and bias).
 */
public final class PositionwiseFeedForward extends GraphBlock {
  /** The activation between the two linear layers. */
  public enum Activation {
    /** ReLU (PyTorch's default). */
    RELU,
    /** GELU with erf ({@code activation="gelu"}). */
    GELU,
    /** GELU, tanh approximation. */
    GELU_TANH;

    Layer layer() {
      return switch (this) {
        case RELU -> new ReLU();
        case GELU -> new GELU();
        case GELU_TANH -> new GELU(true);
      };
    }
  }

  /**
   * {@code d -> dff -> d} with the given activation and dropout.
   *
   * @param d the model width
   * @param dff the hidden width
   * @param activation the activation
   * @param dropout the dropout probability after the activation (0 for none)
   * @param seed the initialization and dropout seed
   */
  public PositionwiseFeedForward(int d, int dff, Activation activation, double dropout, long seed) {
    super(LayerGraph.chain(chain(d, dff, activation, dropout, seed)));
  }

  /** The four nodes linear1, activation, dropout, linear2 (for the blocks that inline them). */
  static LayerNode[] chain(int d, int dff, Activation activation, double dropout, long seed) {
    return new LayerNode[] {
        new LayerNode(linear(d, dff, seed), "linear1"),
        new LayerNode(activation.layer(), "activation"),
        new LayerNode(dropout(dropout, seed ^ 0x5EED0001L), "dropout"),
        new LayerNode(linear(dff, d, seed ^ 0x5EED0002L), "linear2")};
  }

  /**
   * A dropout of probability {@code p}, or a free view when {@code p == 0} (PyTorch's dropout also
   * returns its input then): the blocks of this package keep their dropout nodes, under PyTorch's
   * names, without a copy and a random draw per element when there is nothing to drop.
   */
  static Layer dropout(double p, long seed) {
    return p == 0 ? new Identity() : new Dropout(p, seed);
  }

  /** A Dense initialized as {@code nn.Linear}: weight and bias {@code U(-1/sqrt(in), 1/sqrt(in))}. */
  static Dense linear(int in, int out, long seed) {
    return Dense.builder(in, out).seed(seed)
        .initializer(Initializer.PYTORCH_DEFAULT).biasInitializer(Initializer.PYTORCH_DEFAULT).build();
  }

  @Override
  public String typeName() {
    return "PositionwiseFeedForward";
  }
}

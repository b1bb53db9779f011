package org.autoprop.layer;

import java.util.Objects;
import org.autoprop.tensor.NonFiniteException;
import org.autoprop.tensor.Tensor;

/**
 * The checks a container layer ({@link Sequential}, {@code LayerGraph}) runs on its children when
 * {@link Layer#detectAnomalies} is on: every tensor finite, and no tensor a child's backward will
 * use changed since the forward. They read every element, so they run only in that debugging mode.
 */
public final class AnomalyChecks {
  private AnomalyChecks() {}

  /**
   * Throws a {@link NonFiniteException} naming the node, its layer type, the tensor and the first
   * non-finite element, if {@code t} holds a NaN or an infinity.
   *
   * @param t the tensor
   * @param node the node (or child) name
   * @param layerKind the node's layer type
   * @param what which tensor of the node ({@code output}, {@code input gradient}, ...)
   */
  public static void requireFinite(Tensor t, String node, String layerKind, String what) {
    NonFiniteException e = NonFiniteException.firstIn(t, node, layerKind, what);
    if (e != null) {
      throw e;
    }
  }

  /**
   * Checks the gradient of every parameter of {@code layer}: the first non-finite one is reported
   * as {@code gradient of parameter 'NAME'} of the node.
   *
   * @param layer the node's layer
   * @param node the node name
   */
  public static void requireFiniteGradients(Layer layer, String node) {
    Objects.requireNonNull(layer, "layer");
    for (Parameter p : layer.parameters()) {
      requireFinite(p.grad(), node, layer.typeName(), "gradient of parameter '" + p.name() + "'");
    }
  }

  /**
   * A 64-bit checksum of the elements of {@code t} in row-major order (their bit patterns, so a
   * NaN's payload and the sign of zero count): equal tensors give equal sums, and a change of any
   * element changes the sum but with negligible probability.
   *
   * @param t the tensor
   * @return the checksum
   */
  public static long checksum(Tensor t) {
    Objects.requireNonNull(t, "t");
    long h = 0xCBF29CE484222325L ^ t.size();
    if (t.isContiguous()) {
      float[] d = t.data();
      for (int i = t.offset(), end = t.offset() + t.size(); i < end; i++) {
        h = (h ^ Float.floatToRawIntBits(d[i])) * 0x100000001B3L;
      }
    } else {
      for (int i = 0, n = t.size(); i < n; i++) {
        h = (h ^ Float.floatToRawIntBits(t.getFlat(i))) * 0x100000001B3L;
      }
    }
    // A final mix so nearby sums do not share their high bits.
    h ^= h >>> 33;
    h *= 0xFF51AFD7ED558CCDL;
    return h ^ (h >>> 33);
  }

  /**
   * Throws an {@link IllegalStateException} naming the container, the node and the tensor if the
   * checksum of {@code t} is no longer {@code atForward}: the tensor was written between a forward
   * and its backward, so the backward would compute wrong gradients.
   *
   * @param container the container's description, for the message
   * @param t the tensor as it is now
   * @param atForward its {@link #checksum} taken at forward
   * @param node the node (or child) name
   * @param layerKind the node's layer type
   * @param what which tensor of the node ({@code input}, {@code output})
   */
  public static void requireUnchanged(String container, Tensor t, long atForward, String node, String layerKind,
      String what) {
    long now = checksum(t);
    if (now != atForward) {
      throw new IllegalStateException(container + ": the " + what + " " + t.shape() + " of node '" + node + "' ("
          + layerKind + ") changed between forward and backward (checksum " + Long.toHexString(atForward)
          + " at forward, " + Long.toHexString(now) + " at backward); the backward would compute wrong gradients. "
          + "A tensor given to or returned by forward must not be written until its backward has run: copy it");
    }
  }
}

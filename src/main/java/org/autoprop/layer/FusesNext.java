package org.autoprop.layer;

/**
 * A layer that can take the layer after it into its own pass: {@code BatchNorm2D} applies a
 * following ReLU while it writes its output ({@link BatchNormReLU2D}). The {@link Fusion} pass of
 * {@link Sequential} and {@code LayerGraph} asks the first layer of every link of a chain, so a
 * new fusion is one implementation of {@link #fuseWith} (in the layer that absorbs) and nothing in
 * the containers.
 */
public interface FusesNext extends Layer {
  /**
   * The layer computing {@code next(this(x))} in one, or null when this layer cannot absorb
   * {@code next}. The fused layer is a view: it runs over this layer's parameters, buffers and
   * output buffer (and {@code next}'s, if it has any), so parameter names, state dicts and
   * optimizers see the unfused layers; its {@link #backward} accumulates into their gradients.
   * Called when a container plans its run, never per step.
   */
  Layer fuseWith(Layer next);
}

package org.autoprop.layer;

import java.util.function.BiConsumer;
import org.autoprop.tensor.Shape;

/**
 * A layer's output shape for its latest input shape: {@link Layer#outputShape} (the check and
 * the shape rule) runs once per new input shape, followed by a hook that sizes what depends on it.
 */
final class ShapeCache {
  private final Layer layer;
  private final BiConsumer<Shape, Shape> onNewShape;
  private Shape in;
  private Shape out;

  /**
   * @param layer whose shape rule to cache
   * @param onNewShape called with a new input shape and its output shape, after the rule accepted
   *     them
   */
  ShapeCache(Layer layer, BiConsumer<Shape, Shape> onNewShape) {
    this.layer = layer;
    this.onNewShape = onNewShape;
  }

  /** The output shape of {@code input}; throws what the shape rule throws. */
  Shape outputShape(Shape input) {
    if (!input.equals(in)) {
      Shape o = layer.outputShape(input);
      onNewShape.accept(input, o);
      in = input;
      out = o;
    }
    return out;
  }
}
